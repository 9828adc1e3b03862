"""The oversight use cases: what ``/api/v1/oversight`` and the oversight pages call.

Each takes the deployment's transaction factory (``dep.transaction``), the actor and plain values,
authorizes the actor (:func:`esign.oversight.scope.scope_for`: an :class:`~esign.errors.AuthError` or
:class:`~esign.errors.ForbiddenError` before anything is read), reads in one transaction and returns
frozen values. They only read; the one thing they write is a refusal, recorded in that same
transaction (:func:`esign.registry.audited_transaction`, once; the action is the permission asked for,
e.g. ``oversight.register``). Bad input and unknown townships are answered, not recorded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from esign.ledger.entry import DocumentType
from esign.oversight.api import Cursor, OversightPage, OversightRow, RegisterFilter, Scope, parse_day
from esign.oversight.monthly import monthly_register
from esign.oversight.pdf import MonthlyRegister
from esign.oversight.register import iter_register, query_register
from esign.oversight.report import AnomalyReport, anomaly_report
from esign.oversight.rules import AnomalySettings
from esign.oversight.scope import scope_for
from esign.oversight.stats import Dashboard, dashboard
from esign.registry import REFUSALS, Actor, Permission, audited_transaction, find_township, list_townships

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from esign.db import Transactions

__all__ = [
    "DEFAULT_ANOMALY_PERIOD",
    "DashboardView",
    "RegisterArgs",
    "RegisterExport",
    "RegisterView",
    "TownshipMonth",
    "TownshipRef",
    "county_anomalies",
    "county_dashboard",
    "export_register",
    "read_register",
    "township_month",
]

#: The period of an anomaly report when none is given.
DEFAULT_ANOMALY_PERIOD = dt.timedelta(days=30)


@dataclass(frozen=True)
class RegisterArgs:
    """The register filters as people give them (a query string, a form); all optional."""

    since: str | None = None
    """First day, ``YYYY-MM-DD`` Beijing time."""
    until: str | None = None
    """Last day (inclusive)."""
    township: str | None = None
    """Township name or id."""
    item: str | None = None
    """Item number or part of its name."""
    user: str | None = None
    """使用人."""
    approver: str | None = None
    """批准人."""
    document_type: str | None = None
    """Document type (its Chinese name)."""
    cursor: str | None = None
    """Keyset cursor from a previous page."""
    offset: int = 0
    """Offset paging."""
    limit: int = 50
    """Rows per page."""
    newest_first: bool = False
    """Listing order."""
    with_total: bool = True
    """Whether to count the matching rows."""


@dataclass(frozen=True)
class TownshipRef:
    """A township as a page names it."""

    id: int
    """Its id."""
    name: str
    """Its name (克城镇)."""


@dataclass(frozen=True)
class RegisterView:
    """A page of the register as one actor may see it."""

    page: OversightPage
    """The rows asked for."""
    township: TownshipRef | None
    """The township asked for; None for the whole county (or what of it the actor sees)."""
    township_ids: frozenset[int] | None
    """The townships the actor may see; None for every one."""
    townships: tuple[TownshipRef, ...]
    """The townships the actor may see (what it may pick), by id."""
    department_limited: bool
    """Whether the actor sees only the items of its department."""


@dataclass(frozen=True)
class RegisterExport:
    """Every register row matching the filters, for a download."""

    rows: tuple[OversightRow, ...]
    """The rows, in the asked order."""
    township: TownshipRef | None
    """The township asked for; None for the whole county."""


@dataclass(frozen=True)
class TownshipMonth:
    """One township's register of one month, ready to print (:func:`esign.oversight.monthly_register_pdf`)."""

    township: TownshipRef
    """The township."""
    register: MonthlyRegister
    """Its lines of the month, the title and the period."""


@dataclass(frozen=True)
class DashboardView:
    """The dashboard of what one actor may see."""

    board: Dashboard
    """The numbers."""
    township: TownshipRef | None
    """The township it was narrowed to; None for the actor's whole scope."""
    township_ids: frozenset[int] | None
    """The townships the actor may see (what it may narrow to); None for every one."""
    townships: tuple[TownshipRef, ...]
    """Those townships themselves, by id."""


def _read(
    transaction: Transactions, actor: Actor, permission: Permission, target: str, at: dt.datetime
) -> AbstractContextManager[Session]:
    """The use case's one transaction; a refusal (:data:`esign.registry.REFUSALS`: no credentials, a
    missing permission, another township) is recorded in it under ``permission``'s name, once."""
    return audited_transaction(transaction, actor, permission.value, target, at=at, refusals=REFUSALS)


def _target(township: str | None) -> str:
    return f"township:{township}" if township else "county"


