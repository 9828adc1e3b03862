"""A small county on SQLite and PostgreSQL with register entries written straight into the log.

The entries are real :class:`esign.ledger.LedgerEntry` values appended with :func:`esign.ledger.append`
(the same call the workflow makes), with signing times chosen by the test; no PDF is stamped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from esign.db import make_session_factory
from esign.ledger import DocumentType, LedgerEntry, append
from esign.registry import add_township, create_county, grant_items, import_catalog
from esign.registry.catalog import CatalogItem
from esign.registry.models import Township
from esign.setup import demo_uscc

CATALOG = "测试目录"
#: number, name, type, department
ITEMS = (
    (1, "老年人高龄补贴发放", "公共服务", "县民政局"),
    (2, "临时救助", "行政给付", "蒲县民政局"),
    (3, "农村村民宅基地审批", "行政许可", "县自然资源局"),
    (4, "计划生育情况证明", "行政确认", ""),
)
_ids = itertools.count(1)


def at_beijing(y: int, mo: int, d: int, h: int = 10, mi: int = 0) -> dt.datetime:
    """An aware UTC time given as Beijing wall-clock time."""
    return dt.datetime(y, mo, d, h, mi, tzinfo=dt.timezone(dt.timedelta(hours=8))).astimezone(dt.UTC)


def make_entry(
    township: Township,
    signed_at: dt.datetime,
    *,
    item: int = 1,
    user: str | None = None,
    approver: str | None = None,
    document_type: DocumentType = DocumentType.ACCEPTANCE_NOTICE,
    title: str = "受理通知书",
    reason: str = "受理申请",
    count: int = 1,
) -> LedgerEntry:
    n = next(_ids)
    return LedgerEntry(
        entry_id=f"test-entry-{n:012d}",
        township_id=str(township.id),
        township_name=township.name,
        seal_id=str(township.id),
        cert_serial=f"{1000 + township.id:x}",
        item_number=str(item),
        item_name=ITEMS[item - 1][1],
        document_type=document_type,
        document_title=title,
        reason=reason,
        user=user or f"{township.name}窗口",
        approver=approver or f"{township.name}批准人",
        count=count,
        input_sha256=hashlib.sha256(f"in{n}".encode()).hexdigest(),
        output_sha256=hashlib.sha256(f"out{n}".encode()).hexdigest(),
        signed_at=signed_at,
    )


@dataclass
class County:
    sessions: sessionmaker[Session]
    kecheng: Township
    guxian: Township

    def add(self, entries: list[LedgerEntry]) -> list[LedgerEntry]:
        with self.sessions.begin() as session:
            for e in entries:
                append(session, e, at=e.signed_at)
        return entries


@pytest.fixture
def county(engine: Engine) -> Iterator[County]:
    factory = make_session_factory(engine)
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with factory.begin() as session:
        create_county(session, "蒲县", province="山西省", city="临汾市", office="蒲县行政审批服务管理局", at=t0)
        import_catalog(session, CATALOG, [CatalogItem(number=n, name=a, type=t, department=d) for n, a, t, d in ITEMS])
        townships = []
        for k, (name, region) in enumerate((("克城镇", "141033103000"), ("古县乡", "141033201000")), start=1):
            t = add_township(session, name, uscc=demo_uscc(region[:6], k), region_code=region, at=t0)
            grant_items(session, t, CATALOG)
            townships.append(t)
        session.flush()
        session.expunge_all()
    yield County(factory, townships[0], townships[1])


# The service fixtures (demo county behind TestClient, live server, headless Chromium).
from tests.service.conftest import browser, demo, live_demo  # noqa: E402, F401
