"""A small sliding-window limit for the public, unauthenticated routes (verification pages and API).

It counts per client address in each worker process: with N workers a client gets at most N
times the limit, which is enough to stop a flood without a shared store.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from fastapi import Request

from esign.errors import EsignError

__all__ = ["RateLimitedError", "RateLimiter"]


class RateLimitedError(EsignError):
    """Too many requests from one address."""

    http_status = 429
    default_code = "rate_limited"


class RateLimiter:
    """At most ``per_minute`` requests per client address in any 60 seconds."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, request: Request) -> None:
        """Count this request; raise :class:`RateLimitedError` past the limit."""
        key = request.client.host if request.client else "unknown"
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] > 60:
                hits.popleft()
            if len(hits) >= self.per_minute:
                raise RateLimitedError(
                    "请求过于频繁，请一分钟后再试。", "Too many requests; try again in a minute.", retry_after=60
                )
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle clients
                self._hits = {k: v for k, v in self._hits.items() if v and now - v[-1] < 60}
