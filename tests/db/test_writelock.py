"""SQLite's writing transactions wait for each other on the lock file beside the database
(``esign.db.writelock``), across threads and processes; reading transactions take no lock, see the
last commit while a writer is at work, and refuse to write (on PostgreSQL they are ordinary)."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from esign.db import make_engine, make_read_session_factory, make_session_factory, one_statement_read, session_scope

ROOT = Path(__file__).resolve().parents[2]

_INSERT = "INSERT INTO rate_counts (client, minute, count) VALUES (:c, 1, :n)"
_COUNT = "SELECT count FROM rate_counts WHERE client = :c"


def _lock_file(db_url: str) -> Path:
    path = Path(db_url.removeprefix("sqlite:///"))
    return path.with_name(path.name + "-writer.lock")


def _taken(lock: Path) -> bool:
    """Whether some open file description holds the lock (tried from a new one, without waiting)."""
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing releases it if we took it
    return False


def test_a_reading_transaction_sees_the_last_commit_while_a_writer_is_at_work(engine: Engine):
    writes, reads = make_session_factory(engine), make_read_session_factory(engine)
    with session_scope(writes) as s:
        s.execute(text(_INSERT), {"c": "a", "n": 1})
    with session_scope(writes) as writer:
        writer.execute(text("UPDATE rate_counts SET count = 2 WHERE client = 'a'"))
        # the writer holds the write lock (SQLite) or the row (PostgreSQL): the read neither waits nor sees it
        with session_scope(reads) as reader:
            assert reader.execute(text(_COUNT), {"c": "a"}).scalar_one() == 1
    with session_scope(reads) as reader:
        assert reader.execute(text(_COUNT), {"c": "a"}).scalar_one() == 2


def test_a_one_statement_read_sees_the_last_commit_beside_a_writer_and_opens_no_transaction(engine: Engine):
    writes = make_session_factory(engine)
    with session_scope(writes) as s:
        s.execute(text(_INSERT), {"c": "a", "n": 1})
    with session_scope(writes) as writer:
        writer.execute(text("UPDATE rate_counts SET count = 2 WHERE client = 'a'"))
        with one_statement_read(engine) as conn:  # neither waits for the writer nor sees its work
            assert conn.execute(text(_COUNT), {"c": "a"}).scalar_one() == 1
    with one_statement_read(engine) as conn:
        assert conn.execute(text(_COUNT), {"c": "a"}).scalar_one() == 2
        if engine.dialect.name == "postgresql":
            # no BEGIN before it: the statement is its own transaction, which started when it did
            assert conn.execute(text("SELECT now() = statement_timestamp()")).scalar_one() is True
        else:  # a reading transaction: a write in it fails
            with pytest.raises(DBAPIError, match="readonly"):
                conn.execute(text(_INSERT), {"c": "b", "n": 1})
    with session_scope(writes) as s:  # and a transaction after it is one again
        assert s.execute(text("SELECT count(*) FROM rate_counts")).scalar_one() == 1
        if engine.dialect.name == "postgresql":
            s.execute(text("SELECT pg_sleep(0.01)"))
            assert s.execute(text("SELECT now() < statement_timestamp()")).scalar_one() is True


def test_a_reading_transaction_refuses_to_write_on_sqlite(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'esign.db'}")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        with pytest.raises(DBAPIError, match="readonly"), session_scope(make_read_session_factory(engine)) as s:
            s.execute(text("INSERT INTO t VALUES (1)"))
        with session_scope(make_session_factory(engine)) as s:  # the same pooled connection writes again
            s.execute(text("INSERT INTO t VALUES (2)"))
            assert s.execute(text("SELECT x FROM t")).scalars().all() == [2]
    finally:
        engine.dispose()


def test_reading_and_writing_transactions_alternate_on_one_pooled_connection(tmp_path):
    # The connection remembers its PRAGMA query_only and a transaction sets it only when it changes:
    # every reading transaction still refuses to write, every writing one still writes.
    engine = make_engine(f"sqlite:///{tmp_path / 'esign.db'}", pool_size=1, max_overflow=0)
    writes, reads = make_session_factory(engine), make_read_session_factory(engine)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        for n in range(3):
            with session_scope(writes) as s:
                s.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
            with session_scope(writes) as s:  # twice in a row: still writing
                s.execute(text("INSERT INTO t VALUES (:n)"), {"n": 10 + n})
            for _ in range(2):  # twice in a row: still reading only
                with pytest.raises(DBAPIError, match="readonly"), session_scope(reads) as s:
                    s.execute(text("INSERT INTO t VALUES (99)"))
        with session_scope(reads) as s:
            assert sorted(s.execute(text("SELECT x FROM t")).scalars()) == [0, 1, 2, 10, 11, 12]
    finally:
        engine.dispose()


@pytest.fixture
def sqlite_url(db_url: str) -> str:
    if not db_url.startswith("sqlite"):
        pytest.skip("the lock file is SQLite's")
    return db_url


@pytest.fixture
def counted(sqlite_url: str) -> Iterator[Engine]:
    """An engine on the SQLite database, whose counter row ``n`` starts at 0."""
    engine = make_engine(sqlite_url)
    try:
        with session_scope(make_session_factory(engine)) as s:
            s.execute(text(_INSERT), {"c": "n", "n": 0})
        yield engine
    finally:
        engine.dispose()


def _child_env() -> dict[str, str]:
    """The environment of a child Python process that imports esign from this checkout."""
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def test_a_writing_transaction_holds_the_lock_file_until_it_ends(sqlite_url: str):
    engine = make_engine(sqlite_url)
    writes, reads = make_session_factory(engine), make_read_session_factory(engine)
    lock = _lock_file(sqlite_url)
    try:
        with session_scope(reads) as s:
            s.execute(text(_COUNT), {"c": "a"}).all()
        assert not lock.exists() or not _taken(lock)  # a read takes nothing
        with session_scope(writes) as s:
            s.execute(text(_INSERT), {"c": "a", "n": 1})
            assert _taken(lock)
        assert not _taken(lock)  # committed: released
        with pytest.raises(RuntimeError), session_scope(writes) as s:
            s.execute(text(_INSERT), {"c": "b", "n": 1})
            assert _taken(lock)
            raise RuntimeError("the use case fails")
        assert not _taken(lock)  # rolled back: released
        with session_scope(reads) as s:
            assert s.execute(text("SELECT client FROM rate_counts")).scalars().all() == ["a"]
    finally:
        engine.dispose()


def test_a_second_thread_writes_after_the_first_commits(counted: Engine):
    writes = make_session_factory(counted)
    first_in, second_saw = threading.Event(), []

    def second() -> None:
        first_in.wait()
        with session_scope(writes) as s:  # waits for the first writer, then sees its commit
            second_saw.append(s.execute(text(_COUNT), {"c": "n"}).scalar_one())

    thread = threading.Thread(target=second)
    thread.start()
    with session_scope(writes) as s:
        s.execute(text("UPDATE rate_counts SET count = 1 WHERE client = 'n'"))  # begins: the lock is taken
        first_in.set()
        thread.join(0.3)
        assert thread.is_alive()  # still waiting behind this transaction
    thread.join(30)
    assert second_saw == [1]


_WRITER = """
import sys, time
from sqlalchemy import text
from esign.db import make_engine, make_session_factory, session_scope
engine = make_engine(sys.argv[1])
writes = make_session_factory(engine)
for _ in range(int(sys.argv[2])):
    with session_scope(writes) as s:  # read, wait, write back: a lost update if two ran at once
        n = s.execute(text("SELECT count FROM rate_counts WHERE client = 'n'")).scalar_one()
        time.sleep(0.002)
        s.execute(text("UPDATE rate_counts SET count = :n WHERE client = 'n'"), {"n": n + 1})
