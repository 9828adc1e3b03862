"""Batches stamped here, to the end, on every core: the engine behind ``esign stamp-batch``.

The documents are checked (each becomes a stamp request: :func:`esign.workflow.batches.add_file`)
and stamped (:class:`esign.workflow.batch_runner.BatchWorker`'s claims, each document through
:func:`esign.workflow.requests.approve_request`) by the same code as the API's batches; only where
it runs differs. Signing is CPU-bound, so with more than one worker each is a process of its own,
with its own deployment and :class:`~esign.workflow.engine.StampEngine`; one worker works in the
calling thread. The claims keep workers apart, here and in a service stamping the same batch.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, as_completed, wait
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from esign.config import Settings
from esign.deployment import Deployment
from esign.errors import InputError
from esign.registry import Actor
from esign.workflow.batch_runner import BatchWorker
from esign.workflow.batches import add_file, add_refused
from esign.workflow.commit import PENDING
from esign.workflow.engine import StampEngine
from esign.workflow.models import StampBatchItemRow, StampRequestRow

__all__ = ["BatchPool", "BatchProgress", "ProgressFn", "Upload"]


@dataclass(frozen=True)
class Upload:
    """One file to add to an open batch (:func:`esign.workflow.batches.add_file`)."""

    #: The open batch.
    batch_id: int
    #: Its 1-based position in the batch.
    position: int
    #: The file's name.
    name: str
    #: Reads the document where it is checked (a worker process: it must pickle, e.g.
    #: ``functools.partial(Path.read_bytes, path)``); an ``OSError`` refuses the file (``io_error``).
    load: Callable[[], bytes]
    #: The idempotency key of its stamp request; empty for the batch's (``<batch key>/<position>``).
    key: str = ""
    #: Its title; empty for the batch's, else the file's name.
    title: str = ""


@dataclass(frozen=True)
class BatchProgress:
    """How far a :class:`BatchPool` is."""

    #: ``checking`` (files checked and kept as stamp requests) or ``stamping``.
    phase: str
    #: Documents done in this phase.
    done: int
    #: Documents of this phase.
    total: int


#: Told of the progress, in the thread that called the pool.
ProgressFn = Callable[[BatchProgress], None]


class BatchPool:
    """Checks the files of open batches and stamps approved ones on ``workers`` workers; a context manager.

    With ``workers`` > 1 the workers are processes, started by the first call and reused by the
    next ones; ``clock`` must then pickle (a module-level function) and the deployment's settings
    are handed to them as they are (each opens its own deployment, without migrating).
    """

    def __init__(self, dep: Deployment, *, workers: int, clock: Callable[[], dt.datetime]) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.dep, self.workers, self.clock = dep, workers, clock
        self._pool: ProcessPoolExecutor | None = None
        self._done: Any = None  # the workers' SimpleQueue of stamped request ids
        self._engine: StampEngine | None = None

    def __enter__(self) -> BatchPool:
        if self.workers > 1:
            ctx = multiprocessing.get_context()
            self._done = ctx.SimpleQueue()
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=ctx,
                initializer=_start_worker,
                initargs=(self.dep.settings, self.clock, self._done),
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def add_files(self, actor: Actor, uploads: Sequence[Upload], progress: ProgressFn | None = None) -> None:
        """Add every file to its open batch as ``actor`` (each checked as a stamp request, or kept as refused)."""
        report = _reporter("checking", len(uploads), progress)
        if self._pool is None:
            for upload in uploads:
                _add(self.dep, actor, upload, self.clock)
                report()
            return
        for future in as_completed([self._pool.submit(_add_here, actor, u) for u in uploads]):
            future.result()
            report()

    def run(self, batch_ids: Sequence[int], progress: ProgressFn | None = None) -> None:
        """Stamp the approved (running) batches, one after the other, until each is done."""
        report = _reporter("stamping", _pending_count(self.dep, batch_ids), progress)
        finisher = BatchWorker(self.dep, self._local_engine(), clock=self.clock, on_document=lambda _id: report())
        for batch_id in batch_ids:
            if self._pool is not None:
                self._stamp_on_workers(batch_id, report)
            finisher.run(batch_id)  # what the workers left (nothing, or claims of one that died); then done

    def _stamp_on_workers(self, batch_id: int, report: Callable[[], None]) -> None:
        assert self._pool is not None
        running: set[Future[int]] = {self._pool.submit(_stamp_here, batch_id) for _ in range(self.workers)}
        while running:
            finished, running = wait(running, timeout=0.2, return_when=FIRST_COMPLETED)
            while not self._done.empty():  # a worker's put is in the pipe before its task returns
                self._done.get()
                report()
            for future in finished:
                future.result()

    def _local_engine(self) -> StampEngine:
        if self._engine is None:
            self._engine = StampEngine(self.dep, clock=self.clock)
        return self._engine


def _reporter(phase: str, total: int, progress: ProgressFn | None) -> Callable[[], None]:
    done = 0

    def report() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(BatchProgress(phase, min(done, total), total))

    if progress is not None:
        progress(BatchProgress(phase, 0, total))
    return report


def _add(dep: Deployment, actor: Actor, upload: Upload, clock: Callable[[], dt.datetime]) -> None:
    try:
        data = upload.load()
    except OSError as exc:
        error = InputError(f"无法读取文件：{exc}", f"Cannot read the file: {exc}", code="io_error")
        add_refused(dep, actor, upload.batch_id, upload.position, upload.name, error)
        return
    add_file(
        dep, actor, upload.batch_id, upload.position, upload.name, data, at=clock(), key=upload.key, title=upload.title
    )


def _pending_count(dep: Deployment, batch_ids: Sequence[int]) -> int:
    """Documents of the batches whose requests wait to be stamped."""
    with dep.transaction() as session:
        count = session.scalar(
            select(func.count())
            .select_from(StampBatchItemRow)
            .join(StampRequestRow, StampRequestRow.id == StampBatchItemRow.request_id)
            .where(StampBatchItemRow.batch_id.in_(batch_ids), StampRequestRow.status == PENDING)
        )
    return count or 0


# -- in a worker process -----------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _start_worker(settings: Settings, clock: Callable[[], dt.datetime], done: Any) -> None:
    dep = Deployment.open(settings, migrate_db=False)  # the parent migrated
    _WORKER.update(dep=dep, engine=StampEngine(dep, clock=clock), clock=clock, done=done)


def _add_here(actor: Actor, upload: Upload) -> None:
    _add(_WORKER["dep"], actor, upload, _WORKER["clock"])


def _stamp_here(batch_id: int) -> int:
    worker = BatchWorker(_WORKER["dep"], _WORKER["engine"], clock=_WORKER["clock"], on_document=_WORKER["done"].put)
    return worker.stamp_claimable(batch_id)
