"""The load generator of the service section, run as its own process (loopback only).

    python -m bench.loadclient --base URL --flow stamp|verify --clients N --seconds S --pdf FILE

The stamp flow's API tokens come from the environment (``BENCH_CLERK_TOKEN``,
``BENCH_APPROVER_TOKEN``), not the command line, where any process listing would show them.

N asyncio tasks share one httpx client and repeat the flow until S seconds have passed (after a
warm-up round, not recorded); prints one JSON object: completed flows, errors, latencies (s).

* stamp: POST /api/v1/stamp-requests (clerk) then POST /api/v1/stamp-requests/{id}/approve (approver).
* verify: POST /api/v1/verify with the file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

__all__ = ["main"]


#: Each client opens a new connection after this many flows (and closes the old one itself): the
#: server's worker processes share a listening socket, and a kept-alive connection stays on the
#: worker that accepted it, so with a connection for good all clients could end up on one worker.
FLOWS_PER_CONNECTION = 10


class _Flow:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.pdf = Path(args.pdf).read_bytes()

    async def stamp(self, client: httpx.AsyncClient) -> dict[str, float]:
        t0 = time.perf_counter()
        r = await client.post(
            "/api/v1/stamp-requests",
            headers={"Authorization": f"Bearer {self.args.clerk}", "Idempotency-Key": secrets.token_hex(12)},
            data={"seal": "克城镇", "item": "1", "reason": "服务压力测试 load", "title": "压力测试文书"},
            files={"file": ("decision.pdf", self.pdf, "application/pdf")},
        )
        if r.status_code != 201:
            raise RuntimeError(f"submit {r.status_code}: {r.text[:200]}")
        t1 = time.perf_counter()
        rid = r.json()["id"]
        r = await client.post(
            f"/api/v1/stamp-requests/{rid}/approve", headers={"Authorization": f"Bearer {self.args.approver}"}
        )
        if r.status_code != 200 or r.json().get("status") != "stamped":
            raise RuntimeError(f"approve {r.status_code}: {r.text[:200]}")
        t2 = time.perf_counter()
        return {"flow": t2 - t0, "submit": t1 - t0, "approve": t2 - t1}

    async def verify(self, client: httpx.AsyncClient) -> dict[str, float]:
        t0 = time.perf_counter()
        r = await client.post("/api/v1/verify", files={"file": ("stamped.pdf", self.pdf, "application/pdf")})
        if r.status_code != 200:
            raise RuntimeError(f"verify {r.status_code}: {r.text[:200]}")
        return {"flow": time.perf_counter() - t0}


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    host = urlsplit(args.base).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("loopback only")
    flow = _Flow(args)
    step = flow.stamp if args.flow == "stamp" else flow.verify

    def connect() -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=args.base, timeout=120, limits=httpx.Limits(max_connections=1))

    async def warm_up() -> None:
        async with connect() as client:
            await step(client)

    await asyncio.gather(*(warm_up() for _ in range(args.clients)))  # every worker's caches
    samples: list[dict[str, float]] = []
    errors: list[str] = []
    deadline = time.perf_counter() + args.seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            async with connect() as client:
                for _ in range(FLOWS_PER_CONNECTION):
                    if time.perf_counter() >= deadline:
                        break
                    try:
                        samples.append(await step(client))
                    except (httpx.HTTPError, RuntimeError) as exc:
                        errors.append(f"{type(exc).__name__}: {exc}"[:300])

    t = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(args.clients)))
    elapsed = time.perf_counter() - t
    return {
        "flow": args.flow,
        "clients": args.clients,
        "seconds": elapsed,
        "completed": len(samples),
        "errors": len(errors),
        "error_samples": errors[:3],
        "latency": {k: [s[k] for s in samples] for k in (samples[0] if samples else {})},
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--flow", choices=("stamp", "verify"), required=True)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--pdf", required=True)
    args = ap.parse_args()
    args.clerk = os.environ.get("BENCH_CLERK_TOKEN", "")
    args.approver = os.environ.get("BENCH_APPROVER_TOKEN", "")
    print(json.dumps(asyncio.run(_run(args))))


if __name__ == "__main__":
    main()
