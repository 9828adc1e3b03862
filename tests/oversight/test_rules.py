"""Each anomaly rule: triggered by data made for it, silent on a normal township's data."""

from __future__ import annotations

import datetime as dt

import pytest

from esign.errors import InputError
from esign.oversight.rules import (
    AnomalySettings,
    RefusalRow,
    Rule,
    UsageRow,
    bursts,
    inactive_seal_attempts,
    outside_authority_attempts,
    outside_hours,
    refusal_streaks,
    run_rules,
    self_approvals,
)
from tests.oversight.conftest import at_beijing

S = AnomalySettings()
NOW = at_beijing(2026, 3, 31, 17)


def use(n: int, at: dt.datetime, *, township: int = 1, user: str = "窗口", approver: str = "批准人") -> UsageRow:
    return UsageRow(n, f"entry-{n:06d}", township, f"乡镇{township}", at, user, approver, 1)


def refusal(n: int, at: dt.datetime, code: str, *, actor: str = "窗口", township: int | None = 1) -> RefusalRow:
    return RefusalRow(n, at, actor, "stamp.request", "seal:克城镇", township, code, "被拒绝")


def normal_month() -> list[UsageRow]:
    """Two to four uses on every working day of March 2026, all between 09:00 and 17:00."""
    rows, n = [], 0
    for day in range(1, 32):
        date = dt.date(2026, 3, day)
        if date.weekday() >= 5:
            continue
        for k in range(2 + day % 3):
            n += 1
            rows.append(use(n, at_beijing(2026, 3, day, 9 + 2 * k, 15), user="窗口" if k % 2 else "窗口二"))
    return rows


def normal_refusals() -> list[RefusalRow]:
    """A few refusals of different accounts, days apart (people mistype, nobody probes)."""
    return [
        refusal(1, at_beijing(2026, 3, 3, 10), "role_not_allowed", actor="甲"),
        refusal(2, at_beijing(2026, 3, 10, 10), "wrong_township", actor="乙"),
        refusal(3, at_beijing(2026, 3, 11, 11), "role_not_allowed", actor="甲"),
    ]


def test_normal_data_is_silent():
    assert run_rules(normal_month(), normal_refusals(), S, at=NOW) == []


def test_outside_hours_flags_evenings_nights_weekends_and_holidays():
    rows = [
        use(1, at_beijing(2026, 3, 2, 7, 59)),  # Monday, before 08:00
        use(2, at_beijing(2026, 3, 2, 18, 0)),  # Monday, 18:00 is already after hours
        use(3, at_beijing(2026, 3, 7, 10)),  # Saturday
        use(4, at_beijing(2026, 3, 3, 8, 0)),  # Tuesday 08:00: inside
        use(5, at_beijing(2026, 3, 3, 17, 59)),  # inside
    ]
    found = outside_hours(rows, S)
    assert [f.entry_ids for f in found] == [("entry-000001", "entry-000002"), ("entry-000003",)]
    assert all(f.rule is Rule.OUTSIDE_HOURS for f in found)
    assert "周末" in found[1].summary_zh
    # 16:30 UTC is 00:30 the next day in Beijing: a night use, though it looks like an afternoon in UTC.
    night = use(6, dt.datetime(2026, 3, 3, 16, 30, tzinfo=dt.UTC))
    assert outside_hours([night], S)[0].data["day"] == "2026-03-04"
    # Configurable: a centre open 07:30-19:00 and a Saturday make-up working day (调休).
    wide = AnomalySettings(
        work_start=dt.time(7, 30), work_end=dt.time(19), extra_workdays=frozenset({dt.date(2026, 3, 7)})
    )
    assert outside_hours(rows, wide) == []
    holiday = AnomalySettings(holidays=frozenset({dt.date(2026, 3, 3)}))
    assert [f.data["day"] for f in outside_hours(rows, holiday)] == ["2026-03-02", "2026-03-03", "2026-03-07"]
    assert outside_hours(normal_month(), S) == []


