"""The dashboard's numbers: stamps per township and month, top items, items by type, refusals by reason.

Each function returns plain rows (frozen dataclasses) computed by one grouped query on the
projection (:mod:`esign.oversight.register`) or on the audit events, restricted to what the
caller's :class:`~esign.oversight.api.Scope` allows. Months are Beijing-time months. Nothing here
reads the clock: the caller passes the period.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from esign.oversight.api import Scope, local_month, month_bounds
from esign.oversight.models import RegisterIndexRow
from esign.oversight.register import scope_conditions, sync_projection
from esign.registry.models import AuditEvent, Township

__all__ = [
    "Dashboard",
    "MonthCount",
    "NamedCount",
    "dashboard",
    "months_back",
    "refusals_by_code",
    "stamps_by_township_month",
    "top_items",
    "uses_by_type",
]


@dataclass(frozen=True)
class MonthCount:
    """Stamps of one township in one month."""

    month: str
    """``YYYY-MM``, Beijing time."""
    township: str
    """Township name."""
    stamps: int
    """Register entries (seal uses)."""
    impressions: int
    """Sum of 使用数 (impressions) over those entries."""


@dataclass(frozen=True)
class NamedCount:
    """A label and how often it occurs."""

    name: str
    """The label (item name, item type or refusal code)."""
    count: int
    """How many."""


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard page draws."""

    months: tuple[str, ...]
    """The months shown, oldest first (``YYYY-MM``)."""
    townships: tuple[str, ...]
    """The townships shown, in registry order."""
    per_month: tuple[MonthCount, ...]
    """Stamps per township per month (only non-zero cells)."""
    top_items: tuple[NamedCount, ...]
    """The most stamped items, most first."""
    by_type: tuple[NamedCount, ...]
    """Stamps by item type, most first (``未分类`` for items without a known type)."""
    refusals: tuple[NamedCount, ...]
    """Refused attempts by error code, most first (empty when the scope hides refusals)."""
    show_refusals: bool
    """Whether the scope may see refused attempts at all."""


def months_back(at: dt.datetime, n: int) -> tuple[str, ...]:
    """The ``n`` Beijing-time months ending with the month of ``at``, oldest first."""
    year, month = (int(p) for p in local_month(at).split("-"))
    out = []
    for _ in range(n):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return tuple(reversed(out))


def _township_names(session: Session, scope: Scope) -> dict[int, str]:
    query = select(Township.id, Township.name).order_by(Township.id)
    if scope.township_ids is not None:
        query = query.where(Township.id.in_(sorted(scope.township_ids)))
    return {int(i): n for i, n in session.execute(query)}


def stamps_by_township_month(session: Session, scope: Scope, months: tuple[str, ...]) -> list[MonthCount]:
    """Stamps and impressions per township and month for ``months`` (index on ``local_month``)."""
    r = RegisterIndexRow
    names = _township_names(session, scope)
    rows = session.execute(
        select(r.local_month, r.township_id, func.count(), func.sum(r.count))
        .where(*scope_conditions(scope), r.local_month.in_(months))
        .group_by(r.local_month, r.township_id)
        .order_by(r.local_month, r.township_id)
    )
    return [MonthCount(m, names.get(int(t), f"#{t}"), int(n), int(s or 0)) for m, t, n, s in rows]


def top_items(
    session: Session, scope: Scope, *, since: dt.datetime, until: dt.datetime, limit: int = 10
) -> list[NamedCount]:
    """The ``limit`` most stamped items (by name, across townships) in ``[since, until)``."""
    r = RegisterIndexRow
    n = func.count().label("n")
    rows = session.execute(
        select(r.item_name, n)
        .where(*scope_conditions(scope), r.signed_at >= since, r.signed_at < until)
        .group_by(r.item_name)
        .order_by(n.desc(), r.item_name)
        .limit(limit)
    )
    return [NamedCount(name, int(c)) for name, c in rows]


def uses_by_type(session: Session, scope: Scope, *, since: dt.datetime, until: dt.datetime) -> list[NamedCount]:
    """Stamps per item type (行政许可, 行政给付, 公共服务 …) in ``[since, until)``."""
    r = RegisterIndexRow
    n = func.count().label("n")
    rows = session.execute(
        select(r.item_type, n)
        .where(*scope_conditions(scope), r.signed_at >= since, r.signed_at < until)
        .group_by(r.item_type)
        .order_by(n.desc(), r.item_type)
    )
    return [NamedCount(t or "未分类", int(c)) for t, c in rows]


def refusals_by_code(session: Session, scope: Scope, *, since: dt.datetime, until: dt.datetime) -> list[NamedCount]:
    """Refused attempts per error code in ``[since, until)``; empty when ``scope`` hides refusals.

    A refusal belongs to the township of the account that attempted it (``audit_events.township_id``);
    a township's staff see only their own township's refusals.
    """
    if not scope.refusals:
        return []
    a = AuditEvent
    n = func.count().label("n")
    query = select(a.code, n).where(a.outcome == "refused", a.at >= since, a.at < until)
    if scope.township_ids is not None:
        query = query.where(a.township_id.in_(sorted(scope.township_ids)))
    rows = session.execute(query.group_by(a.code).order_by(n.desc(), a.code))
    return [NamedCount(code or "unknown", int(c)) for code, c in rows]


def dashboard(session: Session, scope: Scope, *, at: dt.datetime, months: int = 6) -> Dashboard:
    """The dashboard of the ``months`` Beijing-time months up to ``at`` (syncs the projection first)."""
    sync_projection(session)
    shown = months_back(at, months)
    since, until = month_bounds(shown[0])[0], month_bounds(shown[-1])[1]
    names = _township_names(session, scope)
    return Dashboard(
        months=shown,
        townships=tuple(names.values()),
        per_month=tuple(stamps_by_township_month(session, scope, shown)),
        top_items=tuple(top_items(session, scope, since=since, until=until)),
        by_type=tuple(uses_by_type(session, scope, since=since, until=until)),
        refusals=tuple(refusals_by_code(session, scope, since=since, until=until)),
        show_refusals=scope.refusals,
    )
