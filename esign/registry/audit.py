"""Audit events: every state change and every refused attempt, with actor, time, target, outcome."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from esign.errors import EsignError
from esign.registry.models import AuditEvent

__all__ = ["AuditRecord", "list_audit", "record_event", "record_refusal"]


def record_event(
    session: Session,
    *,
    actor: str,
    action: str,
    target: str,
    at: dt.datetime,
    township_id: int | None = None,
    detail: str = "",
) -> None:
    """Record a successful state change (in the caller's transaction)."""
    session.add(
        AuditEvent(
            at=at, actor=actor, action=action, target=target, township_id=township_id, outcome="ok", detail=detail
        )
    )


def record_refusal(
    session: Session,
    *,
    actor: str,
    action: str,
    target: str,
    error: EsignError,
    at: dt.datetime,
    township_id: int | None = None,
) -> None:
    """Record a refused attempt. Call it in a transaction of its own: the refused one is rolled back."""
    session.add(
        AuditEvent(
            at=at,
            actor=actor,
            action=action,
            target=target,
            township_id=township_id,
            outcome="refused",
            code=error.code,
            detail=error.message_zh,
        )
    )


@dataclass(frozen=True)
class AuditRecord:
    """One audit event as listed."""

    #: When (UTC).
    at: dt.datetime
    #: Who (a person's name, "public" or "cli").
    actor: str
    #: What was attempted (e.g. ``seal.revoke``).
    action: str
    #: On what (e.g. ``seal:141033103001``).
    target: str
    #: ``ok`` or ``refused``.
    outcome: str
    #: The error code of a refusal.
    code: str
    #: Human-readable detail (Chinese).
    detail: str


def list_audit(
    session: Session, *, limit: int = 100, outcome: str | None = None, township_id: int | None = None
) -> list[AuditRecord]:
    """Newest events first."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if outcome:
        query = query.where(AuditEvent.outcome == outcome)
    if township_id is not None:
        query = query.where(AuditEvent.township_id == township_id)
    return [AuditRecord(e.at, e.actor, e.action, e.target, e.outcome, e.code, e.detail) for e in session.scalars(query)]
