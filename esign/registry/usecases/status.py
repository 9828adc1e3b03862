"""The public seal status service (电子印章状态查询): no account needed, nothing written."""

from __future__ import annotations

import datetime as dt

from esign.registry.api import RegistryHome
from esign.registry.status import SealStatusAnswer, seal_status

__all__ = ["seal_status_of"]


def seal_status_of(
    home: RegistryHome, *, seal: str | None = None, serial: str | None = None, at: dt.datetime | None = None
) -> SealStatusAnswer:
    """A seal's status, by code or township name (``seal``) or by certificate serial in hex (``serial``),
    and at the time ``at`` when one is asked."""
    with home.transaction() as session:
        return seal_status(session, seal=seal, serial=serial, at=at)
