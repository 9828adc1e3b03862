"""State several hosts share through the database: documents in chunks, job leases, the public rate limit."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os

import pytest
from sqlalchemy import func, select, text
from starlette.requests import Request

from esign.config import Settings
from esign.db import make_engine, make_session_factory
from esign.deployment import Deployment
from esign.errors import NotFoundError
from esign.hosts import BlobStore, DbBlobStore, DocumentChunkRow, StoredDocumentRow, store_for
from esign.hosts.leases import hold
from service.ratelimit import RateLimitedError, RateLimiter


@pytest.fixture
def sessions(db_url):
    engine = make_engine(db_url)
    yield make_session_factory(engine)
    engine.dispose()


def _rows(sessions, table) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def test_documents_go_through_the_database_in_chunks(sessions, tmp_path):
    data = os.urandom(10_500)
    host_a = DbBlobStore(sessions, tmp_path / "a", chunk=1000)
    host_b = DbBlobStore(sessions, tmp_path / "b", chunk=1000)
    digest = host_a.put(data)
    assert digest == hashlib.sha256(data).hexdigest() and host_a.put(data) == digest
    assert _rows(sessions, DocumentChunkRow) == 11 and _rows(sessions, StoredDocumentRow) == 1
    # Host b has never seen the file: it reads it from the database into its own cache.
    assert not (tmp_path / "b").exists() and host_b.exists(digest)
    assert host_b.path(digest).read_bytes() == data and host_b.get(digest) == data
    with host_b.pending() as out:
        out.file.write(data[::-1])
        second = out.commit()
    assert host_a.get(second) == data[::-1]
    host_a.discard(second)
    assert not host_b.exists(second) and _rows(sessions, DocumentChunkRow) == 11
    with pytest.raises(NotFoundError):  # b's cached copy is not served once the database dropped it
        host_b.path(second)
    assert not list(tmp_path.rglob(".tmp-*"))


def test_a_write_cut_short_leaves_no_rows(sessions, tmp_path):
    class Dies(io.BytesIO):
        def read(self, n: int | None = -1) -> bytes:
            if self.tell() >= 1000:
                raise OSError("killed")
            return super().read(n)

    store = DbBlobStore(sessions, tmp_path, chunk=1000)
    with pytest.raises(OSError):
        store._save("ab" * 32, Dies(os.urandom(5000)))
    assert _rows(sessions, DocumentChunkRow) == 0 and not store.exists("ab" * 32)
    for digest in ("../../etc/passwd", "cd" * 32):
        with pytest.raises(NotFoundError):
            store.path(digest)


def test_retention_purges_database_documents(sessions, tmp_path):
    store = DbBlobStore(sessions, tmp_path)
    old, kept, fresh = store.put(b"old"), store.put(b"kept"), store.put(b"fresh")
    with sessions.begin() as session:
        for row in session.scalars(select(StoredDocumentRow).where(StoredDocumentRow.sha256.in_([old, kept]))):
            row.stored_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
    removed = store.purge_older_than(dt.datetime.now(dt.UTC) - dt.timedelta(days=365), keep={kept})
    assert removed == 1 and not store.exists(old) and store.exists(kept) and store.exists(fresh)


def test_auto_store_is_the_database_on_postgresql_only(db_url, tmp_path):
    dep = Deployment(Settings(home=tmp_path, database_url=db_url))
    expected = DbBlobStore if db_url.startswith("postgresql") else BlobStore
    assert type(store_for(dep)) is expected
    folder = Deployment(Settings(home=tmp_path, database_url=db_url, document_store="folder"))
    assert type(store_for(folder)) is BlobStore
    dep.engine.dispose()


def test_a_lease_passes_to_another_host_only_when_it_runs_out(sessions):
    at, lease = dt.datetime(2026, 12, 7, tzinfo=dt.UTC), dt.timedelta(seconds=30)
    assert hold(sessions, "checkpoints", "a:1", at=at, lease=lease)
    assert not hold(sessions, "checkpoints", "b:2", at=at + dt.timedelta(seconds=10), lease=lease)
    assert hold(sessions, "checkpoints", "a:1", at=at + dt.timedelta(seconds=20), lease=lease)  # renewed
    assert not hold(sessions, "checkpoints", "b:2", at=at + dt.timedelta(seconds=45), lease=lease)
    assert hold(sessions, "checkpoints", "b:2", at=at + dt.timedelta(seconds=51), lease=lease)  # a died
    assert not hold(sessions, "checkpoints", "a:1", at=at + dt.timedelta(seconds=52), lease=lease)


def _request(host: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "headers": [], "client": (host, 1234)})


@pytest.mark.postgres
def test_public_rate_limit_holds_across_hosts(db_url, sessions):
    if not db_url.startswith("postgresql"):
        pytest.skip("the shared count is PostgreSQL's")
    hosts = [RateLimiter(10, sessions), RateLimiter(10, sessions)]
    for i in range(10):
        hosts[i % 2].check(_request("192.0.2.7"))
    for limiter in hosts:
        with pytest.raises(RateLimitedError):
            limiter.check(_request("192.0.2.7"))
    hosts[1].check(_request("192.0.2.8"))  # another address has its own count


class _Clock:
    """Seconds since the epoch, moved by hand."""

    def __init__(self, at: float) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


def _allowed(limiter: RateLimiter, host: str) -> bool:
    try:
        limiter.check(_request(host))
    except RateLimitedError:
        return False
    return True


def _count(sessions, host: str) -> int:
    from esign.hosts import RateCountRow

    with sessions() as session:
        return sum(session.scalars(select(RateCountRow.count).where(RateCountRow.client == host)))


@pytest.mark.postgres
def test_public_rate_limit_takes_blocks_and_never_passes_the_limit(db_url, sessions):
    if not db_url.startswith("postgresql"):
        pytest.skip("the shared count is PostgreSQL's")
    clock = _Clock(1_800_000_000.0)  # the start of a minute
    a, b = RateLimiter(30, sessions, clock=clock), RateLimiter(30, sessions, clock=clock)
    assert a.block == 3
    assert _allowed(a, "192.0.2.9")
    assert _count(sessions, "192.0.2.9") == 3  # a block taken at once ...
    assert _allowed(a, "192.0.2.9") and _allowed(a, "192.0.2.9")
    assert _count(sessions, "192.0.2.9") == 3  # ... and spent without asking the database again
    # evenly over two processes: exactly the limit
    allowed = 3 + sum(_allowed((a, b)[i % 2], "192.0.2.9") for i in range(40))
    assert allowed == 30
    # unevenly: never more than the limit, at most block - 1 early for the other process's unused tokens
    clock.at += 120  # two minutes on: a fresh count
    allowed = sum(_allowed(a, "192.0.2.10") for _ in range(28))
    allowed += sum(_allowed(b, "192.0.2.10") for _ in range(10))
    allowed += sum(_allowed(a, "192.0.2.10") for _ in range(10))
    assert 30 - (a.block - 1) <= allowed <= 30


@pytest.mark.postgres
def test_public_rate_limit_blocks_end_with_their_minute_and_refusals_are_remembered(db_url, sessions):
    if not db_url.startswith("postgresql"):
        pytest.skip("the shared count is PostgreSQL's")
    clock = _Clock(1_800_000_059.0)  # one second before a minute ends
    limiter = RateLimiter(100, sessions, clock=clock)
    assert _allowed(limiter, "192.0.2.11")  # takes a block of 10, holds 9
    clock.at += 2  # the next minute: the 9 left are not spent in it
    assert _allowed(limiter, "192.0.2.11")
    with sessions() as session:
        from esign.hosts import RateCountRow

        rows = dict(session.execute(select(RateCountRow.minute, RateCountRow.count)).all())
    assert sorted(rows.values()) == [10, 10] and len(rows) == 2

    clock.at = 1_800_000_300.0  # a fresh minute; spend the whole limit
    assert sum(_allowed(limiter, "192.0.2.12") for _ in range(100)) == 100
    before = _count(sessions, "192.0.2.12")
    assert not _allowed(limiter, "192.0.2.12")  # refused by the shared count ...
    after_refusal = _count(sessions, "192.0.2.12")
    assert not _allowed(limiter, "192.0.2.12")  # ... then, within a second, without asking it again
    assert _count(sessions, "192.0.2.12") == after_refusal > before
    clock.at += 1.5
    assert not _allowed(limiter, "192.0.2.12")  # a second later it asks again (and is refused again)
    assert _count(sessions, "192.0.2.12") > after_refusal


@pytest.mark.postgres
def test_public_rate_limit_many_requests_at_once_take_one_block(db_url, sessions):
    """16 requests from one address arriving together in one process: far under the limit, all admitted,
    and the shared count grows by one block, not by a block per request."""
    if not db_url.startswith("postgresql"):
        pytest.skip("the shared count is PostgreSQL's")
    import threading

    limiter = RateLimiter(100, sessions, clock=_Clock(1_800_000_600.0))
    start = threading.Barrier(16)
    answers: list[bool] = []

    def one() -> None:
        start.wait()
        answers.append(_allowed(limiter, "192.0.2.13"))

    threads = [threading.Thread(target=one) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert answers == [True] * 16
    assert _count(sessions, "192.0.2.13") == 2 * limiter.block  # 16 requests: two blocks of 10


def test_chunks_are_kept_as_they_are_not_compressed_again(db_url, sessions, tmp_path):
    # A PDF's streams are compressed already; the server compressing each chunk again costs CPU per stamp.
    if not db_url.startswith("postgresql"):
        pytest.skip("a PostgreSQL storage setting")
    data = b"%PDF-1.7\n" + b"0" * 200_000  # as compressible as anything: still stored as it is
    digest = DbBlobStore(sessions, tmp_path).put(data)
    with sessions() as session:
        methods = session.execute(
            text("SELECT pg_column_compression(data) FROM document_chunks WHERE sha256 = :d"), {"d": digest}
        ).scalars()
        assert list(methods) == [None]
    assert DbBlobStore(sessions, tmp_path / "other").get(digest) == data
