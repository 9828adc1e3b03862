"""The service section's in-process contender in a process of its own, so that several can run at once.

    python -m bench.inproc --home DIR --base-url URL [--database-url URL] --flow stamp|verify --pdf FILE
                           --seconds S

It opens the county in ``--home`` (made by :class:`bench.county.BenchCounty`), warms up with two calls,
prints ``ready`` and waits for a line on its input (so that processes started one after the other
begin together), calls back to back for ``--seconds`` and prints one JSON object: calls, wall
seconds, CPU seconds. With two
of them at once on the same county, the section learns what two processes of the same library calls
reach on this machine (its cores, the database's lock, the other load), the ceiling against which two
server workers are judged.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

from bench.copies import another_copy
from bench.county import APPROVER, CLERK, ITEM, SEAL, now
from esign.config import Settings
from esign.deployment import Deployment
from esign.stamp import placement_from_dict
from esign.workflow.engine import StampEngine
from esign.workflow.requests import StampRequestSpec, stamp_directly
from esign.workflow.verification import verify_document

__all__ = ["main"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--home", required=True)
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--flow", choices=("stamp", "verify"), required=True)
    ap.add_argument("--pdf", required=True)
    ap.add_argument("--seconds", type=float, required=True)
    args = ap.parse_args()
    settings = Settings(home=Path(args.home), public_base_url=args.base_url, database_url=args.database_url)
    dep = Deployment.open(settings, migrate_db=False)
    data = Path(args.pdf).read_bytes()
    engine = StampEngine(dep, clock=now)
    copies = itertools.count()

    def stamp() -> object:
        spec = StampRequestSpec(
            seal=SEAL,
            item=ITEM,
            reason="基准测试 benchmark",
            title="基准测试文书",
            level="B-LT",
            placement=placement_from_dict({"mode": "keyword"}),
        )
        copy = another_copy(data, next(copies))  # each stamp another document, as in the load client
        return stamp_directly(dep, engine, copy, spec, user=CLERK, approver=APPROVER, at=now())

    call = stamp if args.flow == "stamp" else lambda: verify_document(dep, data, at=now())
    for _ in range(2):  # the seal's key and artwork, the caches
        call()
    print("ready", flush=True)
    sys.stdin.readline()
    n, cpu, t = 0, time.process_time(), time.perf_counter()
    while True:
        call()
        n += 1
        if time.perf_counter() - t >= args.seconds:
            break
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    dep.close()
    print(json.dumps({"calls": n, "wall": wall, "cpu": cpu}))


if __name__ == "__main__":
    main()
