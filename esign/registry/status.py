"""The seal status service (电子印章状态查询): is a seal active, suspended or revoked, since when and
why, and was it valid at a given time. Answers from the registry's lifecycle history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from esign.errors import InputError, NotFoundError
from esign.registry.lifecycle import SealStatus
from esign.registry.models import Seal, SealEvent
from esign.registry.seals import find_seal

__all__ = ["SealStatusAnswer", "seal_status"]


@dataclass(frozen=True)
class SealStatusAnswer:
    """What the status service says about one seal."""

    #: Seal code.
    code: str
    #: Full seal name.
    name: str
    #: Township.
    township: str
    #: Certificate serial (hex), if issued.
    cert_serial: str | None
    #: Current status.
    status: SealStatus
    #: Since when (UTC).
    since: dt.datetime
    #: Why (the reason recorded with the last transition).
    reason: str
    #: The time asked about (UTC), if any.
    at: dt.datetime | None
    #: Status at ``at``; None when no time was asked or the seal did not exist yet.
    status_at: SealStatus | None
    #: Whether the seal could stamp at ``at`` (active then).
    valid_at: bool | None


def seal_status(
    session: Session, *, seal: str | None = None, serial: str | None = None, at: dt.datetime | None = None
) -> SealStatusAnswer:
    """Look a seal up by code / township name, or by certificate serial (hex)."""
    row: Seal | None
    if serial:
        try:
            key = f"{int(serial.replace(':', '').strip(), 16):040x}"
        except ValueError:
            raise InputError("证书序列号应为十六进制。", "The serial must be hexadecimal.", field="serial") from None
        row = session.scalar(select(Seal).where(Seal.cert_serial == key))
        if row is None:
            raise NotFoundError("没有使用该证书的印章。", "No seal has this certificate.", code="seal_not_found")
    elif seal:
        row = find_seal(session, seal)
    else:
        raise InputError("请给出印章编码或证书序列号。", "Give a seal code or a certificate serial.", field="seal")
    events = list(session.scalars(select(SealEvent).where(SealEvent.seal_id == row.id).order_by(SealEvent.id)))
    status_at: SealStatus | None = None
    if at is not None:
        for event in events:
            if event.at <= at:
                status_at = SealStatus(event.to_status)
    return SealStatusAnswer(
        code=row.code,
        name=row.name,
        township=row.township.name,
        cert_serial=row.cert_serial,
        status=SealStatus(row.status),
        since=row.status_since,
        reason=events[-1].reason if events else "",
        at=at,
        status_at=status_at,
        valid_at=None if at is None else status_at is SealStatus.ACTIVE,
    )
