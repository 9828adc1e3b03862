"""3. Batch: ``esign stamp-batch`` over a folder of decisions with 1 and 2 worker processes.

Each run is the real CLI in its own process on the benchmark county (SQLite), over a fresh folder
of distinct 1-page decisions (a re-run over the same paths would be answered from the register by
idempotency, not stamped again). Wall time includes process and pool start-up; documents/second is
documents over wall time. Runs alternate 1, 2, 1, 2 ... workers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from bench.context import REPO, Context
from bench.county import APPROVER, CLERK, ITEM, SEAL
from bench.report import Section
from bench.stats import fmt_rate, fmt_ratio, fmt_seconds, summarise

__all__ = ["run"]

WORKERS = (1, 2)


def run(ctx: Context) -> Section:
    county, docs = ctx.county, ctx.docs
    # full: two interleaved runs (1, 2, 1, 2 workers) of 500 documents each
    n_docs = 4 if ctx.smoke else 20 if ctx.quick else 500
    rounds = ctx.rounds(1, 2)
    ctx.progress(f"batch: building {n_docs} decisions")
    originals = [docs.numbered_decision(i) for i in range(n_docs)]
    env = {**os.environ, "PYTHONPATH": str(REPO), **county.env()}
    rates: dict[int, list[float]] = {w: [] for w in WORKERS}
    walls: dict[int, list[float]] = {w: [] for w in WORKERS}
    failures: list[str] = []
    for r in range(rounds):
        for workers in WORKERS:
            folder = ctx.tmp / f"batch-{r}-{workers}"
            (folder / "in").mkdir(parents=True)
            for i, data in enumerate(originals):
                (folder / "in" / f"decision-{i:04d}.pdf").write_bytes(data)
            ctx.progress(f"batch: round {r + 1}/{rounds}, {workers} worker(s), {n_docs} documents")
            t = time.perf_counter()
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "esign",
                    "stamp-batch",
                    str(folder / "in"),
                    "-o",
                    str(folder / "out"),
                    "--seal",
                    SEAL,
                    "--user",
                    CLERK,
                    "--approver",
                    APPROVER,
                    "--item",
                    ITEM,
                    "--reason",
                    "批量盖章基准测试",
                    "--workers",
                    str(workers),
                    "--json",
                ],
                capture_output=True,
                text=True,
                env=env,
                cwd=REPO,
                timeout=3600,
                check=False,
            )
            wall = time.perf_counter() - t
            try:
                result = json.loads(done.stdout)
                stamped = int(result["stamped"])
            except (ValueError, KeyError):
                raise RuntimeError(f"stamp-batch failed ({done.returncode}):\n{done.stderr[-2000:]}") from None
            if stamped != n_docs:
                failures.append(f"{workers} worker(s): {n_docs - stamped} failed, e.g. {result['failed'][:1]}")
            walls[workers].append(wall)
            rates[workers].append(stamped / wall)

    section = Section(
        f"3. Batch: esign stamp-batch, {rounds} run(s) × {n_docs} 1-page decisions at B-LT per worker count",
        ["workers", "wall (median)", "documents/s (median)", "range", "per document", "scaling ÷ 1 worker"],
    )
    base = summarise(rates[1])
    for workers in WORKERS:
        s, w = summarise(rates[workers]), summarise(walls[workers])
        section.add(
            workers,
            fmt_seconds(w.median),
            fmt_rate(s.median, "docs/s"),
            f"{fmt_rate(s.p10, '')}– {fmt_rate(s.p90, '')}".strip(),
            fmt_seconds(1 / s.median),
            fmt_ratio(s.ratio(base)),
        )
    section.notes += [
        f"wall time includes CLI start-up and the worker pool's start-up; {os.cpu_count()} cores on this machine.",
        "each document goes through the full pipeline: rules, seal + QR, B-LT signature, register append (SQLite).",
        *failures,
    ]
    ctx.figures["batch 1 worker docs/s"] = base
    return section
