"""A limit for the public, unauthenticated routes (verification pages and API), per client address.

On PostgreSQL the requests are counted in the database (``rate_counts``: one row per address and
minute, bumped with ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``), so the limit holds across
every worker process and every host behind the balancer. The window slides approximately: the
previous minute's count weighs by the part of it still inside the last 60 seconds (the
sliding-window counter of Cloudflare's and nginx's limiters). On SQLite (one host) the count is
kept in the process, as a sliding window of timestamps. Behind a balancer the client address is
the balancer's unless uvicorn is told to trust its ``X-Forwarded-For`` (``--forwarded-allow-ips``,
see docs/DEPLOY.md).

The shared count is not written for every request: a process takes a block of up to a tenth of
the limit at once (:meth:`RateLimiter.block`), only as much as the count leaves room for, and
spends it in memory within the same minute; what is left when the minute ends is dropped, never
carried over. So the addresses' requests over all processes never pass the limit (the blocks are
counted as taken, used or not), while a database round trip comes once per block. The price: an
address whose requests land on several processes may be refused up to ``block - 1`` requests per
other process early, for tokens those processes hold for it unused. After a refusal a process
refuses that address for a second without asking the database again, so a flood of refused
requests does not become a flood of writes. Within a process one request per address takes a block at
a time; requests arriving meanwhile wait for it and spend from it (else 16 requests at once would take
16 blocks and refuse that address long before it made ``per_minute`` requests).
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable

from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from esign.errors import EsignError
from esign.hosts import SharedRateCount

__all__ = ["RateLimitedError", "RateLimiter"]

#: Seconds a process refuses an address on its own after the shared count refused it.
REFUSAL_MEMORY = 1.0


class RateLimitedError(EsignError):
    """Too many requests from one address."""

    http_status = 429
    default_code = "rate_limited"


class RateLimiter:
    """At most ``per_minute`` requests per client address in any 60 seconds; shared through
    ``sessions`` when given (PostgreSQL), else counted in this process. ``clock`` gives the shared
    count's time (seconds since the epoch)."""

    def __init__(
        self, per_minute: int, sessions: sessionmaker[Session] | None = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.per_minute = per_minute
        self._shared_count = SharedRateCount(sessions) if sessions is not None else None
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._grants: dict[str, tuple[int, int]] = {}  # address -> (minute, requests it may still make)
        self._refused: dict[str, float] = {}  # address -> time until which it is refused here
        self._lock = threading.Lock()
        self._taking: dict[str, threading.Lock] = {}  # address -> held while a block is taken for it

    @property
    def block(self) -> int:
        """Requests a process takes from the shared count at once: a tenth of the limit, at least one."""
        return max(1, self.per_minute // 10)

    def check(self, request: Request) -> None:
        """Count this request; raise :class:`RateLimitedError` past the limit (may wait for the database)."""
        key, now = _key(request), self._clock()
        if self._shared_count is None:
            over = self._local(key, time.monotonic())
        else:
            held = self._held(key, now)
            over = held if held is not None else self._shared(key, now)
        _raise_if(over)

    async def admit(self, request: Request) -> None:
        """:meth:`check` for the event loop: answered in memory when it can be, else the database is asked
        from a worker thread."""
        key, now = _key(request), self._clock()
        if self._shared_count is None:
            over = self._local(key, time.monotonic())
        else:
            held = self._held(key, now)
            over = held if held is not None else await run_in_threadpool(self._shared, key, now)
        _raise_if(over)

    def _held(self, key: str, now: float) -> bool | None:
        """Whether the address is over the limit, from what this process holds; None: ask the database."""
        minute = int(now // 60)
        with self._lock:
            until = self._refused.get(key)
            if until is not None:
                if now < until:
                    return True
                del self._refused[key]
            grant = self._grants.get(key)
            if grant is not None and grant[0] == minute and grant[1] > 0:
                self._grants[key] = (minute, grant[1] - 1)
                return False
        return None

    def _shared(self, key: str, now: float) -> bool:
        """Take a block for ``key``, one request of this process at a time: one that waited for another's
        block spends from it when it can."""
        with self._lock:
            taking = self._taking.setdefault(key, threading.Lock())
        try:
            with taking:
                held = self._held(key, now)
                return held if held is not None else self._take(key, now)
        finally:
            with self._lock:
                if self._taking.get(key) is taking and not taking.locked():
                    del self._taking[key]

    def _take(self, key: str, now: float) -> bool:
        assert self._shared_count is not None
        minute, into = divmod(now, 60)
        minute_i, block = int(minute), self.block
        forget = random.random() < 0.01  # noqa: S311 - now and then, forget finished minutes
        count = self._shared_count.take(key, minute=minute_i, block=block, forget_older=forget)
        taken, previous = count.taken, count.previous
        # room the count left before this block was taken; the block is usable up to it
        room = self.per_minute - previous * (1 - into / 60) - (taken - block)
        usable = min(block, math.floor(room))
        with self._lock:
            if len(self._grants) + len(self._refused) > 10_000:  # forget other minutes' addresses
                self._grants = {k: g for k, g in self._grants.items() if g[0] == minute_i}
                self._refused = {k: t for k, t in self._refused.items() if t > now}
            if usable < 1:
                self._refused[key] = now + REFUSAL_MEMORY
                return True
            self._grants[key] = (minute_i, usable - 1)  # one is this request's
        return False

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


def _key(request: Request) -> str:
    return (request.client.host if request.client else "unknown")[:64]


def _raise_if(over: bool) -> None:
    if over:
        raise RateLimitedError(
            "请求过于频繁，请一分钟后再试。", "Too many requests; try again in a minute.", retry_after=60
        )
