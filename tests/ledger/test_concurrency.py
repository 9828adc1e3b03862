"""Four worker processes append at once: no gaps, no duplicate indices, nothing lost."""

from __future__ import annotations

import datetime as dt
import itertools
import multiprocessing as mp
import time

from sqlalchemy import select

from esign.db import make_engine, make_session_factory, session_scope
from esign.ledger import SqlLedger, make_checkpoint, verify_log
from esign.ledger.models import LedgerEntryRow

from .conftest import T0, make_entry

WORKERS = 4
PER_WORKER = 500


def _worker(url: str, worker: int, start: object) -> None:
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    start.wait(30)  # type: ignore[attr-defined]
    for i in range(PER_WORKER):
        with session_scope(sessions) as s:
            SqlLedger(s).record(make_entry(i, township=f"W{worker}"), at=T0 + dt.timedelta(seconds=i))
        if i % 50 == 49:
            # Let the others in now and then: on a loaded machine one process can otherwise take the
            # database lock for long runs, and the test would not exercise concurrent appends.
            time.sleep(0.005)
    engine.dispose()


def test_concurrent_appends(db_url, engine, signer):
    ctx = mp.get_context("spawn")
    start = ctx.Event()
    procs = [ctx.Process(target=_worker, args=(db_url, w, start)) for w in range(WORKERS)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(300)
    assert [p.exitcode for p in procs] == [0] * WORKERS

    sessions = make_session_factory(engine)
    with session_scope(sessions) as s:
        rows = s.execute(select(LedgerEntryRow.idx, LedgerEntryRow.township_id).order_by(LedgerEntryRow.idx)).all()
        assert [r.idx for r in rows] == list(range(WORKERS * PER_WORKER))
        per_worker = {f"W{w}": 0 for w in range(WORKERS)}
        for r in rows:
            per_worker[r.township_id] += 1
        assert per_worker == {f"W{w}": PER_WORKER for w in range(WORKERS)}
        # The workers really did interleave (otherwise this test proves nothing about locking).
        switches = sum(1 for a, b in itertools.pairwise(rows) if a.township_id != b.township_id)
        assert switches > WORKERS
        assert SqlLedger(s).head()[0] == WORKERS * PER_WORKER
        assert make_checkpoint(SqlLedger(s), signer=signer, at=T0, force=True) is not None
    with session_scope(sessions) as s:
        report = verify_log(s, verifier=signer.verifier)
    assert report.ok, report.problems
    assert report.size == WORKERS * PER_WORKER and report.checkpoints_checked == 1
