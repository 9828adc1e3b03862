"""Engines, sessions and Alembic migrations.

SQLite is the embedded default; PostgreSQL is the backend for several workers or hosts. Schema
changes go through Alembic only (``migrate``), never ``create_all``.
"""

from __future__ import annotations

import re
import select
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from esign.db.writelock import WriterLockConnection

__all__ = [
    "READ_ONLY",
    "Transactions",
    "make_engine",
    "make_read_session_factory",
    "make_session_factory",
    "migrate",
    "one_statement_read",
    "script_head",
    "session_scope",
]

_MIGRATIONS = Path(__file__).parent / "migrations"

#: Opens one database transaction, committed when its block ends and rolled back on an error: what a use
#: case takes to own its transaction (:meth:`esign.deployment.Deployment.transaction`, or
#: ``lambda: session_scope(factory)``). Routes and commands pass it on; they never hold the session.
Transactions = Callable[[], AbstractContextManager[Session]]


#: Execution option of the engine behind :func:`make_read_session_factory`: its transactions only read.
READ_ONLY = "esign_read_only"


def _sqlite_begin(conn: Any) -> None:
    # A writing transaction takes the database's write lock at its first statement (BEGIN IMMEDIATE), so
    # that appends are serialized and no transaction fails half-way on a lock it cannot upgrade. A
    # reading one must not: under WAL a reader sees the last commit and neither waits for the writer nor
    # holds it off, whereas BEGIN IMMEDIATE would queue every read behind every write, in every process,
    # through SQLite's busy handler (which sleeps in steps of up to 100 ms). query_only makes the
    # promise hold: a write in a reading transaction fails instead of racing for the lock.
    # The pragma is set only when it changes: a pooled connection remembers it (esign.db.writelock).
    raw = conn.connection.dbapi_connection
    read_only = bool(conn.get_execution_options().get(READ_ONLY))
    if not isinstance(raw, WriterLockConnection) or raw.query_only is not read_only:
        conn.exec_driver_sql(f"PRAGMA query_only={'ON' if read_only else 'OFF'}")
        if isinstance(raw, WriterLockConnection):
            raw.query_only = read_only
    if read_only:
        conn.exec_driver_sql("BEGIN")
    elif isinstance(raw, WriterLockConnection):  # in line behind the other writers (esign.db.writelock)
        raw.begin_writing()
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` with the settings esign relies on (SQLite: WAL, foreign keys, busy timeout)."""
    if url.startswith("sqlite"):
        connect_args = {"check_same_thread": False, "timeout": 30, "factory": WriterLockConnection}
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; emit it ourselves (see _sqlite_begin)
        event.listen(engine, "begin", _sqlite_begin)

        @event.listens_for(engine, "connect")
        def _no_autobegin(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None

        return engine
    engine = create_engine(url, **kwargs)
    ping = engine.dialect.do_ping

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        check_pooled(dbapi_conn, ping)

    return engine


def check_pooled(dbapi_conn: Any, ping: Callable[[Any], object]) -> None:
    """Hand out a pooled PostgreSQL connection only if the server has not closed it (a restart, an
    administrator's ``pg_terminate_backend``, an idle timeout): else the pool opens a new one, and the
    request never sees the old one fail.

    SQLAlchemy's ``pool_pre_ping`` asks the server (``SELECT 1``) on every checkout: a round trip, about
    14 per stamp flow, 1.7 ms of its wall time and as many transactions for the server to count. A server
    that closes a connection tells the client first (an error message, then the end of the stream), so the
    socket of a connection it closed has something to read, and a healthy idle one has nothing. So the
    socket is polled without waiting, and only a connection with something to read is pinged (which also
    reads it); a failed ping raises :class:`~sqlalchemy.exc.DisconnectionError`, on which the pool opens
    a fresh connection (SQLAlchemy, "Connection Pooling", disconnect handling: the checkout-event form).
    A server that vanishes without a word (its host lost) is not seen here; the pre-ping would wait for
    it just as the request does.
    """
    if getattr(dbapi_conn, "closed", False) or getattr(dbapi_conn, "broken", False):
        raise exc.DisconnectionError("connection closed")
    poller = select.poll()
    poller.register(dbapi_conn.fileno(), select.POLLIN | select.POLLPRI)
    if not poller.poll(0):
        return  # nothing from the server while it sat in the pool
    try:
        ping(dbapi_conn)  # the dialect's own (an autocommit SELECT 1)
    except Exception as error:
        raise exc.DisconnectionError(f"connection closed by the server: {error}") from error


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def make_read_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for transactions that only read: on SQLite they begin deferred and refuse writes
    (``PRAGMA query_only``), so they run beside a writer instead of after it; on PostgreSQL, where
    readers never wait for writers, they are ordinary transactions."""
    return sessionmaker(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)


@contextmanager
def one_statement_read(engine: Engine) -> Iterator[Connection]:
    """A connection for a read of one statement. On PostgreSQL it runs outside any transaction
    (autocommit: one round trip, where BEGIN, the statement and the transaction's end are three; one
    statement sees one snapshot either way); on SQLite in a reading transaction (:data:`READ_ONLY`),
    which never waits for the writer."""
    if engine.dialect.name == "postgresql":
        options: dict[str, Any] = {"isolation_level": "AUTOCOMMIT"}
    else:
        options = {READ_ONLY: True}
    with engine.connect().execution_options(**options) as conn:
        yield conn


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


#: ``revision = "0006"`` / ``down_revision = None`` at the start of a line of a revision file.
_REVISION_LINE = re.compile(r"""^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(?:['"]([\w-]+)['"]|(None))\s*$""", re.M)


def script_head() -> str | None:
    """The newest revision, read from the revision files' ``revision`` and ``down_revision`` lines without
    importing Alembic; ``None`` when they do not name exactly one head in plain form (Alembic decides then)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (_MIGRATIONS / "versions").glob("*.py"):
        found = {key: value or None for key, value, _none in _REVISION_LINE.findall(path.read_text(encoding="utf-8"))}
        if "revision" not in found or "down_revision" not in found or found["revision"] is None:
            return None  # a merge (a tuple of parents) or an unusual layout
        revisions.add(found["revision"])
        if found["down_revision"] is not None:
            parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 and parents <= revisions else None


def _at_head(engine: Engine) -> bool:
    """Whether the database already records exactly the newest revision (a read; no Alembic import)."""
    head = script_head()
    if head is None:
        return False
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        current = [row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))]
    return current == [head]


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (idempotent).

    A database that already records the newest revision is left alone without loading Alembic and its
    revision scripts (a third of opening a home, for a command that only reads).
    """
    import esign.models  # noqa: F401  (registers every table on Base.metadata)

    if _at_head(engine):
        return
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # hosts starting together migrate one after the other
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('esign-migrate:' || current_schema()))"))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
