"""esign: electronic seals for township service centres (一枚印章管审批).

The library: county PKI, seal registry, seal appearance, PAdES stamping, verification and the
tamper-evident usage register. Everything here is usable without the HTTP service.
"""

from esign import compat
from esign.errors import EsignError

compat.apply()

__all__ = ["EsignError", "__version__"]

__version__ = "0.1.0"
