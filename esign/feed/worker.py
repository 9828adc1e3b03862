"""The background delivery loop the service runs: a daemon thread with a clean shutdown.

Each uvicorn worker process may run one; passes in different processes never send the same
delivery twice (see :mod:`esign.feed.delivery`). The loop reads time only through ``clock``.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

import httpx

from esign.db import Transactions
from esign.feed.delivery import DeliveryReport, RetryPolicy, deliver_due
from esign.feed.secretbox import SecretBox

__all__ = ["FeedWorker"]

_log = logging.getLogger(__name__)


class FeedWorker:
    """Runs :func:`deliver_due` every ``interval`` seconds until :meth:`stop`."""

    def __init__(
        self,
        transaction: Transactions,
        box: SecretBox,
        *,
        clock: Callable[[], dt.datetime],
        interval: float = 15.0,
        policy: RetryPolicy | None = None,
    ) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self._transaction, self._box, self._clock = transaction, box, clock
        self._interval, self._policy = interval, policy or RetryPolicy()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: The last pass's report (for health checks and tests).
        self.last_report: DeliveryReport | None = None

    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="esign-feed-delivery", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        """Ask the loop to end and wait for the pass in progress (at most ``timeout`` seconds)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        with httpx.Client(follow_redirects=False) as client:
            while not self._stop.is_set():
                try:
                    self.last_report = deliver_due(
                        self._transaction, at=self._clock(), client=client, box=self._box, policy=self._policy
                    )
                except Exception:  # the loop must survive a database hiccup; the next pass retries
                    _log.exception("feed delivery pass failed")
                self._stop.wait(self._interval)
