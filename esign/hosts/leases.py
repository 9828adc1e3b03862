"""Leases for singleton background jobs, so that one host at a time runs them and another takes over.

:func:`hold` claims the job's row with ``SELECT ... FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite
serializes write transactions anyway): a host finds the row either free, expired, already its own
(it renews), or held by a live host (it skips the pass). A host killed mid-job stops renewing; once
``lease`` has passed, the next host to ask takes the job. The jobs behind a lease are idempotent
(a checkpoint per tree size, a cosignature per witness and size), so a pass that overlaps one cut
short by a death does nothing twice.
"""

from __future__ import annotations

import datetime as dt
import os
import socket

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from esign.db import session_scope
from esign.hosts.models import JobLeaseRow

__all__ = ["hold", "this_process"]


def this_process() -> str:
    """A name for the caller: host name and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"[:128]


def hold(sessions: sessionmaker[Session], name: str, holder: str, *, at: dt.datetime, lease: dt.timedelta) -> bool:
    """Claim or renew the job ``name`` for ``holder`` until ``at + lease``; False when another holds it."""
    with session_scope(sessions) as session:
        ins = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        session.execute(ins(JobLeaseRow).values(name=name, holder=holder, until=at + lease).on_conflict_do_nothing())
        row = session.scalars(
            select(JobLeaseRow).where(JobLeaseRow.name == name).with_for_update(skip_locked=True)
        ).one_or_none()
        if row is None:  # another host is renewing it this very moment
            return False
        if row.holder != holder and row.until > at:
            return False
        row.holder, row.until = holder, at + lease
        return True
