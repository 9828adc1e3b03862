"""The anomaly report: loads the period's register rows and refused attempts, then runs the rules.

The rules themselves are pure (:mod:`esign.oversight.rules`); this module only reads what they
need, restricted to the caller's scope, reaching back ``baseline_days`` before the period so that
the burst rule knows each township's usual rate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from esign.errors import InputError
from esign.oversight.api import Scope
from esign.oversight.models import RegisterIndexRow
from esign.oversight.register import scope_conditions, sync_projection
from esign.oversight.rules import AnomalySettings, Finding, RefusalRow, UsageRow, run_rules
from esign.registry.models import AuditEvent, Township

__all__ = ["AnomalyReport", "anomaly_report", "load_refusals", "load_usage"]

#: The longest period one report may cover.
MAX_PERIOD = dt.timedelta(days=400)


@dataclass(frozen=True)
class AnomalyReport:
    """Findings of one period."""

    since: dt.datetime
    """Start of the period (inclusive), aware UTC."""
    until: dt.datetime
    """End of the period (exclusive), aware UTC."""
    settings: AnomalySettings
    """The thresholds used."""
    findings: tuple[Finding, ...]
    """Findings, oldest first."""
    refusals: dict[int, RefusalRow]
    """The audit events the findings name, by id."""
    townships: dict[int, str]
    """Township names by id."""


def load_usage(session: Session, scope: Scope, *, since: dt.datetime, until: dt.datetime) -> list[UsageRow]:
    """Register rows in ``[since, until)`` as the rules see them (from the projection)."""
    sync_projection(session)
    r = RegisterIndexRow
    names = {int(i): n for i, n in session.execute(select(Township.id, Township.name))}
    rows = session.execute(
        select(r.idx, r.entry_id, r.township_id, r.signed_at, r.user_name, r.approver, r.count)
        .where(*scope_conditions(scope), r.signed_at >= since, r.signed_at < until)
        .order_by(r.signed_at, r.idx)
    )
    return [UsageRow(int(i), e, int(t), names.get(int(t), f"#{t}"), at, u, a, int(c)) for i, e, t, at, u, a, c in rows]


def load_refusals(session: Session, scope: Scope, *, since: dt.datetime, until: dt.datetime) -> list[RefusalRow]:
    """Refused attempts in ``[since, until)`` of the scope's townships (none if the scope hides them)."""
    if not scope.refusals:
        return []
    a = AuditEvent
    query = select(a).where(a.outcome == "refused", a.at >= since, a.at < until).order_by(a.at, a.id)
    if scope.township_ids is not None:
        query = query.where(a.township_id.in_(sorted(scope.township_ids)))
    return [
        RefusalRow(ev.id, ev.at, ev.actor, ev.action, ev.target, ev.township_id, ev.code, ev.detail)
        for ev in session.scalars(query)
    ]


def anomaly_report(
    session: Session,
    scope: Scope,
    *,
    since: dt.datetime,
    until: dt.datetime,
    at: dt.datetime,
    settings: AnomalySettings | None = None,
) -> AnomalyReport:
    """Run every rule over ``[since, until)``; ``at`` is the time of the report (no day after it is judged)."""
    if since.tzinfo is None or until.tzinfo is None or at.tzinfo is None:
        raise InputError("时间必须带时区。", "Times must be aware.", field="since")
    if not since < until or until - since > MAX_PERIOD:
        raise InputError(
            "查询期间不正确（最长 400 天）。", "The period must be non-empty and at most 400 days.", field="since"
        )
    settings = settings or AnomalySettings()
    usage = load_usage(session, scope, since=since - dt.timedelta(days=settings.baseline_days + 1), until=until)
    refusals = load_refusals(session, scope, since=since, until=until)
    findings = run_rules(usage, refusals, settings, at=min(at, until), since=since)
    names = {int(i): n for i, n in session.execute(select(Township.id, Township.name))}
    return AnomalyReport(since, until, settings, tuple(findings), {r.id: r for r in refusals}, names)
