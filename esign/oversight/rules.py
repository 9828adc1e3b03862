"""Anomaly rules: pure functions over register rows and refused attempts.

Each rule takes plain rows (:class:`UsageRow`, :class:`RefusalRow`) and the settings, never reads
the clock or the database, and returns :class:`Finding` values that name the register entries or
audit events behind them. What the rules flag:

* ``outside_hours``: a seal use outside working hours in Beijing time (weekdays 08:00–18:00 by
  default; weekends and the listed holidays are outside). Reported per township and day.
* ``burst``: a township's uses on one day far above its usual daily rate: at least
  ``burst_min`` uses and more than ``burst_factor`` times its mean over the ``baseline_days``
  days before (days without uses count as zero). A township with less history than
  ``min_history_days`` is not judged.
* ``self_approval``: 使用人 and 批准人 are the same person. The workflow refuses this, so any
  hit means a rule was bypassed.
* ``inactive_seal``: attempts to stamp with a suspended or revoked seal (refusal code ``seal_not_active``).
* ``outside_authority``: attempts for items outside the township's authority list (refusal code
  ``item_not_in_authority_list``).
* ``refusal_streak``: one account refused at least ``refusal_threshold`` times within
  ``refusal_window`` (the public, who has no account, is left out).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from esign.errors import InputError
from esign.oversight.api import BEIJING

__all__ = [
    "AnomalySettings",
    "Finding",
    "RefusalRow",
    "Rule",
    "UsageRow",
    "bursts",
    "inactive_seal_attempts",
    "outside_authority_attempts",
    "outside_hours",
    "refusal_streaks",
    "run_rules",
    "self_approvals",
]


class Rule(StrEnum):
    """The anomaly rules, valued by their stable code."""

    OUTSIDE_HOURS = "outside_hours"
    BURST = "burst"
    SELF_APPROVAL = "self_approval"
    INACTIVE_SEAL = "inactive_seal"
    OUTSIDE_AUTHORITY = "outside_authority"
    REFUSAL_STREAK = "refusal_streak"

    @property
    def zh(self) -> str:
        """Chinese name of the rule."""
        return {
            "outside_hours": "非工作时间用印",
            "burst": "用印量异常激增",
            "self_approval": "使用人与批准人为同一人",
            "inactive_seal": "使用已暂停或注销的印章",
            "outside_authority": "职权清单外事项用印",
            "refusal_streak": "同一账号多次被拒绝",
        }[self.value]


@dataclass(frozen=True)
class UsageRow:
    """One register entry as the rules see it."""

    idx: int
    """Log index."""
    entry_id: str
    """Register entry id (links to the entry)."""
    township_id: int
    """Township of the seal."""
    township: str
    """Township name."""
    signed_at: dt.datetime
    """Signing time, aware."""
    user: str
    """使用人."""
    approver: str
    """批准人."""
    count: int = 1
    """使用数."""


@dataclass(frozen=True)
class RefusalRow:
    """One refused attempt (an audit event with outcome ``refused``)."""

    id: int
    """Audit event id."""
    at: dt.datetime
    """When, aware."""
    actor: str
    """Account name (``public`` without an account)."""
    action: str
    """What was attempted (``stamp.request``, ``POST /api/v1/...``)."""
    target: str
    """On what."""
    township_id: int | None
    """The account's township, if any."""
    code: str
    """Refusal code (``seal_not_active``, ``item_not_in_authority_list`` …)."""
    detail: str = ""
    """The Chinese message given."""


@dataclass(frozen=True)
class AnomalySettings:
    """Thresholds of the rules. The defaults suit a township service centre."""

    work_start: dt.time = dt.time(8, 0)
    """Start of working hours, Beijing time."""
    work_end: dt.time = dt.time(18, 0)
    """End of working hours (exclusive), Beijing time."""
    workdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    """Working weekdays (Monday is 0)."""
    holidays: frozenset[dt.date] = frozenset()
    """Public holidays (Beijing dates) that are not working days."""
    extra_workdays: frozenset[dt.date] = frozenset()
    """Weekend dates that are working days (调休)."""
    burst_factor: float = 3.0
    """A day is a burst above this multiple of the usual daily rate."""
    burst_min: int = 10
    """…and with at least this many uses."""
    baseline_days: int = 28
    """Days before the judged day that make up the usual rate."""
    min_history_days: int = 7
    """A township's first use must be at least this many days before a day for it to be judged."""
    refusal_threshold: int = 5
    """Refusals of one account within :attr:`refusal_window` that make a streak."""
    refusal_window: dt.timedelta = dt.timedelta(hours=24)
    """The window for :attr:`refusal_threshold`."""

    def __post_init__(self) -> None:
        if not self.work_start < self.work_end:
            raise InputError("工作时间起止不正确。", "work_start must be before work_end.", field="work_start")
        if self.burst_factor <= 1 or self.burst_min < 1 or self.baseline_days < 1 or self.min_history_days < 0:
            raise InputError("激增阈值不正确。", "burst thresholds are out of range.", field="burst_factor")
        if self.refusal_threshold < 2 or self.refusal_window <= dt.timedelta(0):
            raise InputError("拒绝次数阈值不正确。", "refusal thresholds are out of range.", field="refusal_threshold")

    def is_working_time(self, at: dt.datetime) -> bool:
        """Whether ``at`` (aware) falls in working hours of a working day, in Beijing time."""
        local = at.astimezone(BEIJING)
        day = local.date()
        workday = day in self.extra_workdays or (local.weekday() in self.workdays and day not in self.holidays)
        return workday and self.work_start <= local.time() < self.work_end


