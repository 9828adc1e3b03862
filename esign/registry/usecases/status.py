"""The public seal status service (电子印章状态查询): no account needed, nothing written."""

from __future__ import annotations

import datetime as dt

from esign.registry.api import RegistryHome
from esign.registry.status import SealStatusAnswer, seal_status, seal_status_by_id

__all__ = ["seal_status_of", "seal_status_of_id"]


def seal_status_of(
    home: RegistryHome, *, seal: str | None = None, serial: str | None = None, at: dt.datetime | None = None
) -> SealStatusAnswer:
    """A seal's status, by code or township name (``seal``) or by certificate serial in hex (``serial``),
    and at the time ``at`` when one is asked."""
    with home.transaction() as session:
        return seal_status(session, seal=seal, serial=serial, at=at)


def seal_status_of_id(home: RegistryHome, seal_id: int) -> SealStatusAnswer | None:
    """The status of the seal with database id ``seal_id``, as a usage-register entry names it; None
    when no seal has it."""
    with home.transaction() as session:
        return seal_status_by_id(session, seal_id)
