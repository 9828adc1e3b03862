"""6. The HTTP service under load: stamp flow (and verify, when the route exists) for 1 and 2
server workers, on SQLite and on PostgreSQL.

Each configuration gets its own demo county (for PostgreSQL in a fresh schema, created and
dropped here) and its own ``esign serve`` on a loopback port; the load comes from a separate
process (:mod:`bench.loadclient`) with N concurrent clients for a fixed time, after a warm-up
round. The stamp flow is the clerk's upload (POST /api/v1/stamp-requests) followed by the
approver's approval (POST .../approve), which stamps at B-LT and appends to the register.
"""

from __future__ import annotations

import json
import os
import secrets
import statistics
import subprocess
import sys
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from bench.context import Context
from bench.county import APPROVER, CLERK, BenchCounty
from bench.report import Section
from bench.server import REPO, free_port, serve
from bench.stats import fmt_rate, fmt_ratio, fmt_seconds

__all__ = ["run"]

CLIENTS = 4


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def _pg_admin(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def _pg_reason(url: str) -> str | None:
    try:
        engine = create_engine(_pg_admin(url), connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure to connect means "no server here"
        return f"PostgreSQL at {url} does not answer ({type(exc).__name__})"


def _load(ctx: Context, base: str, flow: str, county: BenchCounty, pdf: str, seconds: float) -> dict[str, Any]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "BENCH_CLERK_TOKEN": county.tokens[CLERK],
        "BENCH_APPROVER_TOKEN": county.tokens[APPROVER],
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.loadclient",
            "--base",
            base,
            "--flow",
            flow,
            "--clients",
            str(CLIENTS),
            "--seconds",
            str(seconds),
            "--pdf",
            pdf,
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=seconds * 10 + 300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"load client failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(ctx: Context) -> Section:
    seconds = 0.5 if ctx.smoke else 2.0 if ctx.quick else 20.0
    pdf = ctx.tmp / "service-decision.pdf"
    pdf.write_bytes(ctx.docs.decision)
    stamped = ctx.tmp / "service-stamped.pdf"
    stamped.write_bytes(ctx.county.output(ctx.county.stamp(ctx.docs.decision)))

    databases: list[tuple[str, str | None]] = [("SQLite", None)]
    notes: list[str] = []
    if ctx.with_pg:
        reason = _pg_reason(ctx.pg_url)
        if reason:
            notes.append(f"PostgreSQL skipped: {reason}")
        else:
            databases.append(("PostgreSQL", ctx.pg_url))
    else:
        notes.append("PostgreSQL skipped (--no-pg)")

    rows: list[tuple[str, int, str, dict[str, Any]]] = []
    verify_route: bool | None = None
    for db_name, pg in databases:
        for workers in (1, 2):
            schema = f"bench_{secrets.token_hex(4)}"
            url = f"{pg}?options=-csearch_path%3D{schema}" if pg else None
            admin = None
            if pg:
                admin = create_engine(_pg_admin(pg))
                with admin.begin() as conn:
                    conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            try:
                port = free_port()
                home = ctx.tmp / f"service-{db_name}-{workers}"
                county = BenchCounty(home, base_url=f"http://127.0.0.1:{port}", database_url=url)
                county.close()
                ctx.progress(f"service: {db_name}, {workers} worker(s), {CLIENTS} clients × {seconds:.0f} s")
                # the public verify route's per-address limit would measure the limiter, not the service
                env = {**county.env(), "ESIGN_PUBLIC_RATE_PER_MINUTE": "1000000"}
                log = ctx.tmp / f"server-{db_name}-{workers}.log"
                with serve(port, env, workers=workers, log=log) as base:
                    if verify_route is None:
                        paths = httpx.get(f"{base}/openapi.json", timeout=10).json().get("paths", {})
                        verify_route = "/api/v1/verify" in paths
                    rows.append((db_name, workers, "stamp", _load(ctx, base, "stamp", county, str(pdf), seconds)))
                    if verify_route:
                        rows.append(
                            (db_name, workers, "verify", _load(ctx, base, "verify", county, str(stamped), seconds))
                        )
            finally:
                if admin is not None:
                    with admin.begin() as conn:
                        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                    admin.dispose()

    section = Section(
        f"6. HTTP service under load: {CLIENTS} concurrent clients, {seconds:.0f} s per configuration",
        ["database, workers: flow", "completed", "throughput", "p50", "p99", "errors", "÷ same flow, SQLite 1 worker"],
    )
    first: dict[str, float] = {}
    for db_name, workers, flow, r in rows:
        rate = r["completed"] / r["seconds"] if r["seconds"] else float("nan")
        first.setdefault(flow, rate)
        lat = sorted(r["latency"].get("flow", []))
        unit = "flows/s" if flow == "stamp" else "files/s"
        section.add(
            f"{db_name}, {workers} worker{'s' if workers > 1 else ''}: {flow}",
            r["completed"],
            fmt_rate(rate, unit),
            fmt_seconds(_pct(lat, 0.5)),
            fmt_seconds(_pct(lat, 0.99)),
            r["errors"],
            fmt_ratio(rate / first[flow]),
        )
        for sample in r["error_samples"]:
            notes.append(f"error ({db_name}, {workers} workers, {flow}): {sample}")
    section.notes += [
        "stamp flow = upload by the clerk + approval by the approver (which stamps at B-LT and appends to the "
        "register); latency is the whole flow as one client sees it.",
        f"the load client is a separate process on the same {os.cpu_count()}-core machine, so it takes CPU from "
        "the server too.",
        "the public verify route's per-address rate limit is lifted for the run (ESIGN_PUBLIC_RATE_PER_MINUTE).",
    ]
    if not verify_route:
        section.notes.append("verify flow skipped: the service has no POST /api/v1/verify route yet.")
    section.notes += notes
    return section
