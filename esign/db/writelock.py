"""SQLite's write lock, waited for in line: one writing transaction at a time per database file,
over every thread and every process, the next one starting as soon as the last one ends.

SQLite itself lets a writer that finds the database locked sleep and try again (the busy handler
behind ``busy_timeout``): 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, then 100 ms at a time. Under
load, with a write transaction lasting a few milliseconds, the waiters sleep through most of the
free moments, wake to find the lock taken again, and sleep longer: measured on the service (bench
section 6, SQLite, 2 workers, 16 clients), the approval's threads spent about 70% of their time in
``BEGIN IMMEDIATE``, and a few unlucky writers waited for seconds while others came and went.

So a writing transaction first takes an exclusive ``flock`` on a file beside the database
(``esign.db-writer.lock``), then begins. Threads of one process queue on a lock of their own first
(woken by the one before them), so that only one of them waits on the file; it asks for the file lock
again every 2 ms at most, so a writer of another process gets in within 2 ms of its turn, and gives up
after the connection's timeout with ``database is locked``, as SQLite would. The lock is taken by
:func:`esign.db.make_engine`'s writing transactions only; readers (WAL) take nothing. Another program
writing the database without this lock (the ``sqlite3`` shell, a backup) is still waited for by
SQLite's busy handler, as before. A ``flock`` dies with its process: a killed worker cannot leave it taken.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

__all__ = ["WriterLock", "WriterLockConnection"]

_locks: dict[str, WriterLock] = {}
_locks_guard = threading.Lock()


class WriterLock:
    """The write lock of one database file in this process (see the module docstring)."""

    def __init__(self, path: Path, *, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self.pid = os.getpid()
        self._threads = threading.Lock()  # not reentrant: a thread writing twice at once is a bug, refused
        self._fd: int | None = None

    @classmethod
    def of(cls, database: str, *, timeout: float) -> WriterLock | None:
        """The lock of the SQLite file ``database`` (one per file and process); None for an in-memory
        database or a URI, which have no file beside them to lock."""
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        path = Path(database).resolve()
        with _locks_guard:
            lock = _locks.get(str(path))
            if lock is None or lock.pid != os.getpid():  # a forked child opens the file again
                lock = _locks[str(path)] = cls(path.with_name(path.name + "-writer.lock"), timeout=timeout)
            return lock

    def acquire(self) -> None:
        """Wait for the lock: behind this process's other threads (at most ``timeout`` seconds, then
        ``database is locked`` as SQLite says it), then behind other processes' writers."""
        if not self._threads.acquire(timeout=self.timeout):
            raise sqlite3.OperationalError("database is locked (another thread's write transaction)")
        try:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._lock_file(self._fd)
        except BaseException:
            self._threads.release()
            raise

    def _lock_file(self, fd: int) -> None:
        """Take the file lock within ``timeout`` seconds: at once when it is free, else asked again after
        0.1 ms, doubling to at most 2 ms between tries (a writer in another process is let in within 2 ms
        of its turn); past ``timeout``, ``database is locked``, as SQLite says it, never an endless wait
        behind a process that hangs in its transaction."""
        deadline, pause = time.monotonic() + self.timeout, 0.0001
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise sqlite3.OperationalError("database is locked (another process's write transaction)") from None
                time.sleep(pause)
                pause = min(pause * 2, 0.002)

    def release(self) -> None:
        """Let the next writer in."""
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()


class WriterLockConnection(sqlite3.Connection):
    """A pysqlite connection that holds its database's :class:`WriterLock` from :meth:`begin_writing`
    until the transaction ends (commit, rollback or close)."""

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        timeout = float(kwargs.get("timeout", 5.0))
        named = isinstance(database, (str, bytes, os.PathLike)) and not kwargs.get("uri")
        self._writer_lock = WriterLock.of(os.fsdecode(database), timeout=timeout) if named else None
        self._holding = False
        #: ``PRAGMA query_only`` as last set on this connection by :func:`esign.db.make_engine`'s
        #: transactions (None: not yet), so that a transaction sets it only when it changes.
        self.query_only: bool | None = None

    def begin_writing(self) -> None:
        """Take the write lock, then ``BEGIN IMMEDIATE`` (which may still wait for another program)."""
        if self._writer_lock is not None and not self._holding:
            self._writer_lock.acquire()
            self._holding = True
        try:
            self.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._let_go()
            raise

    def _let_go(self) -> None:
        if self._holding:
            self._holding = False
            assert self._writer_lock is not None
            self._writer_lock.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._let_go()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._let_go()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._let_go()
