"""Witnessed register benchmark: checkpoint latency, witness round trip, verifying against a kept checkpoint.

    .venv/bin/python -m bench --only witness

* **Checkpoint issue**: the timer's pass (:func:`esign.ledger.make_checkpoint` under the append lock,
  root recomputed from stored nodes, consistency with the previous checkpoint, Ed25519 note) after one
  new entry on a SQLite log of 10^4 entries, beside the append itself (the contender: the one write a
  stamp always pays).
* **Witness round trip**: ``add-checkpoint`` over HTTP to a real witness (``service.witness_app`` under
  uvicorn on loopback; proof verified, cosignature signed, its SQLite store written) and the
  cosignature verified and stored, beside a bare HTTP GET to the same server.
* **Verify against a kept checkpoint**: ``verify_log`` of a 10^5-entry log (10^4 with ``--quick``) with
  the department's mirrored tiles (``check_kept``) and the oversight table check, beside ``verify_log``
  alone.
"""

from __future__ import annotations

import datetime as dt
import statistics
import threading
import time
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.context import Context
from bench.ledger import entry
from bench.report import Section
from bench.stats import fmt_ratio, fmt_seconds
from esign.db import make_engine, make_session_factory, migrate, session_scope
from esign.ledger import Ed25519NoteSigner, SqlLedger, make_checkpoint, verify_log
from esign.ledger.cosign import Cosigner
from esign.ledger.cosigning import WitnessConfig, collect_cosignatures, cosigned_note, http_transport
from esign.ledger.kept import check_kept, load_kept
from esign.ledger.mirror import mirror_log
from esign.ledger.tiles import parse_tile_path, read_tile
from esign.ledger.witness import Witness, WitnessStore
from esign.oversight.audit import check_projection
from esign.oversight.register import sync_projection

AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _grow(sessions, n: int, start: int = 0) -> None:  # type: ignore[no-untyped-def]
    for lo in range(start, n, 2000):
        with session_scope(sessions) as s:
            ledger = SqlLedger(s)
            for i in range(lo, min(n, lo + 2000)):
                ledger.record(entry(i), at=AT)


def _median(xs: list[float]) -> float:
    return statistics.median(xs)


def _serve(app, port: int):  # type: ignore[no-untyped-def]
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return server, thread


def run(ctx: Context) -> Section:
    from service.live import free_port
    from service.witness_app import create_witness_app

    rounds = 1 if ctx.smoke else 5 if ctx.quick else 30
    size = 1_000 if ctx.smoke else 10_000 if ctx.quick else 100_000
    signer = Ed25519NoteSigner("bench.example/ledger", Ed25519PrivateKey.generate())
    engine = make_engine(f"sqlite:///{ctx.tmp / 'witness-bench.db'}")
    migrate(engine)
    sessions = make_session_factory(engine)
    ctx.progress(f"witness: growing a SQLite log to {size} entries")
    _grow(sessions, 10_000)

    append_t, cp_t = [], []
    for r in range(rounds):
        t0 = time.perf_counter()
        with session_scope(sessions) as s:
            SqlLedger(s).record(entry(10_000_000 + r), at=AT)
        t1 = time.perf_counter()
        with session_scope(sessions) as s:
            make_checkpoint(SqlLedger(s), signer=signer, at=AT, force=True)
        cp_t.append(time.perf_counter() - t1)
        append_t.append(t1 - t0)

    witness = Witness(Cosigner("bench.example/witness", Ed25519PrivateKey.generate()), WitnessStore(ctx.tmp / "w.db"))
    witness.store.watch(signer.verifier.vkey)
    port = free_port()
    server, thread = _serve(create_witness_app(witness, clock=lambda: dt.datetime.now(dt.UTC)), port)
    url = f"http://127.0.0.1:{port}"
    cfg = WitnessConfig(url, witness.cosigner.verifier)
    transport = http_transport()
    rt, get_t = [], []
    try:
        with httpx.Client() as client:
            for r in range(rounds):
                with session_scope(sessions) as s:
                    ledger = SqlLedger(s)
                    ledger.record(entry(20_000_000 + r), at=AT)
                    make_checkpoint(ledger, signer=signer, at=AT, force=True)
                t0 = time.perf_counter()
                (got,) = collect_cosignatures(lambda: session_scope(sessions), [cfg], transport)
                rt.append(time.perf_counter() - t0)
                assert got.cosignature is not None, got.message
                t0 = time.perf_counter()
                client.get(url + "/healthz")
                get_t.append(time.perf_counter() - t0)
    finally:
        server.should_exit = True
        thread.join(10)

    _grow(sessions, size, start=10_000 + 2 * rounds)
    with session_scope(sessions) as s:
        make_checkpoint(SqlLedger(s), signer=signer, at=AT, force=True)
        sync_projection(s)

    def get(u: str) -> bytes:
        with session_scope(sessions) as s:
            if u.endswith("/checkpoint"):
                note = cosigned_note(s)
                assert note is not None
                return note
            ledger = SqlLedger(s)
            n, _ = ledger.head()
            return read_tile(parse_tile_path(u.split("/tile/", 1)[1]), n, ledger.read_nodes)

    mirror = Path(ctx.tmp / "mirror")
    mirror_log("http://bench/ledger", mirror, vkey=signer.verifier.vkey, get=get)
    ctx.progress(f"witness: verifying {size} entries against the kept checkpoint")
    plain_t, kept_t = [], []
    for _ in range(1 if ctx.quick else 3):
        t0 = time.perf_counter()
        with session_scope(sessions) as s:
            assert verify_log(s, verifier=signer.verifier).ok
        plain_t.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        kept = load_kept(str(mirror), signer.verifier)
        with session_scope(sessions) as s:
            report = verify_log(
                s, verifier=signer.verifier, checks=[check_projection, lambda _s, tree, k=kept: check_kept(tree, k)]
            )
        kept_t.append(time.perf_counter() - t0)
        assert report.ok, report.problems[:3]
    engine.dispose()

    section = Section(
        "10. Witnessed register (checkpoint timer, tlog-witness round trip, audit against a kept checkpoint)",
        ["operation", "median", "p10-p90", "contender (same run)", "contender median", "÷ contender"],
    )

    def spread(xs: list[float]) -> str:
        q = statistics.quantiles(xs, n=10) if len(xs) > 1 else [xs[0]] * 9
        return f"{fmt_seconds(q[0])}-{fmt_seconds(q[-1])}"

    section.add(
        "checkpoint issue after 1 append (log of 10^4, SQLite)",
        fmt_seconds(_median(cp_t)),
        spread(cp_t),
        "the append",
        fmt_seconds(_median(append_t)),
        fmt_ratio(_median(cp_t) / _median(append_t)),
    )
    section.add(
        "witness round trip (add-checkpoint over HTTP, verified, stored)",
        fmt_seconds(_median(rt)),
        spread(rt),
        "HTTP GET /healthz",
        fmt_seconds(_median(get_t)),
        fmt_ratio(_median(rt) / _median(get_t)),
    )
    section.add(
        f"verify {size} entries against a kept checkpoint + mirror, with oversight_register",
        fmt_seconds(_median(kept_t)),
        spread(kept_t),
        "verify_log alone",
        fmt_seconds(_median(plain_t)),
        fmt_ratio(_median(kept_t) / _median(plain_t)),
    )
    section.notes.append(f"{rounds} rounds for the first two rows; the log grows by one entry per round")
    return section