def _visible(session: Session, ids: frozenset[int] | None) -> tuple[TownshipRef, ...]:
    return tuple(TownshipRef(t.id, t.name) for t in list_townships(session, only=None if ids is None else set(ids)))


def _ref(session: Session, ref: str | int) -> TownshipRef:
    township = find_township(session, ref)
    return TownshipRef(township.id, township.name)


def _filter(session: Session, args: RegisterArgs) -> tuple[RegisterFilter, TownshipRef | None]:
    """The library filter and the named township (None if no township was asked for); each value checked."""
    named = (args.township or "").strip()
    township = _ref(session, named) if named else None
    kind = (args.document_type or "").strip()
    return (
        RegisterFilter(
            since=parse_day(args.since, "since"),
            until=parse_day(args.until, "until", end=True),
            township_id=township.id if township else None,
            item=(args.item or "").strip() or None,
            user=(args.user or "").strip() or None,
            approver=(args.approver or "").strip() or None,
            document_type=DocumentType.parse(kind).value if kind else None,
            after=Cursor.decode(args.cursor) if args.cursor else None,
            offset=args.offset,
            limit=args.limit,
            newest_first=args.newest_first,
            with_total=args.with_total,
        ),
        township,
    )


def _register_scope(
    session: Session, actor: Actor, args: RegisterArgs
) -> tuple[RegisterFilter, TownshipRef | None, Scope]:
    f, township = _filter(session, args)
    scope = scope_for(session, actor, Permission.OVERSIGHT_REGISTER, township_id=township.id if township else None)
    return f, township, scope


def read_register(transaction: Transactions, actor: Actor, args: RegisterArgs, *, at: dt.datetime) -> RegisterView:
    """One page of the county's usage register (or one township's) that ``actor`` may read, with the
    townships it may pick; ``at`` dates a refusal."""
    with _read(transaction, actor, Permission.OVERSIGHT_REGISTER, _target(args.township), at) as session:
        f, township, scope = _register_scope(session, actor, args)
        page = query_register(session, scope, f)
        townships = _visible(session, scope.township_ids)
    return RegisterView(page, township, scope.township_ids, townships, scope.departments is not None)


def export_register(transaction: Transactions, actor: Actor, args: RegisterArgs, *, at: dt.datetime) -> RegisterExport:
    """Every row of the register matching ``args`` that ``actor`` may read (paging ignored), for CSV/XLSX;
    ``at`` dates a refusal."""
    with _read(transaction, actor, Permission.OVERSIGHT_REGISTER, _target(args.township), at) as session:
        f, township, scope = _register_scope(session, actor, args)
        rows = tuple(iter_register(session, scope, f))
    return RegisterExport(rows, township)


def township_month(
    transaction: Transactions, actor: Actor, township: str, month: str, *, at: dt.datetime
) -> TownshipMonth:
    """Township ``township``'s (name or id) printable register of ``month`` (``YYYY-MM``); ``at`` is
    printed as the time it was made."""
    with _read(transaction, actor, Permission.OVERSIGHT_REGISTER, _target(f"{township}/{month}"), at) as session:
        row = find_township(session, township)
        scope = scope_for(session, actor, Permission.OVERSIGHT_REGISTER, township_id=row.id)
        register = monthly_register(session, scope, row, month, at=at)
        return TownshipMonth(TownshipRef(row.id, row.name), register)


def county_dashboard(
    transaction: Transactions, actor: Actor, *, at: dt.datetime, months: int = 6, township: str | None = None
) -> DashboardView:
    """The dashboard of the last ``months`` months that ``actor`` may see, optionally narrowed to one township,
    with the townships it may narrow to."""
    with _read(transaction, actor, Permission.OVERSIGHT_DASHBOARD, _target(township), at) as session:
        ref = _ref(session, township) if township else None
        scope = scope_for(session, actor, Permission.OVERSIGHT_DASHBOARD, township_id=ref.id if ref else None)
        visible = scope.township_ids
        if ref is not None:
            scope = replace(scope, township_ids=frozenset({ref.id}))
        board = dashboard(session, scope, at=at, months=months)
        return DashboardView(board, ref, visible, _visible(session, visible))


def county_anomalies(
    transaction: Transactions,
    actor: Actor,
    *,
    at: dt.datetime,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    settings: AnomalySettings | None = None,
) -> AnomalyReport:
    """The anomaly report over ``[since, until)`` for ``actor``; the period ends at ``at`` and lasts
    :data:`DEFAULT_ANOMALY_PERIOD` unless given."""
    end = until or at
    start = since or end - DEFAULT_ANOMALY_PERIOD
    with _read(transaction, actor, Permission.OVERSIGHT_ANOMALIES, "county", at) as session:
        scope = scope_for(session, actor, Permission.OVERSIGHT_ANOMALIES)
        return anomaly_report(session, scope, since=start, until=end, at=at, settings=settings)
