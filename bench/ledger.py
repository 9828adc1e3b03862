"""Ledger benchmark: append throughput and proof timing as the log grows. Prints figures only.

    .venv/bin/python bench/ledger.py [--db-max 100000] [--pg URL | --no-pg]

* Merkle proofs in memory (:class:`esign.ledger.merkle.MemoryTree`) at 10^4, 10^5 and 10^6 leaves.
* The SQL ledger (the real append path, 1000 appends per transaction, plus single-append
  transactions) on SQLite and PostgreSQL, grown to 10^4 and ``--db-max`` entries (default 10^5;
  10^6 in the database is left out to keep the run short - the in-memory figures stand in for
  proof cost at 10^6, which in the database is the same O(log n) node reads in one query).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text

if TYPE_CHECKING:
    from bench.context import Context
    from bench.report import Section

from esign.db import make_engine, make_session_factory, migrate, session_scope
from esign.ledger import DocumentType, LedgerEntry, SqlLedger
from esign.ledger.merkle import (
    MemoryTree,
    consistency_proof,
    inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

AT = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
PG_DEFAULT = os.environ.get("ESIGN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def entry(n: int) -> LedgerEntry:
    return LedgerEntry(
        entry_id=secrets.token_urlsafe(16),
        township_id=f"T{n % 20}",
        township_name="城关镇",
        seal_id="seal-1",
        cert_serial="1f2e",
        item_number=f"A-{n % 50:03d}",
        item_name="个体工商户登记",
        document_type=DocumentType.ACCEPTANCE_NOTICE,
        document_title=f"受理通知书 第{n}号",
        reason="办理个体工商户设立登记",
        user="张三",
        approver="李四",
        count=1,
        input_sha256=hashlib.sha256(b"i%d" % n).hexdigest(),
        output_sha256=hashlib.sha256(b"o%d" % n).hexdigest(),
        signed_at=AT + dt.timedelta(seconds=n),
    )


def us(seconds: float) -> str:
    return f"{seconds * 1e6:9.1f} µs"


def bench_memory(sizes: list[int], *, echo: bool = True) -> list[dict[str, float]]:
    """Build, proof generation and verification in memory; prints a table unless ``echo`` is false."""
    say = print if echo else (lambda *a, **k: None)
    rows: list[dict[str, float]] = []
    say("== Merkle proofs in memory (MemoryTree; RFC 6962 hashing) ==")
    cols = ["incl.gen", "incl.verify", "cons.gen", "cons.verify"]
    say(f"{'leaves':>9} {'build':>9} " + " ".join(f"{c:>12}" for c in cols) + f" {'path':>5}")
    rng = random.Random(1)
    for n in sizes:
        t = time.perf_counter()
        tree = MemoryTree(hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(n))
        build = time.perf_counter() - t
        root = tree.root()
        idx = [rng.randrange(n) for _ in range(2000)]
        t = time.perf_counter()
        proofs = [inclusion_proof(i, n, tree.read) for i in idx]
        gen = (time.perf_counter() - t) / len(idx)
        t = time.perf_counter()
        for i, p in zip(idx, proofs, strict=True):
            verify_inclusion(i, n, tree.levels[0][i], p, root)
        ver = (time.perf_counter() - t) / len(idx)
        olds = [rng.randrange(1, n) for _ in range(500)]
        old_roots = [tree.root(m) for m in olds]
        t = time.perf_counter()
        cps = [consistency_proof(m, n, tree.read) for m in olds]
        cgen = (time.perf_counter() - t) / len(olds)
        t = time.perf_counter()
        for m, r, p in zip(olds, old_roots, cps, strict=True):
            verify_consistency(m, n, r, root, p)
        cver = (time.perf_counter() - t) / len(olds)
        plen = statistics.mean(len(p) for p in proofs)
        say(f"{n:>9} {build:8.2f}s {us(gen):>12} {us(ver):>12} {us(cgen):>12} {us(cver):>12} {plen:5.1f}")
        rows.append(
            {
                "n": n,
                "build": build,
                "incl_gen": gen,
                "incl_verify": ver,
                "cons_gen": cgen,
                "cons_verify": cver,
                "path": plen,
            }
        )
    say("growth: build is O(n); proof generation and verification grow with log2(n) (path length).\n")
    return rows


def grow(sessions, current: int, target: int, batch: int = 1000) -> tuple[int, float]:
    t = time.perf_counter()
    n = current
    while n < target:
        with session_scope(sessions) as s:
            ledger = SqlLedger(s)
            for _ in range(min(batch, target - n)):
                ledger.record(entry(n), at=AT)
                n += 1
    return n, time.perf_counter() - t


def bench_db(name: str, url: str, sizes: list[int], *, echo: bool = True) -> list[dict[str, float]]:
    """The SQL ledger grown to each size; prints a table unless ``echo`` is false."""
    say = print if echo else (lambda *a, **k: None)
    rows: list[dict[str, float]] = []
    engine = make_engine(url)
    migrate(engine)
    sessions = make_session_factory(engine)
    say(f"== SQL ledger on {name} ==")
    head = f"{'entries':>9} {'append/s (batch 1000)':>22} {'append/s (1 per txn)':>21}"
    say(head + f" {'incl.gen':>12} {'cons.gen':>12}")
    n, rng = 0, random.Random(2)
    for size in sizes:
        before = n
        n, secs = grow(sessions, n, size - 200)
        batch_rate = (n - before) / secs if secs else float("nan")
        t = time.perf_counter()
        for _ in range(200):
            with session_scope(sessions) as s:
                SqlLedger(s).record(entry(n), at=AT)
            n += 1
        single_rate = 200 / (time.perf_counter() - t)
        with session_scope(sessions) as s:
            ledger = SqlLedger(s)
            idx = [rng.randrange(n) for _ in range(300)]
            t = time.perf_counter()
            for i in idx:
                inclusion_proof(i, n, ledger.read_nodes)
            gen = (time.perf_counter() - t) / len(idx)
            olds = [rng.randrange(1, n) for _ in range(100)]
            t = time.perf_counter()
            for m in olds:
                consistency_proof(m, n, ledger.read_nodes)
            cgen = (time.perf_counter() - t) / len(olds)
        say(f"{n:>9} {batch_rate:>22.0f} {single_rate:>21.0f} {us(gen):>12} {us(cgen):>12}")
        rows.append({"n": n, "batch_rate": batch_rate, "single_rate": single_rate, "incl_gen": gen, "cons_gen": cgen})
    engine.dispose()
    say("growth: appends are O(1) amortized (one head row, ~2 node rows), so the rate should stay flat;")
    say("proofs are one query for O(log n) nodes, so their time grows only with the index depth.\n")
    return rows


def run(ctx: Context) -> list[Section]:
    """The runner's entry (``python -m bench``): the same measurements as tables; small sizes with --quick."""
    from bench.report import Section
    from bench.stats import fmt_rate, fmt_seconds

    mem_sizes = [1_000] if ctx.smoke else [10_000, 100_000] if ctx.quick else [10_000, 100_000, 1_000_000]
    db_sizes = [200] if ctx.smoke else [2_000] if ctx.quick else [10_000, 100_000]
    ctx.progress(f"ledger: Merkle proofs in memory at {mem_sizes}")
    memory = Section(
        "7a. Usage register: Merkle proofs in memory (RFC 6962 hashing)",
        [
            "leaves",
            "build tree",
            "inclusion proof",
            "verify inclusion",
            "consistency proof",
            "verify consistency",
            "path length",
        ],
    )
    for r in bench_memory(mem_sizes, echo=False):
        memory.add(
            f"{int(r['n']):,}",
            fmt_seconds(r["build"]),
            fmt_seconds(r["incl_gen"]),
            fmt_seconds(r["incl_verify"]),
            fmt_seconds(r["cons_gen"]),
            fmt_seconds(r["cons_verify"]),
            f"{r['path']:.1f}",
        )
    memory.notes.append("build is O(n); proofs and their verification grow with log2(n), the path length.")

    db = Section(
        "7b. Usage register in the database: appends and proofs as it grows",
        [
            "database: entries",
            "appends/s (1000 per txn)",
            "appends/s (1 per txn)",
            "inclusion proof",
            "consistency proof",
        ],
    )
    targets: list[tuple[str, str]] = []
    tmp = ctx.tmp / "ledger"
    tmp.mkdir()
    targets.append(("SQLite", f"sqlite:///{tmp}/bench.db"))
    schema = None
    admin = None
    if ctx.with_pg:
        pg = ctx.pg_url.replace("postgresql://", "postgresql+psycopg://", 1)
        schema = "bench_" + secrets.token_hex(4)
        try:
            admin = create_engine(pg, connect_args={"connect_timeout": 3})
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            targets.append(("PostgreSQL", f"{pg}?options=-csearch_path%3D{schema}"))
        except Exception as exc:  # no server: say so and go on without it
            db.notes.append(f"PostgreSQL skipped: {type(exc).__name__}")
            admin = None
    try:
        for name, url in targets:
            ctx.progress(f"ledger: {name} grown to {db_sizes}")
            for r in bench_db(name, url, db_sizes, echo=False):
                db.add(
                    f"{name}: {int(r['n']):,}",
                    fmt_rate(r["batch_rate"], "/s"),
                    fmt_rate(r["single_rate"], "/s"),
                    fmt_seconds(r["incl_gen"]),
                    fmt_seconds(r["cons_gen"]),
                )
    finally:
        if admin is not None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    db.notes += [
        "appends are O(1) amortized (one head row, ~2 node rows): the rate should stay flat as the log grows.",
        "1 per txn is one commit per entry, as a stamp does; 10^6 entries are measured in memory only.",
        "standalone, with more options: python bench/ledger.py --help",
    ]
    return [memory, db]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db-max", type=int, default=100_000, help="largest database size (default 10^5)")
    ap.add_argument("--pg", default=PG_DEFAULT, help="PostgreSQL URL for the PostgreSQL run")
    ap.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    args = ap.parse_args()

    bench_memory([10_000, 100_000, 1_000_000])
    db_sizes = sorted({s for s in (10_000, args.db_max) if s <= args.db_max})
    print(f"(database runs grow to {db_sizes}; 10^6 is measured in memory only)\n")
    with tempfile.TemporaryDirectory() as tmp:
        bench_db("SQLite (file, WAL)", f"sqlite:///{tmp}/bench.db", db_sizes)
    if not args.no_pg:
        schema = "bench_" + secrets.token_hex(4)
        admin = create_engine(args.pg)
        try:
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        except Exception as exc:  # no server: say so and stop
            print(f"PostgreSQL skipped: {type(exc).__name__}")
            return
        try:
            bench_db("PostgreSQL", f"{args.pg}?options=-csearch_path%3D{schema}", db_sizes)
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