@dataclass(frozen=True)
class Finding:
    """One anomaly, with the records behind it."""

    rule: Rule
    """Which rule."""
    at: dt.datetime
    """When it happened (the first record's time)."""
    summary_zh: str
    """One Chinese sentence for the report."""
    township_id: int | None = None
    """The township concerned, if one."""
    actor: str = ""
    """The person concerned, if one."""
    entry_ids: tuple[str, ...] = ()
    """Register entries behind the finding."""
    audit_event_ids: tuple[int, ...] = ()
    """Audit events behind the finding."""
    count: int = 0
    """How many records (uses or refusals) it covers."""
    data: dict[str, str] = field(default_factory=dict, compare=False)
    """Rule-specific figures (e.g. the day, the usual rate), as text."""


def _by_day(rows: Iterable[UsageRow]) -> dict[tuple[int, dt.date], list[UsageRow]]:
    out: dict[tuple[int, dt.date], list[UsageRow]] = defaultdict(list)
    for row in rows:
        out[(row.township_id, row.signed_at.astimezone(BEIJING).date())].append(row)
    return out


def outside_hours(rows: Iterable[UsageRow], settings: AnomalySettings) -> list[Finding]:
    """Uses outside working hours, one finding per township and Beijing day."""
    late = [r for r in rows if not settings.is_working_time(r.signed_at)]
    out = []
    for (township_id, day), group in sorted(_by_day(late).items(), key=lambda kv: (kv[0][1], kv[0][0])):
        group.sort(key=lambda r: r.signed_at)
        times = "、".join(r.signed_at.astimezone(BEIJING).strftime("%H:%M") for r in group[:5])
        more = "等" if len(group) > 5 else ""
        weekday = (
            "周末或节假日"
            if not settings.is_working_time(dt.datetime.combine(day, settings.work_start, BEIJING))
            else "工作日非工作时间"
        )
        out.append(
            Finding(
                Rule.OUTSIDE_HOURS,
                group[0].signed_at,
                f"{group[0].township} {day.isoformat()}（{weekday}）用印 {len(group)} 次：{times}{more}",
                township_id=township_id,
                entry_ids=tuple(r.entry_id for r in group),
                count=len(group),
                data={"day": day.isoformat()},
            )
        )
    return out