print("done")
"""


def _python(*args: str) -> list[str]:
    return [sys.executable, "-c", *args]


def test_writers_in_several_processes_take_turns(sqlite_url: str, counted: Engine):
    procs = [
        subprocess.Popen(_python(_WRITER, sqlite_url, "40"), env=_child_env(), stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0] and all("done" in o for o in outs)
    with session_scope(make_read_session_factory(counted)) as s:
        assert s.execute(text(_COUNT), {"c": "n"}).scalar_one() == 120


_DIES_WRITING = """
import os, sys
from sqlalchemy import text
from esign.db import make_engine, make_session_factory
session = make_session_factory(make_engine(sys.argv[1]))()
session.execute(text("UPDATE rate_counts SET count = 7 WHERE client = 'n'"))
print("writing", flush=True)
sys.stdin.readline()
os._exit(9)  # killed in the middle of its transaction
"""


def test_a_process_killed_while_writing_leaves_neither_the_lock_nor_its_write(sqlite_url: str, counted: Engine):
    proc = subprocess.Popen(
        _python(_DIES_WRITING, sqlite_url), env=_child_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdin is not None
    assert proc.stdout.readline().strip() == "writing"
    assert _taken(_lock_file(sqlite_url))
    proc.stdin.write("\n")
    proc.stdin.flush()
    assert proc.wait(timeout=60) == 9
    assert not _taken(_lock_file(sqlite_url))
    with session_scope(make_session_factory(counted)) as s:
        assert s.execute(text(_COUNT), {"c": "n"}).scalar_one() == 0
        s.execute(text("UPDATE rate_counts SET count = 1 WHERE client = 'n'"))


def test_a_writer_behind_a_lock_that_is_never_let_go_gives_up_after_its_timeout(tmp_path):
    """Another process hangs in its write transaction: the next writer is refused with ``database is
    locked`` once its connection's timeout has passed, instead of waiting for ever."""
    import time

    from esign.db.writelock import WriterLockConnection

    database = tmp_path / "hung.db"
    lock = database.with_name(database.name + "-writer.lock")
    holder = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)  # another open file description: as another process
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        conn = WriterLockConnection(str(database), timeout=0.3, check_same_thread=False)
        try:
            t = time.monotonic()
            with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                conn.begin_writing()
            assert 0.3 <= time.monotonic() - t < 5
            fcntl.flock(holder, fcntl.LOCK_UN)  # let go: the next write goes through
            conn.begin_writing()
            conn.execute("CREATE TABLE t (x)")
            conn.commit()
        finally:
            conn.close()
    finally:
        os.close(holder)
