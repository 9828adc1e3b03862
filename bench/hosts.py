"""Several hosts: where documents live in PostgreSQL, and what the balancer costs and how fast it fails over.

    .venv/bin/python -m bench --only hosts

* **12a. Documents in PostgreSQL**: storing and reading back one document through the folder store
  (the contender: write, fsync, rename; read the file), through :class:`esign.hosts.DbBlobStore`
  (1 MiB ``bytea`` chunk rows, what esign uses) and through PostgreSQL large objects written and read
  in the same 1 MiB pieces (``lo_from_bytea``/``lo_put``/``lo_get``), interleaved rounds.
* **12b. Through HAProxy** (full run only; the quick run prints a note): ``esign.hosts.cluster`` with
  two hosts in network namespaces. ``GET /healthz`` straight to a host beside the same through the
  balancer (the balancer's overhead per request); the public verification flow (4 clients) through
  the balancer with one host (the other put in maintenance through HAProxy's runtime API) and with
  two; then ``kill -9`` of one host under that load: the time until HAProxy marks it down and the
  requests that failed meanwhile. On a 2-core machine two hosts share the same cores: the figures
  show overhead and failover time, not scaling.
"""

from __future__ import annotations

import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from bench.context import Context
from bench.report import Section
from bench.stats import fmt_ratio, fmt_seconds, race, summarise
from esign.db import make_engine, make_session_factory, migrate
from esign.hosts import BlobStore
from esign.hosts.docstore import CHUNK, DbBlobStore

_MB = 1024 * 1024


def _documents(ctx: Context) -> Section:
    size = (4 if ctx.quick else 32) * _MB
    section = Section(
        f"12a. Documents in PostgreSQL ({size // _MB} MB, write + read back)",
        ["store", "write", "read", "write+read", "÷ folder", "MB/s"],
    )
    if not ctx.with_pg:
        section.notes.append("skipped: no PostgreSQL (--no-pg)")
        return section
    data = os.urandom(size)
    schema = f"bench_hosts_{os.getpid()}"
    admin = create_engine(ctx.pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(f"{admin.url.render_as_string(hide_password=False)}?options=-csearch_path%3D{schema}")
    try:
        migrate(engine)
        sessions = make_session_factory(engine)
        root = ctx.tmp / "hosts-docs"
        folder = BlobStore(root / "folder")

        def via(store: BlobStore, cache: Path) -> tuple[float, float]:
            t = time.perf_counter()
            with store.pending() as out:
                out.file.write(data)
                digest = out.commit()
            t_write = time.perf_counter() - t
            for p in cache.rglob("*.pdf"):  # read from the store, not from the write's cache copy
                if store is not folder:
                    p.unlink()
            t = time.perf_counter()
            with store.path(digest).open("rb") as fh:
                while fh.read(CHUNK):
                    pass
            t_read = time.perf_counter() - t
            store.discard(digest)
            return t_write, t_read

        def large_object() -> tuple[float, float]:
            t = time.perf_counter()
            with engine.begin() as conn:
                buf = io.BytesIO(data)
                oid = conn.execute(text("SELECT lo_from_bytea(0, :b)"), {"b": buf.read(CHUNK)}).scalar_one()
                offset = CHUNK
                while piece := buf.read(CHUNK):
                    conn.execute(text("SELECT lo_put(:o, :off, :b)"), {"o": oid, "off": offset, "b": piece})
                    offset += len(piece)
            t_write = time.perf_counter() - t
            t = time.perf_counter()
            with engine.begin() as conn, tempfile.TemporaryFile() as fh:
                for off in range(0, size, CHUNK):
                    fh.write(
                        conn.execute(
                            text("SELECT lo_get(:o, :off, :n)"), {"o": oid, "off": off, "n": CHUNK}
                        ).scalar_one()
                    )
            t_read = time.perf_counter() - t
            with engine.begin() as conn:
                conn.execute(text("SELECT lo_unlink(:o)"), {"o": oid})
            return t_write, t_read

        db_store = DbBlobStore(sessions, root / "cache")
        results: dict[str, list[tuple[float, float]]] = {"folder": [], "chunk rows": [], "large object": []}
        runs = {
            "folder": lambda: results["folder"].append(via(folder, root / "folder")),
            "chunk rows": lambda: results["chunk rows"].append(via(db_store, root / "cache")),
            "large object": lambda: results["large object"].append(large_object()),
        }
        race(list(runs.items()), rounds=ctx.rounds(2, 5))
        kept = ctx.rounds(2, 5)  # the race's warm-up round is not kept
        base = sum(summarise([s[i] for s in results["folder"][-kept:]]).median for i in (0, 1))
        labels = {
            "folder": "folder (BlobStore, fsync)",
            "chunk rows": "PostgreSQL chunk rows (DbBlobStore, esign)",
            "large object": "PostgreSQL large object (lo_put/lo_get)",
        }
        for name, samples in results.items():
            samples = samples[-kept:]
            w = summarise([s[0] for s in samples]).median
            r = summarise([s[1] for s in samples]).median
            section.add(
                labels[name],
                fmt_seconds(w),
                fmt_seconds(r),
                fmt_seconds(w + r),
                fmt_ratio((w + r) / base),
                f"{2 * size / _MB / (w + r):.0f}",
            )
        section.notes.append(
            "1 MiB pieces for both database stores; chunk rows are what esign uses (removed with their row, "
            "carried by dumps and esign backup, same code on SQLite). Memory holds one chunk at a time either way."
        )
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    return section


def _latencies(url: str, n: int) -> list[float]:
    out = []
    with httpx.Client(timeout=10) as client:
        client.get(url)
        for _ in range(n):
            t = time.perf_counter()
            client.get(url).raise_for_status()
            out.append(time.perf_counter() - t)
    return out


def _p99(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=100, method="inclusive")[98] if len(xs) > 1 else xs[0]


def _load(base: str, pdf: Path, seconds: float) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "bench.loadclient", "--base", base, "--flow", "verify", "--clients", "4"]
    cmd += ["--seconds", str(seconds), "--pdf", str(pdf)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env={**os.environ})


