"""``python -m bench``: run the sections, print rich tables, write BENCHMARKS.md after a full run."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

from rich.console import Console

from bench.context import REPO, Context
from bench.report import Report, machine_info, write_results

__all__ = ["SECTIONS", "main"]

#: name -> module with ``run(ctx) -> Section | list[Section]``, in running order
SECTIONS = {
    "stamping": "bench.stamping",
    "scaling": "bench.scaling",
    "batch": "bench.batch",
    "verify": "bench.verification",
    "verify-cli": "bench.cli_verify",
    "crypto": "bench.crypto",
    "sm2": "bench.sm2",
    "sm2pki": "bench.sm2_pki",
    "service": "bench.service",
    "ledger": "bench.ledger",
    "hostile": "bench.hostile",
    "witness": "bench.witness",
    "hosts": "bench.hosts",
    "ofd": "bench.ofd",
}


def _console() -> Console:
    # Piped output (CI, tee) would otherwise be cut at 80 columns and the tables folded.
    return Console() if sys.stdout.isatty() else Console(width=170, force_terminal=False)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="CI smoke run: few rounds, small sizes (< 3 min)")
    ap.add_argument(
        "--smoke", action="store_true", help="test-suite run: one round, smallest sizes; figures mean nothing"
    )
    ap.add_argument("--only", default="", help=f"comma-separated sections: {', '.join(SECTIONS)}")
    ap.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    ap.add_argument(
        "--pg",
        default=os.environ.get("ESIGN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test"),
        help="PostgreSQL admin URL (schemas are created and dropped in it)",
    )
    ap.add_argument(
        "--write",
        choices=("auto", "yes", "no"),
        default="auto",
        help="write results into BENCHMARKS.md (auto: after a full run of every section)",
    )
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder (print its path)")
    args = ap.parse_args(argv)

    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(SECTIONS)
    unknown = [n for n in names if n not in SECTIONS]
    if unknown:
        ap.error(f"unknown section(s): {', '.join(unknown)}")
    console = _console()
    args.quick = args.quick or args.smoke
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    report = Report(machine_info(), mode, dt.datetime.now(dt.UTC))
    console.rule(f"esign benchmarks ({report.mode})")
    for k, v in report.machine.items():
        console.print(f"  {k:<22} {v}", highlight=False)
    console.print()

    # SIGTERM unwinds like Ctrl-C: servers are stopped and PostgreSQL schemas dropped on the way out
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    tmp = Path(tempfile.mkdtemp(prefix="esign-bench-"))
    started = time.perf_counter()
    pg = args.pg.replace("postgresql+psycopg://", "postgresql://")
    ctx = Context(quick=args.quick, smoke=args.smoke, tmp=tmp, console=console, with_pg=not args.no_pg, pg_url=pg)
    failed: list[str] = []
    try:
        for name in names:
            t = time.perf_counter()
            try:
                result = importlib.import_module(SECTIONS[name]).run(ctx)
            except Exception:
                failed.append(name)
                console.print(f"[red]section {name} failed:[/]")
                console.print(traceback.format_exc(), markup=False, highlight=False)
                continue
            for section in result if isinstance(result, list) else [result]:
                report.sections.append(section)
                report.show(console, section)
            ctx.progress(f"{name} took {time.perf_counter() - t:.0f} s")
    finally:
        if "county" in ctx.__dict__:
            ctx.county.close()
        if args.keep:
            console.print(f"scratch folder kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    report.duration = time.perf_counter() - started

    verdicts = [v for s in report.sections for v in s.verdicts]
    if verdicts:
        console.rule("targets (figures, not assertions)")
        for v in verdicts:
            style = "green" if v.startswith("PASS") else "red" if v.startswith("MISS") else "yellow"
            console.print(f"[{style}]{v}[/]", highlight=False)
    console.print(f"\ntotal {report.duration:.0f} s")
    full = not args.quick and names == list(SECTIONS) and not failed
    if args.write == "yes" or (args.write == "auto" and full):
        path = REPO / "BENCHMARKS.md"
        write_results(path, report)
        console.print(f"results written to {path}")
    if failed:
        console.print(f"[red]failed sections: {', '.join(failed)}[/]")
        return 1
    return 0
