"""The load generator of the service section, run as its own process (loopback only).

    python -m bench.loadclient --base URL --flow stamp|verify --clients N --seconds S --pdf FILE [--cpu-of PID]

The stamp flow's API tokens come from the environment (``BENCH_CLERK_TOKEN``,
``BENCH_APPROVER_TOKEN``), not the command line, where any process listing would show them.

It shares the machine with the server it measures, so it is made as cheap as it can be: N asyncio
tasks (on uvloop when installed), each with its own keep-alive connection speaking HTTP/1.1 over a
raw stream; the multipart bodies are built once, before the clock starts, and only the small
heads change per request. Each task repeats the flow until S seconds have passed, after a warm-up
round that is not recorded. It prints one JSON object: completed flows, errors, the latency of
every flow and of every HTTP request (s), the CPU time this process spent while measuring and,
with ``--cpu-of``, the CPU time that process and its children (the server's workers) spent in
the same window.

* stamp: POST /api/v1/stamp-requests (clerk) then POST /api/v1/stamp-requests/{id}/approve (approver).
* verify: POST /api/v1/verify with the file.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.copies import another_copy

__all__ = ["DATABASE_PROCESS", "machine_ticks", "main", "named_cpu", "tree_cpu"]

#: Each client opens a new connection after this many flows (and closes the old one itself): the
#: server's worker processes share a listening socket, and a kept-alive connection stays on the
#: worker that accepted it, so with a connection for good all clients could end up on one worker.
FLOWS_PER_CONNECTION = 10
#: Seconds one HTTP request may take before it counts as an error.
REQUEST_TIMEOUT = 120.0
#: The command name of the database server's processes (PostgreSQL), whose CPU is counted beside the server's.
DATABASE_PROCESS = "postgres"
BOUNDARY = "----esign-bench-" + secrets.token_hex(8)


class HttpError(Exception):
    """A request that did not get the answer the flow expects."""


def _multipart(fields: dict[str, str], filename: str, data: bytes) -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
    )
    return b"".join(parts) + data + f"\r\n--{BOUNDARY}--\r\n".encode()


class _Connection:
    """One keep-alive HTTP/1.1 connection; requests go one at a time."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, headers: str, body: bytes = b"") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{headers}Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.writer.write(head + body if len(body) < 65536 else head)
        if len(body) >= 65536:
            self.writer.write(body)
        await self.writer.drain()
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length, chunked, close = 0, False, False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif name == "connection" and value.strip().lower() == "close":
                close = True
        if chunked:
            content = bytearray()
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                content += await self.reader.readexactly(size + 2)
                del content[-2:]
            await self.reader.readuntil(b"\r\n")
            data = bytes(content)
        else:
            data = await self.reader.readexactly(length)
        if close:
            await self.close()
        return status, data

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
        self.reader = self.writer = None


