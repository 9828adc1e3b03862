"""service.work.run_work: CPU-heavy calls a few at a time per process, apart from the shared thread pool."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.concurrency import run_in_threadpool

from esign.config import Settings
from service.app import create_app
from service.work import THREADS, run_work, use_places


@pytest.fixture(autouse=True)
def _default_places() -> Iterator[None]:
    yield
    use_places(0)


def _most_at_once(calls: int) -> int:
    """How many of ``calls`` sleeping calls given to :func:`run_work` at once ran at the same time."""
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
        return list(await asyncio.gather(*(run_work(work, i) for i in range(calls))))

    assert asyncio.run(main()) == list(range(calls))
    return most[0]


def test_the_work_threads_setting_sets_the_places_of_the_app_built_with_it(tmp_path: Path) -> None:
    for places, home, expected in ((1, "one", 1), (3, "three", 3), (0, "default", 1)):  # SQLite: 1 by default
        create_app(Settings(home=tmp_path / home, work_threads=places)).state.deployment.close()
        assert _most_at_once(4 * expected) == expected


def test_one_place_by_default_on_sqlite_two_on_a_database_server(tmp_path: Path) -> None:
    server = "postgresql://postgres@127.0.0.1:5432/test"
    assert Settings(home=tmp_path).work_places == 1
    assert Settings(home=tmp_path, database_url=server).work_places == 2
    assert Settings(home=tmp_path, database_url=server, work_threads=1).work_places == 1
    assert Settings(home=tmp_path, work_threads=4).work_places == 4


def test_no_more_than_the_places_run_at_once_and_all_finish() -> None:
    assert _most_at_once(4 * THREADS) == THREADS
    use_places(3)
    assert _most_at_once(12) == 3


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
