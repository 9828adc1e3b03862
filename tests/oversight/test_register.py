"""The county's register: filters, scopes, keyset and offset paging, the projection, exports."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from sqlalchemy import update

from esign.ledger import DocumentType
from esign.ledger.errors import LedgerIntegrityError
from esign.ledger.export import REGISTER_COLUMNS
from esign.ledger.models import LedgerEntryRow
from esign.oversight import (
    Cursor,
    RegisterFilter,
    Scope,
    iter_register,
    oversight_csv,
    oversight_xlsx,
    query_register,
    sync_projection,
)
from esign.oversight.api import beijing_day_start
from tests.oversight.conftest import at_beijing, make_entry

ALL = Scope(township_ids=None, departments=None, refusals=True)


def _ids(page) -> list[str]:
    return [r.line.entry_id for r in page.rows]


@pytest.fixture
def entries(county):
    k, g = county.kecheng, county.guxian
    return county.add(
        [
            make_entry(k, at_beijing(2026, 3, 1, 9), item=1),
            # 23:30 UTC on 1 March is 07:30 on 2 March in Beijing: it belongs to 2 March.
            make_entry(k, at_beijing(2026, 3, 2, 7, 30), item=2, document_type=DocumentType.APPROVAL_DECISION),
            make_entry(g, at_beijing(2026, 3, 2, 10), item=3, user="古县乡窗口二"),
            make_entry(g, at_beijing(2026, 3, 31, 23, 59), item=4, approver="古县乡副批准人"),
            make_entry(k, at_beijing(2026, 4, 1, 0, 0), item=1, count=3),
        ]
    )


def test_filters_combine_and_days_are_beijing_days(county, entries):
    with county.sessions.begin() as s:
        got = query_register(s, ALL, RegisterFilter())
        assert got.total == 5 and _ids(got) == [e.entry_id for e in entries]
        march = RegisterFilter(
            since=beijing_day_start(dt.date(2026, 3, 2)), until=beijing_day_start(dt.date(2026, 4, 1))
        )
        assert _ids(query_register(s, ALL, march)) == [e.entry_id for e in entries[1:4]]
        assert _ids(query_register(s, ALL, RegisterFilter(township_id=county.guxian.id))) == [
            entries[2].entry_id,
            entries[3].entry_id,
        ]
        assert _ids(query_register(s, ALL, RegisterFilter(item="1"))) == [entries[0].entry_id, entries[4].entry_id]
        assert _ids(query_register(s, ALL, RegisterFilter(item="宅基地"))) == [entries[2].entry_id]
        assert _ids(query_register(s, ALL, RegisterFilter(user="古县乡窗口二"))) == [entries[2].entry_id]
        assert _ids(query_register(s, ALL, RegisterFilter(approver="古县乡副批准人"))) == [entries[3].entry_id]
        doc = RegisterFilter(document_type=DocumentType.APPROVAL_DECISION.value)
        assert _ids(query_register(s, ALL, doc)) == [entries[1].entry_id]
        both = RegisterFilter(township_id=county.kecheng.id, item="1", since=march.since)
        assert _ids(query_register(s, ALL, both)) == [entries[4].entry_id]
        row = query_register(s, ALL, RegisterFilter(item="2")).rows[0]
        assert (row.township_name, row.item_type, row.department) == ("克城镇", "行政给付", "蒲县民政局")
        assert row.line.approver == "克城镇批准人" and row.line.user == "克城镇窗口"


def test_scopes_limit_townships_and_departments(county, entries):
    with county.sessions.begin() as s:
        own = Scope(township_ids=frozenset({county.kecheng.id}), departments=None, refusals=True)
        assert _ids(query_register(s, own, RegisterFilter())) == [entries[i].entry_id for i in (0, 1, 4)]
        # The other township's filter inside a township scope finds nothing (the route refuses it outright).
        assert query_register(s, own, RegisterFilter(township_id=county.guxian.id)).total == 0
        civil = Scope(township_ids=None, departments=frozenset({"县民政局", "蒲县民政局"}), refusals=False)
        assert _ids(query_register(s, civil, RegisterFilter())) == [entries[i].entry_id for i in (0, 1, 4)]
        nothing = Scope(township_ids=frozenset(), departments=None, refusals=False)
        assert query_register(s, nothing, RegisterFilter()).total == 0


def test_keyset_and_offset_paging_walk_every_row_once(county):
    k, g = county.kecheng, county.guxian
    same = at_beijing(2026, 3, 5, 10)
    made = county.add(
        [make_entry(k if i % 2 else g, at_beijing(2026, 3, 1 + i % 20, 9 + i % 8)) for i in range(37)]
        + [make_entry(k, same) for _ in range(5)]  # ties on signed_at are ordered by log index
    )
    with county.sessions.begin() as s:
        expected = [r.line.entry_id for r in query_register(s, ALL, RegisterFilter(limit=1000)).rows]
        assert sorted(expected) == sorted(e.entry_id for e in made)
        for newest_first in (False, True):
            seen: list[str] = []
            cursor = None
            while True:
                page = query_register(s, ALL, RegisterFilter(after=cursor, limit=7, newest_first=newest_first))
                assert len(page.rows) <= 7 and page.total == 42
                seen += _ids(page)
                cursor = page.next_cursor
                if cursor is None:
                    break
                cursor = Cursor.decode(cursor.encode())  # survives the round trip through a URL
            assert seen == (expected[::-1] if newest_first else expected)
        by_offset = [
            eid
            for off in range(0, 42, 10)
            for eid in _ids(query_register(s, ALL, RegisterFilter(offset=off, limit=10)))
        ]
        assert by_offset == expected
        assert [r.line.entry_id for r in iter_register(s, ALL, RegisterFilter(), page=4)] == expected
        assert query_register(s, ALL, RegisterFilter(with_total=False)).total is None


def test_bad_filters_are_input_errors():
    from esign.errors import InputError

    with pytest.raises(InputError):
        RegisterFilter(limit=0)
    with pytest.raises(InputError):
        Cursor.decode("not-a-cursor")
    with pytest.raises(InputError):
        RegisterFilter(after=Cursor.decode(Cursor(at_beijing(2026, 1, 1), 3).encode()), offset=5)


def test_projection_is_incremental_idempotent_and_checks_hashes(county, entries):
    with county.sessions.begin() as s:
        assert sync_projection(s) == 5
        assert sync_projection(s) == 0
    county.add([make_entry(county.kecheng, at_beijing(2026, 4, 2))])
    with county.sessions.begin() as s:
        assert sync_projection(s, batch=1) == 1
    # A body changed behind the log's back no longer matches its leaf hash: the register refuses to show it.
    with county.sessions.begin() as s:
        row = s.get(LedgerEntryRow, 0)
        assert row is not None
        forged = bytes(row.body).replace("受理申请".encode(), "伪造事由".encode())
        s.execute(update(LedgerEntryRow).where(LedgerEntryRow.idx == 0).values(body=forged))
    with county.sessions.begin() as s, pytest.raises(LedgerIntegrityError):
        query_register(s, ALL, RegisterFilter())


def test_exports_have_chinese_headers_and_every_row(county, entries):
    with county.sessions.begin() as s:
        rows = list(iter_register(s, ALL, RegisterFilter()))
    book = openpyxl.load_workbook(io.BytesIO(oversight_xlsx(rows, title="全县用印登记台账")))
    sheet = book.active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("乡镇", *REGISTER_COLUMNS)
    assert values[0][1:6] == ("日期", "事由", "批准人", "使用人", "使用数")
    assert len(values) == 6
    assert values[1][:6] == ("克城镇", "2026-03-01 09:00", "受理申请", "克城镇批准人", "克城镇窗口", 1)
    assert values[5][0] == "克城镇" and values[5][5] == 3 and values[5][-1] == entries[4].entry_id
    text = oversight_csv(rows).decode("utf-8")
    assert text.startswith("\ufeff")
    parsed = list(csv.reader(io.StringIO(text[1:])))
    assert parsed[0][:3] == ["乡镇", "日期", "事由"] and len(parsed) == 6
    assert parsed[3][0] == "古县乡" and parsed[3][3] == "古县乡批准人" and parsed[3][4] == "古县乡窗口二"
