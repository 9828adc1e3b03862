"""Checkpoints on time, not on traffic: sign within N seconds of any append, then ask the witnesses.

:func:`checkpoint_tick` is one pass: if the log has entries no checkpoint covers, sign one
(:func:`esign.ledger.make_checkpoint` holds the append lock and returns None when the latest
checkpoint already covers the log, so a pass is idempotent per tree size and several worker
processes ticking at once sign each size once); then ask every configured witness that has not
cosigned the latest checkpoint (:mod:`esign.ledger.cosigning`). :class:`CheckpointTimer` runs it
every ``interval`` seconds in a thread of the service process, so an idle log's tail is covered
within ``interval`` seconds of its last append. With several hosts (or worker processes) one of them
holds the ``checkpoints`` lease (:mod:`esign.hosts.leases`) and ticks; when it dies another takes
over once the lease (three intervals, at least 30 s) has run out.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from esign.deployment import Deployment
from esign.errors import EsignError
from esign.hosts.leases import hold, this_process
from esign.ledger import SqlLedger, StoredCheckpoint, make_checkpoint
from esign.ledger.cosigning import CosignOutcome, Transport, collect_cosignatures, http_transport

__all__ = ["CheckpointTimer", "TickResult", "checkpoint_tick"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TickResult:
    """What one pass did."""

    checkpoint: StoredCheckpoint | None
    """The checkpoint signed by this pass (None: the log was already covered)."""
    outcomes: tuple[CosignOutcome, ...]
    """What each witness asked answered."""


def checkpoint_tick(dep: Deployment, *, at: dt.datetime, transport: Transport | None = None) -> TickResult:
    """Sign a checkpoint if any entry is uncovered, then collect missing cosignatures."""
    with dep.transaction() as session:
        ledger = SqlLedger(session)
        size, _ = ledger.head()
        latest = ledger.latest_checkpoint()
        made = None
        if size > (latest.size if latest else 0):
            made = make_checkpoint(ledger, signer=dep.ledger_signer, at=at, force=True)
    outcomes: tuple[CosignOutcome, ...] = ()
    if dep.witnesses:
        outcomes = tuple(collect_cosignatures(dep.transaction, dep.witnesses, transport or http_transport()))
    return TickResult(made, outcomes)


class CheckpointTimer:
    """Runs :func:`checkpoint_tick` every ``interval`` seconds in a daemon thread."""

    def __init__(self, dep: Deployment, *, interval: float, clock: Callable[[], dt.datetime]) -> None:
        self.dep = dep
        self.interval = interval
        self.clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start ticking."""
        self._thread = threading.Thread(target=self._run, name="esign-checkpoints", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        """Stop after the current pass."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        holder, lease = this_process(), dt.timedelta(seconds=max(3 * self.interval, 30.0))
        while not self._stop.wait(self.interval):
            if not self.dep.has_pki:  # no `esign init` yet: no key to sign with, nothing logged
                continue
            try:
                at = self.clock()
                if not hold(self.dep.sessions, "checkpoints", holder, at=at, lease=lease):
                    continue  # another host (or worker process) runs the timer while it lives
                checkpoint_tick(self.dep, at=at)
            except EsignError as e:
                _log.error("checkpoint pass failed: %s", e)
            except Exception:  # the timer must outlive a database hiccup
                _log.exception("checkpoint pass failed")