def test_burst_flags_a_day_far_above_the_usual_rate():
    rows = normal_month()
    n = len(rows)
    spike = [use(n + k, at_beijing(2026, 3, 26, 9, k)) for k in range(1, 31)]  # 30 more on one Thursday
    found = bursts(rows + spike, S, at=NOW)
    assert len(found) == 1 and found[0].rule is Rule.BURST
    assert found[0].data["day"] == "2026-03-26" and found[0].count > 30
    assert set(found[0].entry_ids) >= {r.entry_id for r in spike}
    # The same day is not judged before it happened, nor in another township's usual rate.
    assert bursts(rows + spike, S, at=at_beijing(2026, 3, 25, 23)) == []
    assert bursts(rows, S, at=NOW) == []
    # A township without history is not judged on its first days.
    fresh = [use(k, at_beijing(2026, 3, 30, 9, k), township=2) for k in range(40)]
    assert bursts(fresh, S, at=NOW) == []


def test_self_approval_is_flagged_always():
    rows = [*normal_month(), use(999, at_beijing(2026, 3, 4, 10), user="张三", approver="张三")]
    found = self_approvals(rows)
    assert [(f.rule, f.entry_ids, f.actor) for f in found] == [(Rule.SELF_APPROVAL, ("entry-000999",), "张三")]
    assert self_approvals(normal_month()) == []


def test_attempts_on_inactive_seals_and_items_outside_the_list():
    events = [
        *normal_refusals(),
        refusal(10, at_beijing(2026, 3, 12, 10), "seal_not_active"),
        refusal(11, at_beijing(2026, 3, 12, 11), "seal_not_active"),
        refusal(12, at_beijing(2026, 3, 13, 9), "item_not_in_authority_list", actor="窗口二", township=2),
    ]
    inactive = inactive_seal_attempts(events)
    assert [(f.rule, f.audit_event_ids, f.actor, f.count) for f in inactive] == [
        (Rule.INACTIVE_SEAL, (10, 11), "窗口", 2)
    ]
    outside = outside_authority_attempts(events)
    assert [(f.rule, f.audit_event_ids, f.township_id) for f in outside] == [(Rule.OUTSIDE_AUTHORITY, (12,), 2)]
    assert inactive_seal_attempts(normal_refusals()) == [] and outside_authority_attempts(normal_refusals()) == []


def test_refusal_streak_of_one_account():
    start = at_beijing(2026, 3, 20, 9)
    probing = [refusal(100 + k, start + dt.timedelta(minutes=10 * k), "wrong_township", actor="丙") for k in range(6)]
    public = [refusal(200 + k, start, "unauthenticated", actor="public", township=None) for k in range(20)]
    found = refusal_streaks([*normal_refusals(), *probing, *public], S)
    assert [(f.rule, f.actor, f.audit_event_ids) for f in found] == [
        (Rule.REFUSAL_STREAK, "丙", tuple(range(100, 106)))
    ]
    # The same six spread over six days are not a streak.
    slow = [refusal(300 + k, start + dt.timedelta(days=k), "wrong_township", actor="丙") for k in range(6)]
    assert refusal_streaks(slow, S) == []
    assert refusal_streaks(probing[:4], S) == []


def test_run_rules_drops_baseline_findings_and_sorts():
    rows = [use(1, at_beijing(2026, 2, 1, 3)), use(2, at_beijing(2026, 3, 1, 3)), use(3, at_beijing(2026, 3, 2, 3))]
    found = run_rules(rows, [], S, at=NOW, since=at_beijing(2026, 3, 1, 0))
    assert [f.entry_ids for f in found] == [("entry-000002",), ("entry-000003",)]


def test_settings_are_validated():
    with pytest.raises(InputError):
        AnomalySettings(work_start=dt.time(18), work_end=dt.time(8))
    with pytest.raises(InputError):
        AnomalySettings(burst_factor=1.0)
    with pytest.raises(InputError):
        AnomalySettings(refusal_threshold=1)
