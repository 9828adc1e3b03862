"""The register of old station seals (林业站, 水利站 …) replaced by the one special seal (蒲县).

They stop being used and are sealed up by the county office (封存), or kept with the county's
approval (保留), which must be referenced.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from esign.errors import InputError
from esign.registry.models import LegacySeal, Township
from esign.text import clean_text, optional_text

__all__ = ["Disposition", "list_legacy_seals", "record_legacy_seal"]


class Disposition(StrEnum):
    SEALED_UP = "封存"
    KEPT = "保留"


def record_legacy_seal(
    session: Session,
    township: Township,
    name: str,
    disposition: Disposition,
    *,
    actor: str,
    at: dt.datetime,
    approval_ref: str = "",
) -> LegacySeal:
    """Record what happened to one old seal; keeping one needs the county approval's reference."""
    name = clean_text(name, field="name", zh="旧印章名称", limit=100)
    approval_ref = optional_text(approval_ref, field="approval_ref", zh="批准文号", limit=100)
    if disposition is Disposition.KEPT and not approval_ref.strip():
        raise InputError(
            "保留旧印章须经县级批准，请填写批准文号。",
            "Keeping an old seal needs the county's approval: give its reference.",
            code="approval_ref_required",
            field="approval_ref",
        )
    row = LegacySeal(
        township_id=township.id,
        name=name.strip(),
        disposition=disposition.value,
        approval_ref=approval_ref.strip(),
        recorded_by=actor,
        at=at,
    )
    session.add(row)
    session.flush()
    return row


def list_legacy_seals(session: Session, *, township_id: int | None = None) -> list[LegacySeal]:
    """Old seals, by township."""
    query = select(LegacySeal).order_by(LegacySeal.township_id, LegacySeal.id)
    if township_id is not None:
        query = query.where(LegacySeal.township_id == township_id)
    return list(session.scalars(query))