def bursts(rows: Iterable[UsageRow], settings: AnomalySettings, *, at: dt.datetime) -> list[Finding]:
    """Days, up to and including ``at``'s Beijing day, on which a township stamped far above its usual rate.

    ``rows`` should reach back ``baseline_days`` before the first day to judge.
    """
    today = at.astimezone(BEIJING).date()
    per_day = _by_day(r for r in rows if r.signed_at <= at)
    first_day: dict[int, dt.date] = {}
    counts: dict[int, dict[dt.date, int]] = defaultdict(dict)
    for (township_id, day), group in per_day.items():
        counts[township_id][day] = len(group)
        first_day[township_id] = min(day, first_day.get(township_id, day))
    out = []
    for (township_id, day), group in sorted(per_day.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        n = len(group)
        if day > today or n < settings.burst_min:
            continue
        if (day - first_day[township_id]).days < settings.min_history_days:
            continue
        window = [day - dt.timedelta(days=k) for k in range(1, settings.baseline_days + 1)]
        usual = sum(counts[township_id].get(d, 0) for d in window) / settings.baseline_days
        if n <= settings.burst_factor * max(usual, 1.0):
            continue
        group.sort(key=lambda r: r.signed_at)
        out.append(
            Finding(
                Rule.BURST,
                group[0].signed_at,
                f"{group[0].township} {day.isoformat()} 用印 {n} 次，为此前 {settings.baseline_days} 天日均"
                f"（{usual:.1f} 次）的 {n / max(usual, 1e-9):.0f} 倍"
                if usual
                else f"{group[0].township} {day.isoformat()} 用印 {n} 次，此前 {settings.baseline_days} 天无用印",
                township_id=township_id,
                entry_ids=tuple(r.entry_id for r in group),
                count=n,
                data={"day": day.isoformat(), "usual": f"{usual:.2f}"},
            )
        )
    return out


def self_approvals(rows: Iterable[UsageRow]) -> list[Finding]:
    """Entries whose 使用人 is also their 批准人 (should be impossible: the workflow refuses it)."""
    return [
        Finding(
            Rule.SELF_APPROVAL,
            r.signed_at,
            f"{r.township} 登记 {r.entry_id}：使用人与批准人均为“{r.user}”",
            township_id=r.township_id,
            actor=r.user,
            entry_ids=(r.entry_id,),
            count=1,
        )
        for r in sorted(rows, key=lambda r: (r.signed_at, r.idx))
        if r.user.strip() == r.approver.strip()
    ]


def _refusals_with_code(events: Iterable[RefusalRow], code: str, rule: Rule, what: str) -> list[Finding]:
    groups: dict[tuple[str, int | None], list[RefusalRow]] = defaultdict(list)
    for ev in events:
        if ev.code == code:
            groups[(ev.actor, ev.township_id)].append(ev)
    out = []
    for (actor, township_id), group in groups.items():
        group.sort(key=lambda e: (e.at, e.id))
        out.append(
            Finding(
                rule,
                group[0].at,
                f"“{actor}”{what} {len(group)} 次（{group[0].target}…）",
                township_id=township_id,
                actor=actor,
                audit_event_ids=tuple(e.id for e in group),
                count=len(group),
            )
        )
    return sorted(out, key=lambda f: f.at)


def inactive_seal_attempts(events: Iterable[RefusalRow]) -> list[Finding]:
    """Refused attempts to stamp with a suspended or revoked seal, per account."""
    return _refusals_with_code(events, "seal_not_active", Rule.INACTIVE_SEAL, "试图使用已暂停或注销的印章")


def outside_authority_attempts(events: Iterable[RefusalRow]) -> list[Finding]:
    """Refused attempts for items outside the authority list, per account."""
    return _refusals_with_code(events, "item_not_in_authority_list", Rule.OUTSIDE_AUTHORITY, "申请职权清单外事项用印")


def refusal_streaks(events: Iterable[RefusalRow], settings: AnomalySettings) -> list[Finding]:
    """Accounts refused at least ``refusal_threshold`` times within ``refusal_window`` (one finding per streak)."""
    per_actor: dict[str, list[RefusalRow]] = defaultdict(list)
    for ev in events:
        if ev.actor and ev.actor != "public":
            per_actor[ev.actor].append(ev)
    out = []
    for actor, evs in per_actor.items():
        evs.sort(key=lambda e: (e.at, e.id))
        start = 0
        taken_until = -1
        for end in range(len(evs)):
            while evs[end].at - evs[start].at > settings.refusal_window:
                start += 1
            if end - start + 1 >= settings.refusal_threshold and start > taken_until:
                # extend the streak as far as the window allows, then report it once
                stop = end
                while stop + 1 < len(evs) and evs[stop + 1].at - evs[start].at <= settings.refusal_window:
                    stop += 1
                group = evs[start : stop + 1]
                codes = sorted({e.code for e in group})
                out.append(
                    Finding(
                        Rule.REFUSAL_STREAK,
                        group[0].at,
                        f"“{actor}”在 {settings.refusal_window.total_seconds() / 3600:g} 小时内被拒绝 "
                        f"{len(group)} 次（{'、'.join(codes)}）",
                        township_id=group[0].township_id,
                        actor=actor,
                        audit_event_ids=tuple(e.id for e in group),
                        count=len(group),
                    )
                )
                taken_until = stop
    return sorted(out, key=lambda f: f.at)


def run_rules(
    usage: Sequence[UsageRow],
    refusals: Sequence[RefusalRow],
    settings: AnomalySettings,
    *,
    at: dt.datetime,
    since: dt.datetime | None = None,
) -> list[Finding]:
    """Every rule over the rows; findings before ``since`` (baseline data) are dropped. Oldest first."""
    in_period: Callable[[dt.datetime], bool] = (lambda t: True) if since is None else (lambda t: t >= since)
    judged = [r for r in usage if in_period(r.signed_at)]
    findings = [
        *outside_hours(judged, settings),
        *[f for f in bursts(usage, settings, at=at) if in_period(f.at)],
        *self_approvals(judged),
        *inactive_seal_attempts(refusals),
        *outside_authority_attempts(refusals),
        *refusal_streaks(refusals, settings),
    ]
    return sorted(findings, key=lambda f: (f.at, f.rule.value))
