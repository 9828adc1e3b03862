"""OFD documents (GB/T 33190-2016): safe package reading, and verification of their GB/T 38540 signatures."""

from typing import TYPE_CHECKING

from esign.lazy import lazy_face
from esign.ofd.package import MAX_ENTRIES, OfdPackage, is_ofd, write_package
from esign.ofd.xml import NS, OFD_NS, parse_xml

if TYPE_CHECKING:
    from esign.ofd.verify import seal_pictures, verify_ofd


__all__ = [
    "MAX_ENTRIES",
    "NS",
    "OFD_NS",
    "OfdPackage",
    "is_ofd",
    "parse_xml",
    "seal_pictures",
    "verify_ofd",
    "write_package",
]

# The verifier (SM2, the SES structures, the PDF verifier's reports) is loaded by whoever verifies,
# not by whoever only asks whether a file is an OFD.
__getattr__, __dir__ = lazy_face(__name__, __all__, {"verify": ("seal_pictures", "verify_ofd")})
