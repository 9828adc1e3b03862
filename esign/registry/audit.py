"""Audit events: every state change and every refused attempt, with actor, time, target, outcome.

A use case owns one transaction and records its refusal in it: :func:`audited_transaction`; one whose
success writes nothing may look first in a transaction that only reads: :func:`audited_read`.
"""

from __future__ import annotations

import datetime as dt
import logging
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar, cast

from sqlalchemy import Table, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from esign.db import Transactions
from esign.errors import AuthError, EsignError, ForbiddenError, StateError
from esign.registry.accounts import Actor
from esign.registry.authz import Permission, authorize
from esign.registry.models import AuditEvent

__all__ = [
    "REFUSALS",
    "AuditRecord",
    "OnRefusal",
    "audited_read",
    "audited_step",
    "audited_transaction",
    "authorized_transaction",
    "list_audit",
    "record_event",
    "record_refusal",
    "refusal_recorded",
]

_log = logging.getLogger(__name__)

#: What a look (a read) records as refused: a missing permission or a wrong state, not bad input or a
#: missing object. Use cases that change something record every :class:`~esign.errors.EsignError`.
REFUSALS: tuple[type[EsignError], ...] = (AuthError, ForbiddenError, StateError)

#: Refusals written by :func:`audited_step`, so that an enclosing step or owner does not write them again.
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
    """Record a successful state change (in the caller's transaction, at once)."""
    _insert_event(session, at, actor, action, target, township_id, "ok", "", detail)


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
    _insert_event(session, at, actor, action, target, township_id, "refused", error.code, error.message_zh)


_INSERT_EVENT = cast(Table, AuditEvent.__table__).insert()


def _insert_event(
    session: Session,
    at: dt.datetime,
    actor: str,
    action: str,
    target: str,
    township_id: int | None,
    outcome: str,
    code: str,
    detail: str,
) -> None:
    # A Core insert on the session's connection, in the order events are recorded: an audit event is
    # never read back as an object, and a unit-of-work flush per event costs more than the insert.
    values = {
        "at": at,
        "actor": actor,
        "action": action,
        "target": target,
        "township_id": township_id,
        "outcome": outcome,
        "code": code,
        "detail": detail,
    }
    session.connection().execute(_INSERT_EVENT, values)


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


#: What may happen to the session after a refusal was recorded in it (a request ended as failed).
OnRefusal = Callable[[Session, EsignError], None]


@contextmanager
def audited_transaction(
    transaction: Transactions,
    actor: Actor,
    action: str,
    target: str,
    *,
    at: dt.datetime,
    township_id: int | None = None,
    refusals: tuple[type[EsignError], ...] = (EsignError,),
    on_refusal: OnRefusal | None = None,
) -> Iterator[Session]:
    """The one transaction of a use case, which also records the use case's refusal.

    ``transaction`` is the deployment's factory (``dep.transaction``; the registry does not know the
    deployment). The body runs as one :func:`audited_step` of that transaction:

    * it returns: the transaction commits, with the body's own audit events;
    * it raises one of ``refusals`` (by default any :class:`~esign.errors.EsignError`: a broken rule, a
      missing permission, bad input): the step's savepoint is rolled back, so none of the refused work is
      kept, the refusal is written as an audit event in the same transaction, ``on_refusal`` runs in it,
      the transaction commits, and the same exception is raised again. Nothing else writes it
      (:func:`refusal_recorded` tells an enclosing step so);
    * it raises anything else: the whole transaction is rolled back and the error propagates.

    One transaction means no second session waits for the first one's write lock (SQLite) and the
    refusal cannot be lost between two of them. If writing the refusal itself fails, that is logged
    and the refusal still reaches the caller.
    """
    refused: EsignError | None = None
    try:
        with transaction() as session:
            try:
                with audited_step(
                    session,
                    actor,
                    action,
                    target,
                    at=at,
                    township_id=township_id,
                    refusals=refusals,
                    on_refusal=on_refusal,
                ):
                    yield session
            except EsignError as exc:
                if not refusal_recorded(exc):
                    raise  # not a refusal: nothing is kept
                refused = exc  # recorded in this transaction: commit it
    except Exception:
        if refused is None:
            raise
        _recorded.discard(refused)  # the commit failed: the refusal is not recorded after all
        _log.exception("could not record a refused attempt")  # the refusal itself must still reach the caller
    if refused is not None:
        raise refused


_T = TypeVar("_T")


