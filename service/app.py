"""The app factory: settings in, a FastAPI app out."""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import logging
import os
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI

from esign import __version__
from esign.budget import tune_allocator
from esign.config import Settings
from esign.deployment import Deployment
from esign.errors import EsignError
from esign.workflow import BatchWorker, StampEngine
from service.errors import install_error_handlers
from service.guard import InputGuard
from service.ratelimit import RateLimiter
from service.routes import (
    api_batch,
    api_ledger,
    api_registry,
    api_stamp,
    health,
    home,
    oversight_api,
    oversight_web,
    pki,
    pki_sm2,
    public_status,
    public_verify,
    web_admin,
    web_desk,
)
from service.routes import feed as feed_routes
from service.uploads import keep_small_files_in_memory
from service.work import use_places

__all__ = ["create_app"]

_log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None,
    *,
    deployment: Deployment | None = None,
    feed_interval: float | None = None,
    checkpoint_interval: float | None = None,
    batch_watch: float | None = None,
) -> FastAPI:
    """Build the service for one data home. ``deployment`` may be passed in by tests.

    ``feed_interval``: seconds between webhook delivery passes of the background loop; None (the
    default, and what tests get) runs no loop. :func:`app_from_env` turns it on.
    ``checkpoint_interval``: seconds of the checkpoint timer (:mod:`esign.workflow.checkpoints`);
    None runs none; :func:`app_from_env` uses ``ESIGN_CHECKPOINT_INTERVAL``.
    ``batch_watch``: seconds between looks for batches approved on another host (None: only at start).
    """
    dep = deployment or Deployment.open(settings)
    _purge_crash_leftovers(dep)
    use_places(dep.settings.work_places)
    app = FastAPI(
        title="esign 乡镇行政审批服务专用章电子印章服务",
        description="County PKI, PAdES stamping, verification and the usage register for township seals.",
        version=__version__,
        docs_url=None,
        redoc_url=None,
    )
    app.state.deployment = dep
    shared = dep.sessions if dep.engine.dialect.name == "postgresql" else None  # several hosts count together
    app.state.public_limiter = RateLimiter(dep.settings.public_rate_per_minute, shared)
    app.state.stamp_engine = StampEngine(dep, clock=lambda: dt.datetime.now(dt.UTC))
    app.state.batch_worker = BatchWorker(
        dep,
        app.state.stamp_engine,
        clock=lambda: dt.datetime.now(dt.UTC),
        threads=dep.settings.batch_threads,
        lease=dt.timedelta(seconds=dep.settings.batch_lease_seconds),
    )
    install_error_handlers(app)
    keep_small_files_in_memory()
    app.add_middleware(InputGuard)
    # A request is matched against the routers in this order, route by route (about 1 µs each):
    # the busiest first, verification and the stamp flow (no two routers share a path, so the
    # order decides nothing else; tests/service/test_routing.py checks that).
    app.include_router(health.router)
    app.include_router(public_verify.router)
    app.include_router(api_stamp.router)
    app.include_router(pki.router)
    app.include_router(pki_sm2.router)
    app.include_router(api_batch.router)
    app.include_router(api_registry.router)
    app.include_router(api_ledger.router)
    app.include_router(public_status.router)
    app.include_router(oversight_api.router)
    app.include_router(feed_routes.router)
    app.include_router(home.router)
    home.install_api_docs(app)
    app.include_router(web_admin.router)
    app.include_router(web_desk.router)
    app.include_router(oversight_web.router)
    if feed_interval:
        _run_feed_worker(app, dep, feed_interval)
    if checkpoint_interval:
        _run_checkpoint_timer(app, dep, checkpoint_interval)
    _run_batch_worker(app, app.state.batch_worker, batch_watch)
    return app


def _purge_crash_leftovers(dep: Deployment) -> None:
    """Temporary files a killed process left in documents/ (see BlobStore.purge_stale_temp)."""
    from esign.hosts import store_for

    try:
        removed = store_for(dep).purge_stale_temp(at=dt.datetime.now(dt.UTC))
    except OSError:  # a home we cannot clean must not keep the service from starting
        _log.exception("could not purge temporary files")
    else:
        if removed:
            _log.warning("removed %d temporary files left by a crash in documents/", removed)


