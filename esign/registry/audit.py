"""Audit events: every state change and every refused attempt, with actor, time, target, outcome.

A use case owns one transaction and records its refusal in it: :func:`audited_transaction`.
"""

from __future__ import annotations

import datetime as dt
import logging
import weakref
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from esign.errors import EsignError
from esign.registry.accounts import Actor
from esign.registry.models import AuditEvent

__all__ = [
    "AuditRecord",
    "audited_transaction",
    "list_audit",
    "record_event",
    "record_refusal",
    "refusal_recorded",
]

_log = logging.getLogger(__name__)

#: Refusals written by :func:`audited_transaction`, so that an edge's fallback does not write them again.
#: Weak: an exception is forgotten with its last reference; nothing on the exception itself changes.
_recorded: weakref.WeakSet[EsignError] = weakref.WeakSet()


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
    """Record a refused attempt in ``session``, whose refused work must have been rolled back first
    (:func:`audited_transaction` does both)."""
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


@contextmanager
def audited_transaction(
    transaction: Callable[[], AbstractContextManager[Session]],
    actor: Actor,
    action: str,
    target: str,
    *,
    at: dt.datetime,
    township_id: int | None = None,
    refusals: tuple[type[EsignError], ...] = (EsignError,),
) -> Iterator[Session]:
    """The one transaction of a use case, which also records the use case's refusal.

    ``transaction`` is the deployment's factory (``dep.transaction``; the registry does not know the
    deployment). The body runs in a SAVEPOINT inside that transaction:

    * it returns: the savepoint is released and the transaction commits, with the body's own audit events;
    * it raises one of ``refusals`` (by default any :class:`~esign.errors.EsignError`: a broken rule, a
      missing permission, bad input): the savepoint is rolled back, so none of the refused work is kept,
      the refusal is written as an audit event (``actor``, ``action``, ``target``, the error's code and
      Chinese message; township ``township_id``, else the actor's) in the same transaction, which
      commits, and the same exception is raised again. Nothing else writes it
      (:func:`refusal_recorded` tells an edge's fallback so);
    * it raises anything else: the whole transaction is rolled back and the error propagates.

    One transaction means no second session waits for the first one's write lock (SQLite) and the
    refusal cannot be lost between two of them. If writing the refusal itself fails, that is logged
    and the refusal still reaches the caller.
    """
    refused: EsignError | None = None
    try:
        with transaction() as session:
            savepoint = session.begin_nested()
            try:
                yield session
            except refusals as exc:
                refused = exc
                if savepoint.is_active:
                    savepoint.rollback()
                record_refusal(
                    session,
                    actor=actor.name,
                    action=action,
                    target=target,
                    error=exc,
                    at=at,
                    township_id=township_id if township_id is not None else actor.township_id,
                )
            else:
                if savepoint.is_active:
                    savepoint.commit()
    except Exception:
        if refused is None:
            raise
        _log.exception("could not record a refused attempt")  # the refusal itself must still reach the caller
    else:
        if refused is not None:
            _recorded.add(refused)
    if refused is not None:
        raise refused


def refusal_recorded(error: EsignError) -> bool:
    """Whether :func:`audited_transaction` already wrote ``error`` as a refused attempt."""
    return error in _recorded