def audited_read(
    reading: Transactions,
    transaction: Transactions,
    actor: Actor,
    action: str,
    target: str,
    body: Callable[[Session], _T],
    *,
    at: dt.datetime,
    refusals: tuple[type[EsignError], ...] = (EsignError,),
    on_refusal: OnRefusal | None = None,
) -> _T:
    """``body`` in a transaction that only reads (``reading``, e.g. ``dep.reading``), when it passes there;
    else ``body`` again under :func:`audited_transaction` (``transaction``), as if it had run there alone.

    For the use cases whose success writes nothing (a look, a check before work): the common case takes
    no write lock (SQLite: it waits for no writer and holds none off), and a refusal (one of
    ``refusals``) is still recorded once, with ``on_refusal``, in the writing transaction, where it is
    met again. A database error in the reading transaction (SQLite refuses a write there, e.g. a CRL
    that is due) also sends ``body`` to the writing one. Any other error propagates. ``body`` may
    therefore run twice and must change nothing outside the database.
    """
    try:
        with reading() as session:
            return body(session)
    except refusals:
        pass
    except DBAPIError:
        pass
    with audited_transaction(
        transaction, actor, action, target, at=at, refusals=refusals, on_refusal=on_refusal
    ) as session:
        return body(session)


@contextmanager
def authorized_transaction(
    transaction: Transactions, actor: Actor, permission: Permission, target: str, *, at: dt.datetime
) -> Iterator[Session]:
    """The one transaction of a use case that first asks ``permission`` of ``actor``
    (:func:`~esign.registry.authz.authorize`), under :func:`audited_transaction` with :data:`REFUSALS`:
    a refusal (the missing permission, or one the body raises) is recorded once, in this transaction,
    under the permission's name as action (``feed.read``, ``audit.view``), at ``at``."""
    with audited_transaction(transaction, actor, permission.value, target, at=at, refusals=REFUSALS) as session:
        authorize(actor, permission)
        yield session


@contextmanager
def audited_step(
    session: Session,
    actor: Actor,
    action: str,
    target: str,
    *,
    at: dt.datetime,
    township_id: int | None = None,
    refusals: tuple[type[EsignError], ...] = (EsignError,),
    on_refusal: OnRefusal | None = None,
) -> Iterator[None]:
    """One step of a use case inside its open transaction (``session``), in a SAVEPOINT.

    A refusal (one of ``refusals``) rolls the savepoint back, is written as an audit event (``actor``,
    ``action``, ``target``, the error's code and Chinese message; township ``township_id``, else the
    actor's) in ``session``, then ``on_refusal`` runs, and the exception is raised again, marked as
    recorded: the transaction's owner (:func:`audited_transaction`) commits it. A refusal an inner step
    already recorded passes through unchanged, with what this step did before it. Several steps in one
    transaction (``esign stamp``: the clerk's request, then the approval) each record their own refusal
    under their own action.
    """
    savepoint = session.begin_nested()
    try:
        yield
    except BaseException as exc:
        if isinstance(exc, EsignError) and refusal_recorded(exc):  # an inner step wrote it: keep both
            if savepoint.is_active:
                savepoint.commit()
            raise
        if savepoint.is_active:
            savepoint.rollback()
        if isinstance(exc, refusals) and _write_refusal(
            session, actor, action, target, exc, at, township_id if township_id is not None else actor.township_id
        ):
            if on_refusal is not None:
                on_refusal(session, exc)
            _recorded.add(exc)
        raise
    else:
        if savepoint.is_active:
            savepoint.commit()


def _write_refusal(
    session: Session,
    actor: Actor,
    action: str,
    target: str,
    error: EsignError,
    at: dt.datetime,
    township_id: int | None,
) -> bool:
    """Write ``error`` as refused; False when the database would not take it (PostgreSQL keeps no NUL
    in text, and the refused input may hold one): that is logged, and the refusal goes on unrecorded,
    so that its transaction's owner gives the transaction up and still raises it (as when a commit fails)."""
    try:
        record_refusal(
            session, actor=actor.name, action=action, target=target, error=error, at=at, township_id=township_id
        )
    except DBAPIError:
        _log.exception("could not record a refused attempt")
        return False
    return True


def refusal_recorded(error: EsignError) -> bool:
    """Whether :func:`audited_transaction` (or :func:`audited_step`) already wrote ``error`` as a refused
    attempt (in a transaction that committed, once its owner's block has ended)."""
    return error in _recorded
