"""The outbox and the pull feed on SQLite and PostgreSQL: atomic with the stamp, cursor without gaps."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from esign.db import session_scope
from esign.errors import ForbiddenError, StateError
from esign.feed import FeedScope, find_event, read_feed, record_stamp_event, subscribe
from esign.feed.models import FeedDeliveryRow, FeedEventRow
from esign.ledger import append
from esign.ledger.models import LedgerEntryRow
from esign.registry import Actor, Role
from esign.registry.models import AuditEvent

from .conftest import T0, make_entry

ALL = FeedScope(item_ids=None)


def _page_through(county, scope, *, limit, after=0):
    seen, cursor = [], after
    while True:
        page = read_feed(county.transaction, scope, after=cursor, limit=limit)
        seen.extend(e.id for e in page.events)
        assert page.next_cursor >= cursor
        if not page.events:
            return seen, page.next_cursor
        cursor = page.next_cursor


def test_event_ids_are_gapless_and_the_payload_has_no_personal_data(county):
    events = [county.stamp(n) for n in (1, 2, 3, 1)]
    assert [e.id for e in events] == [1, 2, 3, 4]
    data = events[0].data
    assert data["item"] == {
        "number": "1",
        "name": "老年人高龄补贴发放",
        "code": "",
        "type": "公共服务",
        "department": "民政局",
    }
    assert data["township"]["name"] == "克城镇" and data["seal"]["name"].endswith("行政审批服务专用章")
    assert data["ledger_index"] == 0 and data["verify_url"].endswith(data["entry_id"])
    assert set(data) == {
        "entry_id",
        "ledger_index",
        "township",
        "seal",
        "item",
        "document",
        "signed_at",
        "output_sha256",
        "verify_url",
    }
    flat = str(data)
    assert "窗口" not in flat and "批准人" not in flat and "受理申请" not in flat  # no staff names, no 事由


def test_cursor_pages_have_no_gaps_or_duplicates_and_late_events_come_after(county):
    for n in [1, 2, 3] * 4:
        county.stamp(n)
    seen, cursor = _page_through(county, ALL, limit=5)
    assert seen == list(range(1, 13)) and cursor == 12
    # Paging again from the middle while new events arrive.
    first = read_feed(county.transaction, ALL, after=4, limit=3)
    assert [e.id for e in first.events] == [5, 6, 7]
    county.stamp(2)
    county.stamp(1)
    rest, cursor = _page_through(county, ALL, limit=3, after=first.next_cursor)
    assert rest == [8, 9, 10, 11, 12, 13, 14] and cursor == 14


def test_a_department_sees_only_its_items_and_its_cursor_skips_the_rest(county):
    for n in [1, 2, 3, 1, 2, 1]:
        county.stamp(n)
    civil = Actor(person_id=1, name="县民政局查看人", role=Role.DEPARTMENT, department="蒲县民政局")
    page = read_feed(county.transaction, civil, after=0, limit=2, at=T0)
    assert [e.id for e in page.events] == [1, 4] and page.next_cursor == 4
    last = read_feed(county.transaction, civil, after=page.next_cursor, limit=2, at=T0)
    assert [e.id for e in last.events] == [6] and last.next_cursor == 6
    assert read_feed(county.transaction, civil, after=6, at=T0).next_cursor == 6
    with session_scope(county.sessions) as s:
        other = s.scalar(select(FeedEventRow.entry_id).where(FeedEventRow.id == 2))
        mine = s.scalar(select(FeedEventRow.entry_id).where(FeedEventRow.id == 4))
    assert other is not None and mine is not None
    with pytest.raises(ForbiddenError) as exc:
        find_event(county.transaction, civil, other, at=T0)
    assert exc.value.code == "wrong_department"
    assert find_event(county.transaction, civil, mine, at=T0).id == 4
    # Listing item 3 explicitly in a subscription of the department extends what it sees.
    subscribe(county.transaction, county.box, department="蒲县民政局", items=[3], actor="admin", at=T0)
    assert [e.id for e in read_feed(county.transaction, civil, at=T0).events] == [1, 3, 4, 6]
    clerk = Actor(person_id=2, name="窗口", role=Role.CLERK, township_id=county.township_id)
    with pytest.raises(ForbiddenError):
        read_feed(county.transaction, clerk, at=T0)
    with pytest.raises(ForbiddenError):
        find_event(county.transaction, clerk, mine, at=T0)
    assert len(read_feed(county.transaction, Actor(3, "管理员", Role.REFORM_ADMIN), at=T0).events) == 6


def test_a_stamp_that_rolls_back_leaves_no_event_and_no_delivery(county, receiver):
    subscribe(county.transaction, county.box, department="蒲县民政局", url=receiver.url, actor="admin", at=T0)
    county.stamp(1)
    with pytest.raises(RuntimeError), session_scope(county.sessions) as s:
        entry = make_entry(s, county.township_id, county.seal_id, 1, at=T0, title="回滚")
        append(s, entry, at=T0)
        record_stamp_event(s, entry, at=T0, verify_url="https://x/v/1")
        raise RuntimeError("the request row could not be updated")
    with session_scope(county.sessions) as s:
        assert s.scalar(select(func.count()).select_from(LedgerEntryRow)) == 1
        assert s.scalar(select(func.count()).select_from(FeedEventRow)) == 1
        assert s.scalar(select(func.count()).select_from(FeedDeliveryRow)) == 1
    assert county.stamp(1).id == 2  # the rolled-back id is not burnt: no gap


def test_an_event_needs_its_register_entry_in_the_same_transaction(county):
    with pytest.raises(StateError) as exc, session_scope(county.sessions) as s:
        record_stamp_event(
            s, make_entry(s, county.township_id, county.seal_id, 1, at=T0, title="x"), at=T0, verify_url="https://x/v/1"
        )
    assert exc.value.code == "feed_event_without_entry"


def test_subscriptions_fan_out_by_department_or_listed_items(county, receiver):
    tx, box = county.transaction, county.box
    by_dept, secret = subscribe(tx, box, department="蒲县民政局", url=receiver.url, actor="a", at=T0)
    listed, _ = subscribe(tx, box, department="蒲县人社局", url=receiver.url, items=[2, 3], actor="a", at=T0)
    pull, none = subscribe(tx, box, department="蒲县人社局", actor="a", at=T0)
    assert secret and secret.startswith("whsec_") and none is None
    assert by_dept.matching_items == 1 and listed.matching_items == 2 and pull.matching_items == 1
    for n in (1, 2, 3):
        county.stamp(n)
    with session_scope(county.sessions) as s:
        owed = sorted(tuple(r) for r in s.execute(select(FeedDeliveryRow.subscription_id, FeedDeliveryRow.event_id)))
    assert owed == [(by_dept.id, 1), (listed.id, 2), (listed.id, 3)]


def _refusals(county) -> list[tuple[str, str, str, str | None]]:
    with session_scope(county.sessions) as s:
        rows = s.scalars(select(AuditEvent).where(AuditEvent.outcome == "refused").order_by(AuditEvent.id))
        return [(r.actor, r.action, r.target, r.code) for r in rows]


def test_a_refused_read_is_recorded_once_by_the_read_itself(county):
    county.stamp(1)
    with session_scope(county.sessions) as s:
        entry_id = s.scalar(select(FeedEventRow.entry_id))
    assert entry_id is not None
    clerk = Actor(person_id=2, name="窗口", role=Role.CLERK, township_id=county.township_id)
    with pytest.raises(ForbiddenError):
        read_feed(county.transaction, clerk, at=T0)
    assert _refusals(county) == [("窗口", "feed.read", "feed", "role_not_allowed")]
    with pytest.raises(ForbiddenError):
        find_event(county.transaction, clerk, entry_id, at=T0)
    assert _refusals(county)[1:] == [("窗口", "feed.read", f"entry:{entry_id}", "role_not_allowed")]
    read_feed(county.transaction, FeedScope(item_ids=None))  # the operator's read: nothing to record
    assert len(_refusals(county)) == 2