def _result(proc: subprocess.Popen[str]) -> dict[str, object]:
    out, _ = proc.communicate(timeout=600)
    return dict(json.loads(out.strip().splitlines()[-1]))


def _balancer(ctx: Context) -> Section:
    section = Section(
        "12b. Through HAProxy: one host, two hosts, and kill -9 of one",
        ["measure", "requests", "errors", "per second", "median", "p99"],
    )
    if ctx.quick or not ctx.with_pg:
        section.notes.append("full run only (python -m bench --only hosts): starting two hosts takes a minute")
        return section
    from esign.hosts.cluster import cluster

    seconds = 15.0
    with cluster(2, extra_env={"ESIGN_PUBLIC_RATE_PER_MINUTE": "1000000"}) as c:
        clerk = {"Authorization": f"Bearer {c.tokens['克城镇窗口']}"}
        approver = {"Authorization": f"Bearer {c.tokens['克城镇批准人']}"}
        with httpx.Client(base_url=c.url, timeout=60) as client:
            r = client.post(
                "/api/v1/stamp-requests",
                data={"seal": "克城镇", "item": "1", "reason": "负载均衡测试"},
                files={"file": ("d.pdf", ctx.docs.decision, "application/pdf")},
                headers=clerk,
            )
            rid = r.json()["id"]
            client.post(f"/api/v1/stamp-requests/{rid}/approve", headers=approver).raise_for_status()
            pdf = ctx.tmp / "hosts-stamped.pdf"
            pdf.write_bytes(client.get(f"/api/v1/stamp-requests/{rid}/result.pdf", headers=approver).content)

        direct = _latencies(f"{c.hosts[0].url}/healthz", 300)
        balanced = _latencies(f"{c.url}/healthz", 300)
        for name, xs in (("GET /healthz straight to a host", direct), ("GET /healthz through HAProxy", balanced)):
            section.add(
                name, len(xs), 0, f"{len(xs) / sum(xs):.0f}", fmt_seconds(statistics.median(xs)), fmt_seconds(_p99(xs))
            )

        def flow(label: str, res: dict[str, object]) -> None:
            lat = res["flows"]  # the load client's per-flow latencies, seconds
            section.add(
                label,
                res["completed"],
                res["errors"],
                f"{float(res['completed']) / float(res['seconds']):.1f}",  # type: ignore[arg-type]
                fmt_seconds(statistics.median(lat)),
                fmt_seconds(_p99(lat)),
            )

        c.balancer("disable server hosts/h2")
        flow("verify, 4 clients, one host", _result(_load(c.url, pdf, seconds)))
        c.balancer("enable server hosts/h2")
        while c.server_status("h2") != "UP":
            time.sleep(0.1)
        flow("verify, 4 clients, two hosts", _result(_load(c.url, pdf, seconds)))

        proc = _load(c.url, pdf, seconds)
        time.sleep(seconds / 3)
        c.hosts[0].kill()
        killed = time.perf_counter()
        while not c.server_status("h1").startswith("DOWN") and time.perf_counter() - killed < 30:
            time.sleep(0.02)
        detected = time.perf_counter() - killed
        killed_run = _result(proc)
        flow("verify, 4 clients, h1 killed a third in", killed_run)
    section.notes += [
        f"HAProxy marked the killed host DOWN {detected:.2f} s after kill -9 "
        "(a refused connection marks it down at once); "
        "requests it had in flight, and those sent before the health check noticed, are the errors above "
        f"(clients retry them); first errors: {killed_run['error_samples']}",
        "Two hosts in network namespaces on this 2-core machine share the same cores: one host to two shows "
        "the balancer's overhead and the failover, not scaling. Stamping batches left by the dead host pass "
        "to the other after ESIGN_BATCH_LEASE_SECONDS (tests/hosts/test_cluster.py: 15 s there).",
    ]
    return section


def run(ctx: Context) -> list[Section]:
    return [_documents(ctx), _balancer(ctx)]
