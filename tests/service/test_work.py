"""service.work.run_work: CPU-heavy calls a few at a time per process, apart from the shared thread pool."""

from __future__ import annotations

import asyncio
import threading
import time

from starlette.concurrency import run_in_threadpool

from service.work import THREADS, run_work


def test_no_more_than_threads_calls_run_at_once_and_all_finish() -> None:
    lock, running, most = threading.Lock(), [0], [0]

    def work(i: int) -> int:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1
        return i

    async def main() -> list[int]:
        return list(await asyncio.gather(*(run_work(work, i) for i in range(4 * THREADS))))

    assert asyncio.run(main()) == list(range(4 * THREADS))
    assert most[0] == THREADS


def test_light_calls_do_not_wait_for_busy_work_places() -> None:
    release = threading.Event()

    async def main() -> str:
        busy = [asyncio.ensure_future(run_work(release.wait, 30)) for _ in range(THREADS)]
        await asyncio.sleep(0.1)  # every work place is taken
        try:  # the shared pool still answers at once (a shared limiter would wait here for 30 s)
            return await asyncio.wait_for(run_in_threadpool(lambda: "answered"), timeout=10)
        finally:
            release.set()
            await asyncio.gather(*busy)

    assert asyncio.run(main()) == "answered"
