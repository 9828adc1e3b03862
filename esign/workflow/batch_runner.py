"""The job that stamps approved batches: worker threads of the service process, safe across processes.

A runner *claims* one document at a time with a conditional update (a lease until a given time) of
a row it selected with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL; runners on other hosts take other rows),
stamps it through :func:`esign.workflow.requests.approve_request` with the batch's approver (so
the seal, the township, the approver and the request's state are checked again for each document,
and the stamp and its register entry commit atomically), then releases the claim with the error,
if any, in the transaction that claims its next document. Several threads and several service
processes may run the same batch: a document is claimed by one of them at a time, and a stamped
request is never stamped again.

When a process dies, its unclaimed documents are taken up by the next approval or the next
service start (:meth:`BatchWorker.resume`); the few documents it was stamping at that moment are
taken up once their lease has expired (:data:`CLAIM_LEASE`, ``ESIGN_BATCH_LEASE_SECONDS``). With
several hosts, :meth:`BatchWorker.watch` has every host join the batches approved on another one, so
a batch finishes when the host that received its approval dies. A lease that runs out while its
document is still being stamped costs time, not correctness: the second stamping finds the request
stamped under its row lock and keeps nothing (:func:`esign.workflow.commit.stamp_and_commit`).

The operator's ``esign stamp-batch`` runs the same claims in worker processes of its own
(:class:`esign.workflow.batch_pool.BatchPool`, through :meth:`BatchWorker.stamp_claimable`).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, and_, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Update
from sqlalchemy.sql.elements import ColumnElement

from esign.deployment import Deployment
from esign.errors import EsignError, ForbiddenError
from esign.registry import Actor
from esign.registry.models import Person
from esign.workflow.batch_views import BATCH_DONE, BATCH_RUNNING
from esign.workflow.commit import PENDING
from esign.workflow.engine import StampEngine
from esign.workflow.models import StampBatchItemRow, StampBatchRow, StampRequestRow
from esign.workflow.requests import approve_request

__all__ = ["CLAIM_LEASE", "BatchWorker"]

#: How long a claim protects a document being stamped. Stamping one document takes seconds; a
#: claim older than this belongs to a runner that died, and another runner may take the document.
CLAIM_LEASE = dt.timedelta(minutes=5)

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Claim:
    item_id: int
    request_id: int
    #: The batch's approver as the account stood at the claim; None when it is no longer active.
    approver: Actor | None


@dataclass(frozen=True)
class _Release:
    """The end of a claim: the document was tried, with this error (None: stamped)."""

    item_id: int
    error: EsignError | None

    def statement(self) -> Update:
        error = self.error
        return (
            update(StampBatchItemRow)
            .where(StampBatchItemRow.id == self.item_id)
            .values(
                claimed_until=None,
                error_code=error.code if error else "",
                error_zh=error.message_zh if error else "",
                error_en=error.message_en if error else "",
            )
        )


class BatchWorker:
    """Stamps approved batches on ``threads`` worker threads; one per service process."""

    def __init__(
        self,
        dep: Deployment,
        engine: StampEngine,
        *,
        clock: Callable[[], dt.datetime],
        threads: int = 2,
        lease: dt.timedelta = CLAIM_LEASE,
        poll: float = 1.0,
        on_document: Callable[[int], None] | None = None,
    ) -> None:
        """``on_document`` is called with the request id after each document this worker tried
        (stamped or failed), in the thread that stamped it."""
        if threads < 1:
            raise ValueError("threads must be at least 1")
        self.dep, self.engine, self.clock = dep, engine, clock
        self._threads, self._lease, self._poll = threads, lease, poll
        self._on_document = on_document
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._active: dict[int, int] = {}
        self._pool: ThreadPoolExecutor | None = None

    def submit(self, batch_id: int) -> None:
        """Stamp the batch's claimable documents in the background (several threads share one batch)."""
        if self._stop.is_set():
            return
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self._threads, thread_name_prefix="esign-batch")
            pool = self._pool
        for _ in range(self._threads):
            pool.submit(self._drain, batch_id)

    def resume(self) -> list[int]:
        """(Re)start: submit every batch left running (a previous process stopped or died); their ids."""
        self._stop.clear()
        return self._adopt()

    def _adopt(self) -> list[int]:
        """Submit the running batches no thread of this process is stamping; their ids."""
        with self.dep.transaction() as session:
            ids = list(session.scalars(select(StampBatchRow.id).where(StampBatchRow.status == BATCH_RUNNING)))
        with self._lock:
            ids = [i for i in ids if i not in self._active]
        for batch_id in ids:
            self.submit(batch_id)
        return ids

    def watch(self, interval: float) -> None:
        """Every ``interval`` seconds, join the batches approved on other hosts or left by a dead one
        (their documents are taken once their claims expire), until :meth:`stop`."""

        def loop() -> None:
            while not self._stop.wait(interval):
                try:
                    self._adopt()
                except Exception:  # a database hiccup: the next pass retries
                    _log.exception("looking for running stamp batches failed")

        threading.Thread(target=loop, name="esign-batch-watch", daemon=True).start()

    def run(self, batch_id: int) -> None:
        """Stamp the batch in the calling thread until it is done (or another process holds its last claims
        past ``stop``)."""
        self._drain(batch_id)

    def stamp_claimable(self, batch_id: int) -> int:
        """Stamp, in the calling thread, the documents of the running batch that can be claimed now, one
        after the other; how many. Does not wait for documents claimed elsewhere and leaves the batch
        running (:meth:`run` finishes it). A database hiccup ends the pass early (logged)."""
        done, release = 0, None
        try:
            while not self._stop.is_set():
                claim = self._claim(batch_id, release)
                release = None
                if claim is None:
                    break
                release = self._stamp(claim)
                done += 1
        except Exception:  # the claim expires and whoever runs the batch next retries
            _log.exception("stamp batch %s: runner pass failed", batch_id)
        finally:
            self._release(release)
        return done

    def stop(self) -> None:
        """Finish the documents being stamped, then stop; the rest stays claimable for the next start."""
        self._stop.set()
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    # -- one runner ----------------------------------------------------------------------------

    def _drain(self, batch_id: int) -> None:
        with self._lock:
            self._active[batch_id] = self._active.get(batch_id, 0) + 1
        release: _Release | None = None
        try:
            while not self._stop.is_set():
                try:
                    claim = self._claim(batch_id, release)
                    release = None
                    if claim is not None:
                        release = self._stamp(claim)
                    elif not self._idle(batch_id):
                        return
                except Exception:  # a database hiccup: the claim expires and the next pass retries
                    _log.exception("stamp batch %s: runner pass failed", batch_id)
                    self._stop.wait(self._poll)
        finally:
            self._release(release)
            with self._lock:
                self._active[batch_id] -= 1
                if not self._active[batch_id]:
                    del self._active[batch_id]

    def _idle(self, batch_id: int) -> bool:
        """Nothing to claim: wait for others' documents; False when this runner is no longer needed."""
        with self._lock:
            last = self._active.get(batch_id, 0) <= 1
        if not last:  # a sibling thread is stamping; the last one to finish closes the batch
            return False
        if self._finish_if_complete(batch_id):
            return False
        self._stop.wait(self._poll)  # documents claimed by another process (or a dead one, until the lease ends)
        return True

    def _claim(self, batch_id: int, release: _Release | None) -> _Claim | None:
        """Take the next document of the batch, in the transaction that also releases the previous one
        (``release``: one transaction per document instead of two)."""
        now = self.clock()
        with self.dep.transaction() as session:
            if release is not None:
                session.execute(release.statement())
            head = session.execute(
                select(StampBatchRow.status, StampBatchRow.run, StampBatchRow.approver_id).where(
                    StampBatchRow.id == batch_id
                )
            ).first()
            if head is None or head.status != BATCH_RUNNING:
                return None
            run = head.run
            candidates = session.execute(
                select(StampBatchItemRow.id, StampRequestRow.id)
                .join(StampRequestRow, StampRequestRow.id == StampBatchItemRow.request_id)
                .where(_claimable(batch_id, run, now))
                .order_by(StampBatchItemRow.position)
                .limit(8)
                # PostgreSQL: rows another runner is claiming right now are skipped, not waited for
                # (SQLite ignores it; its write transactions are serialized anyway).
                .with_for_update(of=StampBatchItemRow, skip_locked=True)
            ).all()
            for item_id, request_id in candidates:
                taken = cast(
                    CursorResult[Any],
                    session.execute(
                        update(StampBatchItemRow)
                        .where(
                            StampBatchItemRow.id == item_id,
                            or_(StampBatchItemRow.claimed_until.is_(None), StampBatchItemRow.claimed_until < now),
                        )
                        .values(claimed_until=now + self._lease, last_run=run)
                    ),
                )
                if taken.rowcount == 1:
                    return _Claim(item_id, request_id, _approver(session, head.approver_id))
        return None

    def _stamp(self, claim: _Claim) -> _Release:
        """Stamp the claimed document; what releases its claim (written with the next claim)."""
        error: EsignError | None = None
        try:
            if claim.approver is None:
                raise ForbiddenError(
                    "批准该批次的账号已停用，请重新批准。",
                    "The account that approved the batch is no longer active; approve it again.",
                    code="approver_inactive",
                )
            approve_request(self.dep, self.engine, claim.approver, claim.request_id, at=self.clock())
        except EsignError as exc:  # this document fails; the others go on
            error = exc
        except Exception:
            _log.exception("stamp request %s of a batch failed", claim.request_id)
            error = EsignError(
                "盖章时发生内部错误，已记录，请联系管理员。",
                "Internal error while stamping; it has been logged.",
                code="internal_error",
            )
        if self._on_document is not None:
            self._on_document(claim.request_id)
        return _Release(claim.item_id, error)

    def _release(self, release: _Release | None) -> None:
        """Release a claim on its own (the runner stops after a document)."""
        if release is None:
            return
        try:
            with self.dep.transaction() as session:
                session.execute(release.statement())
        except Exception:  # the claim expires instead
            _log.exception("stamp batch item %s: could not release its claim", release.item_id)

    def _finish_if_complete(self, batch_id: int) -> bool:
        """Mark the batch done when every document was tried in this run and none is claimed."""
        at = self.clock()
        with self.dep.transaction() as session:
            batch = session.get(StampBatchRow, batch_id)
            if batch is None or batch.status != BATCH_RUNNING:
                return True
            left = session.scalar(
                select(func.count())
                .select_from(StampBatchItemRow)
                .join(StampRequestRow, StampRequestRow.id == StampBatchItemRow.request_id)
                .where(
                    StampBatchItemRow.batch_id == batch_id,
                    StampRequestRow.status == PENDING,
                    or_(StampBatchItemRow.last_run < batch.run, StampBatchItemRow.claimed_until.is_not(None)),
                )
            )
            if left:
                return False
            batch.status, batch.finished_at = BATCH_DONE, at
            return True


def _approver(session: Session, person_id: int | None) -> Actor | None:
    """The batch's approver as the account stands now (a deactivated account stamps nothing more)."""
    person = session.get(Person, person_id) if person_id is not None else None
    return Actor.from_person(person) if person is not None and person.active else None


def _claimable(batch_id: int, run: int, now: dt.datetime) -> ColumnElement[bool]:
    """Documents a runner may take: pending requests not tried in this run, or whose claim was abandoned."""
    return and_(
        StampBatchItemRow.batch_id == batch_id,
        StampRequestRow.status == PENDING,
        or_(
            and_(StampBatchItemRow.last_run < run, StampBatchItemRow.claimed_until.is_(None)),
            StampBatchItemRow.claimed_until < now,
        ),
    )
