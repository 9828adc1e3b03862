"""Dashboard figures and the anomaly report on a real database; the SVG charts."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from sqlalchemy.orm import Session

from esign.errors import ForbiddenError
from esign.oversight import (
    AnomalySettings,
    NamedCount,
    Rule,
    Scope,
    anomaly_report,
    dashboard,
    donut,
    hbars,
    stacked_bars,
)
from esign.oversight.charts import nice_ticks
from esign.registry import record_refusal
from tests.oversight.conftest import at_beijing, make_entry

ALL = Scope(township_ids=None, departments=None, refusals=True)
AT = at_beijing(2026, 3, 31, 20)


def _refuse(s: Session, actor: str, code: str, at: dt.datetime, township_id: int) -> None:
    record_refusal(
        s,
        actor=actor,
        action="stamp.request",
        target="seal:克城镇",
        error=ForbiddenError("拒绝", "refused", code=code),
        at=at,
        township_id=township_id,
    )


def test_dashboard_counts_by_month_item_type_and_refusal(county):
    k, g = county.kecheng, county.guxian
    county.add(
        [make_entry(k, at_beijing(2026, 1, 10), item=1)]
        + [make_entry(k, at_beijing(2026, 3, d), item=2, count=2) for d in (2, 3, 4)]
        + [make_entry(g, at_beijing(2026, 3, 5), item=3), make_entry(g, at_beijing(2026, 2, 5), item=4)]
        + [make_entry(g, at_beijing(2025, 9, 1), item=1)]  # before the six months shown
    )
    with county.sessions.begin() as s:
        _refuse(s, "克城镇窗口", "seal_not_active", at_beijing(2026, 3, 6), k.id)
        _refuse(s, "克城镇窗口", "seal_not_active", at_beijing(2026, 3, 7), k.id)
        _refuse(s, "古县乡窗口", "item_not_in_authority_list", at_beijing(2026, 3, 8), g.id)
    with county.sessions.begin() as s:
        board = dashboard(s, ALL, at=AT, months=6)
        assert board.months == ("2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03")
        assert board.townships == ("克城镇", "古县乡")
        cells = {(m.month, m.township): (m.stamps, m.impressions) for m in board.per_month}
        assert cells == {
            ("2026-01", "克城镇"): (1, 1),
            ("2026-03", "克城镇"): (3, 6),
            ("2026-03", "古县乡"): (1, 1),
            ("2026-02", "古县乡"): (1, 1),
        }
        assert board.top_items[0] == NamedCount("临时救助", 3)
        assert {(c.name, c.count) for c in board.top_items[1:]} == {
            ("老年人高龄补贴发放", 1),
            ("农村村民宅基地审批", 1),
            ("计划生育情况证明", 1),
        }
        assert {c.name: c.count for c in board.by_type} == {"行政给付": 3, "公共服务": 1, "行政许可": 1, "行政确认": 1}
        assert [(c.name, c.count) for c in board.refusals] == [
            ("seal_not_active", 2),
            ("item_not_in_authority_list", 1),
        ]
        own = dashboard(s, Scope(frozenset({g.id}), None, True), at=AT)
        assert own.townships == ("古县乡",) and {m.township for m in own.per_month} == {"古县乡"}
        assert [(c.name, c.count) for c in own.refusals] == [("item_not_in_authority_list", 1)]
        civil = dashboard(s, Scope(None, frozenset({"县民政局", "蒲县民政局"}), False), at=AT)
        assert {c.name for c in civil.by_type} == {"行政给付", "公共服务"} and civil.refusals == ()


def test_anomaly_report_links_entries_and_audit_events(county):
    k = county.kecheng
    night = county.add([make_entry(k, at_beijing(2026, 3, 10, 23, 40))])[0]
    same = county.add([make_entry(k, at_beijing(2026, 3, 11, 10), user="克城镇批准人", approver="克城镇批准人")])[0]
    county.add([make_entry(k, at_beijing(2026, 3, 12, 10))])
    with county.sessions.begin() as s:
        _refuse(s, "克城镇窗口", "seal_not_active", at_beijing(2026, 3, 13, 10), k.id)
        _refuse(s, "克城镇窗口", "item_not_in_authority_list", at_beijing(2026, 3, 13, 11), k.id)
    with county.sessions.begin() as s:
        report = anomaly_report(s, ALL, since=at_beijing(2026, 3, 1, 0), until=at_beijing(2026, 4, 1, 0), at=AT)
        by_rule = {f.rule: f for f in report.findings}
        assert set(by_rule) == {Rule.OUTSIDE_HOURS, Rule.SELF_APPROVAL, Rule.INACTIVE_SEAL, Rule.OUTSIDE_AUTHORITY}
        assert by_rule[Rule.OUTSIDE_HOURS].entry_ids == (night.entry_id,)
        assert by_rule[Rule.SELF_APPROVAL].entry_ids == (same.entry_id,)
        ev = by_rule[Rule.INACTIVE_SEAL].audit_event_ids
        assert len(ev) == 1 and report.refusals[ev[0]].code == "seal_not_active"
        wide = AnomalySettings(work_end=dt.time(23, 59))
        again = anomaly_report(
            s, ALL, since=at_beijing(2026, 3, 1, 0), until=at_beijing(2026, 4, 1, 0), at=AT, settings=wide
        )
        assert Rule.OUTSIDE_HOURS not in {f.rule for f in again.findings}
        quiet = anomaly_report(s, ALL, since=at_beijing(2026, 3, 12, 0), until=at_beijing(2026, 3, 13, 0), at=AT)
        assert quiet.findings == ()


def test_charts_are_wellformed_svg_with_numbers():
    bars = stacked_bars(["1月", "2月"], [("克城镇", [3, 0]), ("古县乡<&>", [1, 2])], title="各乡镇每月用印次数")
    root = ET.fromstring(bars)  # noqa: S314 - our own output
    assert root.tag.endswith("svg") and root.get("role") == "img"
    assert "古县乡&lt;&amp;&gt;" in bars and ">4</text>" in bars
    assert "暂无数据" in stacked_bars(["1月"], [("克城镇", [0])], title="t")
    for svg in (
        hbars([("临时救助", 3), ("高龄补贴", 1)], title="t"),
        donut([("行政给付", 3), ("公共服务", 1)], title="t"),
        donut([], title="t"),
        donut([("公共服务", 5)], title="t"),
        hbars([], title="t"),
    ):
        ET.fromstring(svg)  # noqa: S314 - our own output
    assert "75%" in donut([("行政给付", 3), ("公共服务", 1)], title="t")
    assert nice_ticks(0) == [0, 1] and nice_ticks(7)[-1] >= 7 and nice_ticks(1234)[-1] >= 1234
