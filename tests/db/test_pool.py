"""Pooled PostgreSQL connections that the server has closed (a restart, ``pg_terminate_backend``) are
replaced at checkout, so the transaction that asks for one never sees it fail; healthy ones are handed
out without a round trip (``esign.db.engine.check_pooled``)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DisconnectionError

from esign.db import make_engine
from esign.db.engine import check_pooled
from tests.conftest import PG_ADMIN_URL, pg_schema

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_engine() -> Iterator[Engine]:
    with pg_schema() as url:
        engine = make_engine(url, pool_size=2, max_overflow=0)
        yield engine
        engine.dispose()


def _terminate(*pids: int) -> None:
    """End these server processes as an administrator (or a restart) would, and wait until they are gone."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")  # each look at pg_stat_activity anew
    try:
        with admin.connect() as conn:
            for pid in pids:
                conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
            for _ in range(100):
                alive = conn.execute(
                    text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:p)"), {"p": list(pids)}
                )
                if alive.scalar_one() == 0:
                    return
                time.sleep(0.05)
        raise AssertionError(f"server processes {pids} still alive")
    finally:
        admin.dispose()


def _backend(engine: Engine) -> int:
    with engine.begin() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_the_server_closed_is_replaced_before_the_transaction_uses_it(pg_engine):
    first = _backend(pg_engine)
    assert _backend(pg_engine) == first  # pooled: the same server process again
    _terminate(first)
    with pg_engine.begin() as conn:  # no error: the pool opened a new connection
        assert conn.execute(text("SELECT 41 + 1")).scalar_one() == 42
    assert _backend(pg_engine) != first


def test_every_pooled_connection_closed_at_once_as_in_a_restart(pg_engine):
    with pg_engine.connect() as a, pg_engine.connect() as b:  # two connections in the pool
        pids = [int(c.execute(text("SELECT pg_backend_pid()")).scalar_one()) for c in (a, b)]
    _terminate(*pids)
    for _ in range(4):
        with pg_engine.begin() as conn:
            assert conn.execute(text("SELECT 1")).scalar_one() == 1


def test_a_healthy_connection_is_not_pinged_and_a_closed_one_is(pg_engine):
    pings: list[object] = []

    def ping(dbapi_conn: object) -> None:
        pings.append(dbapi_conn)
        pg_engine.dialect.do_ping(dbapi_conn)

    raw = pg_engine.raw_connection()
    try:
        dbapi_conn = raw.dbapi_connection
        check_pooled(dbapi_conn, ping)
        assert pings == []  # nothing from the server: handed out as it is
        with dbapi_conn.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            pid = cur.fetchone()[0]
        dbapi_conn.rollback()
        _terminate(pid)
        with pytest.raises(DisconnectionError):
            check_pooled(dbapi_conn, ping)
        assert pings == [dbapi_conn]  # the server's goodbye was read by a real ping, which failed
    finally:
        raw.invalidate()
