"""A small county in any database, a way to record stamps without PDFs, and a real webhook receiver."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy.orm import Session, sessionmaker

from esign.db import make_engine, make_session_factory, session_scope
from esign.feed import FeedEvent, SecretBox, WebhookSignatureError, record_stamp_event, verify_webhook
from esign.ledger import DocumentType, LedgerEntry, append, new_entry_id
from esign.registry import add_township, create_county, grant_items, import_catalog, request_seal
from esign.registry.catalog import CatalogItem
from esign.registry.models import Seal, Township
from esign.setup import demo_uscc

T0 = dt.datetime(2024, 5, 6, 2, 0, tzinfo=dt.UTC)
CATALOG = "测试目录"
#: number -> (name, department)
ITEMS = {1: ("老年人高龄补贴发放", "民政局"), 2: ("灵活就业人员社保登记", "蒲县人社局"), 3: ("便民证明", "")}


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class SmallCounty:
    sessions: sessionmaker[Session]
    township_id: int
    seal_id: int
    box: SecretBox

    def transaction(self) -> AbstractContextManager[Session]:
        """One transaction, as ``Deployment.transaction`` opens it: what the feed's use cases take."""
        return session_scope(self.sessions)

    def stamp(self, item: int, *, at: dt.datetime = T0, title: str = "受理通知书") -> FeedEvent:
        """Append a register entry and its feed event in one transaction, as the workflow does."""
        with session_scope(self.sessions) as session:
            entry = make_entry(session, self.township_id, self.seal_id, item, at=at, title=title)
            append(session, entry, at=at)
            return record_stamp_event(session, entry, at=at, verify_url=f"https://esign.example/v/{entry.entry_id}")


def make_entry(session: Session, township_id: int, seal_id: int, item: int, *, at: dt.datetime, title: str):
    township = session.get(Township, township_id)
    seal = session.get(Seal, seal_id)
    assert township is not None and seal is not None
    return LedgerEntry(
        entry_id=new_entry_id(),
        township_id=str(township_id),
        township_name=township.name,
        seal_id=str(seal_id),
        cert_serial="1a2b",
        item_number=str(item),
        item_name=ITEMS[item][0],
        document_type=DocumentType.ACCEPTANCE_NOTICE,
        document_title=title,
        reason="受理申请",
        user="克城镇窗口",
        approver="克城镇批准人",
        count=1,
        input_sha256=hashlib.sha256(b"in" + title.encode()).hexdigest(),
        output_sha256=hashlib.sha256(new_entry_id().encode()).hexdigest(),
        signed_at=at,
    )


@pytest.fixture
def county(db_url: str) -> Iterator[SmallCounty]:
    engine = make_engine(db_url)
    sessions = make_session_factory(engine)
    items = [CatalogItem(number=n, name=name, type="公共服务", department=d) for n, (name, d) in ITEMS.items()]
    with session_scope(sessions) as s:
        create_county(s, "蒲县", province="山西省", city="临汾市", office="蒲县行政审批服务管理局", at=T0)
        import_catalog(s, CATALOG, items)
        township = add_township(s, "克城镇", uscc=demo_uscc("141033", 4), region_code="141033103000", at=T0)
        grant_items(s, township, CATALOG)
        seal = request_seal(s, township, actor="县审批局管理员", reason="刻制", at=T0)
        ids = (township.id, seal.id)
    yield SmallCounty(sessions, ids[0], ids[1], SecretBox(b"test passphrase"))
    engine.dispose()


@dataclass
class Receiver:
    """A department's webhook endpoint: checks each request like a real receiver and dedupes by event id."""

    secret: str = ""
    fail_first: int = 0
    delay: float = 0.0
    posts: list[dict[str, object]] = field(default_factory=list)
    accepted: dict[int, dict[str, object]] = field(default_factory=dict)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, body: bytes, headers: dict[str, str]) -> int:
        import time

        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            record: dict[str, object] = {"headers": headers, "body": body}
            try:
                event = verify_webhook(self.secret, body, headers, at=now())
                record["valid"] = True
            except WebhookSignatureError as exc:
                record["valid"], record["error"] = False, exc.code
                self.posts.append(record)
                return 401
            record["fresh"] = abs(now().timestamp() - int(headers["esign-timestamp"])) <= 300
            self.posts.append(record)
            if len(self.posts) <= self.fail_first:
                return 500
            self.accepted.setdefault(int(event["id"]), event)  # dedupe: a second copy changes nothing
            return 204


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            status = rec.handle(body, {k.lower(): v for k, v in self.headers.items()})
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    rec.url = f"http://127.0.0.1:{server.server_address[1]}/esign-hook"
    yield rec
    server.shutdown()
    server.server_close()
    thread.join(5)
