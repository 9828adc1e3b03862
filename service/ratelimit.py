"""A limit for the public, unauthenticated routes (verification pages and API), per client address.

On PostgreSQL the requests are counted in the database (``rate_counts``: one row per address and
minute, bumped with ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``), so the limit holds across
every worker process and every host behind the balancer. The window slides approximately: the
previous minute's count weighs by the part of it still inside the last 60 seconds (the
sliding-window counter of Cloudflare's and nginx's limiters). On SQLite (one host) the count is
kept in the process, as a sliding window of timestamps. Behind a balancer the client address is
the balancer's unless uvicorn is told to trust its ``X-Forwarded-For`` (``--forwarded-allow-ips``,
see docs/DEPLOY.md).
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque

from fastapi import Request
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, sessionmaker

from esign.db import session_scope
from esign.errors import EsignError
from esign.hosts.models import RateCountRow

__all__ = ["RateLimitedError", "RateLimiter"]


class RateLimitedError(EsignError):
    """Too many requests from one address."""

    http_status = 429
    default_code = "rate_limited"


class RateLimiter:
    """At most ``per_minute`` requests per client address in any 60 seconds; shared through
    ``sessions`` when given (PostgreSQL), else counted in this process."""

    def __init__(self, per_minute: int, sessions: sessionmaker[Session] | None = None) -> None:
        self.per_minute = per_minute
        self._sessions = sessions
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, request: Request) -> None:
        """Count this request; raise :class:`RateLimitedError` past the limit."""
        key = (request.client.host if request.client else "unknown")[:64]
        over = self._shared(key, time.time()) if self._sessions is not None else self._local(key, time.monotonic())
        if over:
            raise RateLimitedError(
                "请求过于频繁，请一分钟后再试。", "Too many requests; try again in a minute.", retry_after=60
            )

    def _shared(self, key: str, now: float) -> bool:
        assert self._sessions is not None
        minute, into = divmod(now, 60)
        minute_i = int(minute)
        table = RateCountRow.__table__
        bump = (
            postgresql.insert(RateCountRow)
            .values(client=key, minute=minute_i, count=1)
            .on_conflict_do_update(index_elements=["client", "minute"], set_={"count": table.c.count + 1})
            .returning(table.c.count)
        )
        with session_scope(self._sessions) as session:
            current = session.execute(bump).scalar_one()
            previous = session.scalar(
                select(RateCountRow.count).where(RateCountRow.client == key, RateCountRow.minute == minute_i - 1)
            )
            if random.random() < 0.01:  # noqa: S311 - now and then, forget finished minutes
                session.execute(delete(RateCountRow).where(RateCountRow.minute < minute_i - 1))
        return (previous or 0) * (1 - into / 60) + current > self.per_minute

    def _local(self, key: str, now: float) -> bool:
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] > 60:
                hits.popleft()
            if len(hits) >= self.per_minute:
                return True
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle clients
                self._hits = {k: v for k, v in self._hits.items() if v and now - v[-1] < 60}
            return False