def _run_batch_worker(app: FastAPI, worker: BatchWorker, batch_watch: float | None) -> None:
    """At start, take up the batches a previous process left running; at the end, let the documents
    being stamped finish (the rest stays for the next start)."""
    from contextlib import asynccontextmanager

    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[Any]:
        try:
            resumed = await asyncio.to_thread(worker.resume)
        except Exception:  # a database that is not there yet must not keep the service from starting
            _log.exception("could not resume stamp batches")
        else:
            if resumed:
                _log.info("resuming stamp batches %s", resumed)
        if batch_watch:
            worker.watch(batch_watch)
        try:
            async with inner(a) as state:
                yield state
        finally:
            await asyncio.to_thread(worker.stop)

    app.router.lifespan_context = lifespan


def _run_feed_worker(app: FastAPI, dep: Deployment, interval: float) -> None:
    """Run the department feed's delivery loop for the app's lifetime (started and stopped with it)."""
    from contextlib import asynccontextmanager

    from esign.feed import FeedWorker, box_for

    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[Any]:
        worker = None
        try:
            box = box_for(dep.settings)
        except EsignError as exc:  # no key passphrase yet (no `esign init`): serve without deliveries
            _log.warning("feed delivery loop not started: %s", exc)
        else:
            worker = FeedWorker(dep.transaction, box, clock=lambda: dt.datetime.now(dt.UTC), interval=interval)
            worker.start()
        a.state.feed_worker = worker
        try:
            async with inner(a) as state:
                yield state
        finally:
            if worker is not None:
                await asyncio.to_thread(worker.stop)

    app.router.lifespan_context = lifespan


def _run_checkpoint_timer(app: FastAPI, dep: Deployment, interval: float) -> None:
    """Checkpoint the register within ``interval`` seconds of any append, idle or not."""
    from contextlib import asynccontextmanager

    from esign.workflow import CheckpointTimer

    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[Any]:
        timer = CheckpointTimer(dep, interval=interval, clock=lambda: dt.datetime.now(dt.UTC))
        timer.start()
        try:
            async with inner(a) as state:
                yield state
        finally:
            await asyncio.to_thread(timer.stop)

    app.router.lifespan_context = lifespan


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory service.app:app_from_env`` (workers read ESIGN_* from the environment).

    ``ESIGN_FEED_INTERVAL`` (seconds, default 15; 0 turns it off) runs the webhook delivery loop in
    every worker process; passes in several processes never send one delivery twice.
    """
    interval = float(os.environ.get("ESIGN_FEED_INTERVAL", "15") or 0)
    tune_allocator()  # buffers of a large document go back to the system afterwards (esign.budget)
    settings = Settings()
    app = create_app(
        settings,
        feed_interval=interval or None,
        checkpoint_interval=settings.checkpoint_interval or None,
        batch_watch=10.0,
    )
    _build_route_tables(app)
    _freeze_startup_objects()
    return app


def _freeze_startup_objects() -> None:
    """Leave what the process holds once it is ready (modules, the app, its routes and models: a
    quarter of a million objects) out of every later garbage collection (:func:`gc.freeze`).

    Python's full collection walks every tracked object. A service process makes them far more often
    than a program calling the library in a loop: with 16 requests in flight, each lasting a few
    hundred milliseconds, a request's temporary objects outlive the young collections that others'
    allocations set off, reach the oldest generation and soon call for a full one. Measured on bench
    section 6 (16 clients): three to five full collections per 8 s of load, 140 to 165 ms of CPU
    each, 0.8 ms per verification and 4 ms per stamp flow, in whichever request's thread set them off
    (and counted against that request's CPU budget, :mod:`esign.budget`). With the startup objects
    frozen a full collection walks only what came after, a fifth as much or less. The garbage of the start is
    collected first, so nothing unreachable is frozen; frozen objects are still freed by reference
    counting when their last reference goes, only cycles among them would stay.
    """
    gc.collect()
    gc.freeze()


def _build_route_tables(app: FastAPI) -> None:
    """Match a path no route has against every route once, before the first request.

    FastAPI builds an included router's routes (their dependencies and parameter models) the first
    time a request walks through that router, on the event loop: the first requests after a start
    would wait for it (a tenth of a second to seconds, every worker), and every request behind them.
    A path that matches nothing walks through every router, so the work is done here, in the factory.
    """
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/.no-such-route",
        "root_path": "",
        "headers": [],
        "query_string": b"",
    }
    for route in app.router.routes:
        route.matches(scope)