class _Flow:
    def __init__(self, args: argparse.Namespace) -> None:
        pdf = Path(args.pdf).read_bytes()
        self.clerk = f"Authorization: Bearer {args.clerk}\r\n"
        self.approver = f"Authorization: Bearer {args.approver}\r\n"
        self.form = f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        fields = {"seal": "克城镇", "item": "1", "reason": "服务压力测试 load", "title": "压力测试文书"}
        self.pdf, self.fields, self.copies = pdf, fields, itertools.count()
        self.verify_body = _multipart({}, "stamped.pdf", pdf)

    async def stamp(self, conn: _Connection, requests: list[float]) -> None:
        t0 = time.perf_counter()
        key = f"Idempotency-Key: {secrets.token_hex(12)}\r\n"
        # each flow another document (bench.county.another_copy), as a clerk's next one is
        submit_body = _multipart(self.fields, "decision.pdf", another_copy(self.pdf, next(self.copies)))
        status, body = await conn.request("POST", "/api/v1/stamp-requests", self.clerk + key + self.form, submit_body)
        if status != 201:
            raise HttpError(f"submit {status}: {body[:200]!r}")
        t1 = time.perf_counter()
        rid = json.loads(body)["id"]
        status, body = await conn.request("POST", f"/api/v1/stamp-requests/{rid}/approve", self.approver)
        if status != 200 or json.loads(body).get("status") != "stamped":
            raise HttpError(f"approve {status}: {body[:200]!r}")
        requests += (t1 - t0, time.perf_counter() - t1)

    async def verify(self, conn: _Connection, requests: list[float]) -> None:
        t0 = time.perf_counter()
        status, body = await conn.request("POST", "/api/v1/verify", self.form, self.verify_body)
        if status != 200:
            raise HttpError(f"verify {status}: {body[:200]!r}")
        requests.append(time.perf_counter() - t0)


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    parts = urlsplit(args.base)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("loopback only")
    host, port = parts.hostname, parts.port or 80
    flow = _Flow(args)
    step = flow.stamp if args.flow == "stamp" else flow.verify

    async def warm_up() -> None:
        conn = _Connection(host, port)
        try:
            await asyncio.wait_for(step(conn, []), REQUEST_TIMEOUT)
        finally:
            await conn.close()

    await asyncio.gather(*(warm_up() for _ in range(min(args.clients, 4))))  # every worker's caches
    flows: list[float] = []
    requests: list[float] = []
    errors: list[str] = []
    deadline = time.perf_counter() + args.seconds

    async def client() -> None:
        while time.perf_counter() < deadline:
            conn = _Connection(host, port)
            try:
                for _ in range(FLOWS_PER_CONNECTION):
                    if time.perf_counter() >= deadline:
                        break
                    t = time.perf_counter()
                    try:
                        await asyncio.wait_for(step(conn, requests), REQUEST_TIMEOUT)
                    except Exception as exc:
                        errors.append(f"{type(exc).__name__}: {exc}"[:300])
                        await conn.close()
                    else:
                        flows.append(time.perf_counter() - t)
            finally:
                await conn.close()

    server = tree_cpu(args.cpu_of) if args.cpu_of else 0.0
    database, machine = named_cpu(DATABASE_PROCESS), machine_ticks()
    cpu, t = time.process_time(), time.perf_counter()
    await asyncio.gather(*(client() for _ in range(args.clients)))
    elapsed, cpu = time.perf_counter() - t, time.process_time() - cpu
    server = tree_cpu(args.cpu_of) - server if args.cpu_of else float("nan")
    database = named_cpu(DATABASE_PROCESS) - database
    busy, total = (b - a for a, b in zip(machine, machine_ticks(), strict=True))
    return {
        "flow": args.flow,
        "clients": args.clients,
        "seconds": elapsed,
        "completed": len(flows),
        "errors": len(errors),
        "error_samples": errors[:3],
        "flows": flows,
        "requests": requests,
        "client_cpu": cpu,
        "server_cpu": server,
        "database_cpu": database,
        "machine_busy": busy / total if total else float("nan"),
    }


def _stats() -> dict[int, tuple[str, list[str]]]:
    """Each process's command name and the fields of its /proc stat after it (Linux)."""
    stats: dict[int, tuple[str, list[str]]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:  # the command name, in parentheses, may hold spaces: split after it
            head, tail = stat.read_text().rsplit(")", 1)
            stats[int(stat.parent.name)] = (head.split("(", 1)[1], tail.split())
        except (OSError, IndexError):  # gone meanwhile
            continue
    return stats


def named_cpu(name: str) -> float:
    """CPU seconds (user + system) so far of every process whose command is ``name`` (the database server's
    processes on this machine: its CPU is not the service's, but it takes the same cores)."""
    ticks = sum(int(f[11]) + int(f[12]) for comm, f in _stats().values() if comm == name)
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_ticks() -> tuple[int, int]:
    """Busy and total clock ticks of all cores so far (/proc/stat; idle and iowait are not busy)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    total = sum(fields[:8])  # user nice system idle iowait irq softirq steal (guest is inside user)
    return total - fields[3] - fields[4], total


def tree_cpu(root: int) -> float:
    """CPU seconds (user + system) of process ``root`` and its descendants so far (Linux /proc)."""
    stats = {pid: fields for pid, (_comm, fields) in _stats().items()}
    tree, grew = {root}, True
    while grew:
        grew = False
        for pid, fields in stats.items():
            if pid not in tree and int(fields[1]) in tree:
                tree.add(pid)
                grew = True
    ticks = sum(int(stats[pid][11]) + int(stats[pid][12]) for pid in tree if pid in stats)
    return ticks / os.sysconf("SC_CLK_TCK")


def _loop() -> Any:
    try:
        import uvloop
    except ImportError:  # plain asyncio: a little more CPU per request
        return None
    return uvloop.new_event_loop


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--flow", choices=("stamp", "verify"), required=True)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--pdf", required=True)
    ap.add_argument("--cpu-of", type=int, default=0, help="process id of the server, for its CPU time")
    args = ap.parse_args()
    args.clerk = os.environ.get("BENCH_CLERK_TOKEN", "")
    args.approver = os.environ.get("BENCH_APPROVER_TOKEN", "")
    with asyncio.Runner(loop_factory=_loop()) as runner:
        print(json.dumps(runner.run(_run(args))))


if __name__ == "__main__":
    main()
