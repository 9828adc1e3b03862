"""CPU-heavy work of a request (verifying, stamping, previews) off the event loop, a few at a time.

:func:`run_work` runs a blocking call in a worker thread, like Starlette's ``run_in_threadpool``,
but through a limiter of its own with :data:`THREADS` places per event loop (one per service
process): further calls wait for a place in the order they came.

Why not the shared thread pool (40 threads): this work is Python holding the GIL, so a process
never does more than about one core's worth of it at a time however many threads run it. Forty
documents in work at once would each take forty times as long, hold forty times the memory
(each within its :mod:`esign.budget`, but forty of them), and leave the event loop fighting them
for the GIL, so that even a health check or a page waits. With a few places the documents are
worked through in arrival order, the memory in use is at most that many budgets, and the event
loop and the light requests (sign-in, lists, OCSP, health) keep their own threads.

How many places (the ``work_threads`` setting, :attr:`esign.config.Settings.work_places`, applied by
:func:`use_places` when the app is built): a second thread helps only where the first waits. On
SQLite the database work is in the process and brief, and a second thread only shares the interpreter
lock: measured on 2 cores, one process, 16 clients, one place served 16% more verifications and as many
stamp flows as two, at 15-25% less CPU each; so one place. On PostgreSQL a stamp's round trips and
commits leave the process waiting, and a second place served 10% more stamp flows (verifications as
many); so two. With several processes (``esign serve --workers N``, which sets 1) the processes overlap
each other's waits.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from anyio import CapacityLimiter, to_thread
from anyio.lowlevel import RunVar

__all__ = ["THREADS", "run_work", "use_places"]

#: Documents in work at once per service process before an app sets it (:func:`use_places`).
THREADS = 1
_places = THREADS

_P = ParamSpec("_P")
_T = TypeVar("_T")
_LIMITER: RunVar[CapacityLimiter] = RunVar("esign_work_limiter")


def _limiter() -> CapacityLimiter:
    # one per event loop (like anyio's own default limiter): a test's TestClient runs its own loop
    try:
        return _LIMITER.get()
    except LookupError:
        limiter = CapacityLimiter(_places)
        _LIMITER.set(limiter)
        return limiter


def use_places(places: int) -> None:
    """Documents in work at once in limiters made from now on: ``places``, or :data:`THREADS` for 0 (the
    ``work_threads`` setting of the process's service)."""
    global _places
    _places = places or THREADS


async def run_work(fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
    """``fn(*args, **kwargs)`` in a worker thread, at most :func:`use_places` (:data:`THREADS`) at a time per
    process."""
    return await to_thread.run_sync(functools.partial(fn, *args, **kwargs), limiter=_limiter())
