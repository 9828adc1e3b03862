"""Child process of the scaling and verification sections: the time and peak memory of one stamp
(or, with ``--verify``, one verification), as JSON on stdout.

    python -m bench.memprobe --home H --base-url U --file F [--placement JSON] --warm W [--verify]

The county's engine (or the verifier) is warmed on ``W`` first (imports, seal material, validation
data), so the figures are those of a running service. Peak RSS is Linux's VmHWM, reset right before
the operation (``/proc/self/clear_refs``); the tracemalloc peak is taken on a second run on the same file.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.county import County

__all__ = ["growth", "main", "probe"]


def probe(county: County, path: Path, *, warm: Path, placement: Any = None, verify: bool = False) -> dict[str, Any]:
    """Run this module in a child process on ``path`` and return its figures."""
    from bench.context import REPO

    cmd = [sys.executable, "-m", "bench.memprobe", "--home", str(county.home), "--base-url", county.base_url]
    cmd += ["--file", str(path), "--warm", str(warm)]
    if placement is not None:
        cmd += ["--placement", json.dumps(placement)]
    if verify:
        cmd.append("--verify")
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=REPO, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"memprobe failed for {path.name}:\n{done.stderr[-2000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def growth(figures: dict[str, Any]) -> int:
    """Peak RSS during the operation minus the resident size just before it, in bytes."""
    return max(0, int(figures["peak_rss"]) - int(figures["baseline_rss"]))


def _status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--home", required=True)
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--file", required=True)
    ap.add_argument("--warm", required=True)
    ap.add_argument("--placement", default='{"mode": "keyword"}')
    ap.add_argument("--verify", action="store_true", help="measure esign.verify.verify_pdf of a stamped file")
    args = ap.parse_args()

    from bench.county import now
    from esign.config import Settings
    from esign.deployment import Deployment
    from esign.stamp import placement_from_dict
    from esign.verify import verify_pdf
    from esign.workflow.engine import StampEngine
    from esign.workflow.requests import StampRequestSpec, stamp_directly

    dep = Deployment.open(Settings(home=Path(args.home), public_base_url=args.base_url), migrate_db=False)
    engine = StampEngine(dep, clock=now)

    def stamp(data: bytes, placement: dict[str, object]) -> None:
        where = placement_from_dict(placement)
        spec = StampRequestSpec(seal="克城镇", item="1", reason="基准测试 memory", placement=where)
        stamp_directly(dep, engine, data, spec, user="克城镇窗口", approver="克城镇批准人", at=now())

    def verify(data: bytes, placement: dict[str, object]) -> None:
        report = verify_pdf(data, trust_roots=dep.pki.root, at=now())
        if str(report.indication) != "TOTAL_PASSED":
            raise SystemExit(f"verification did not pass: {report.indication}")

    run = verify if args.verify else stamp
    run(Path(args.warm).read_bytes(), {"mode": "keyword"})
    data = Path(args.file).read_bytes()
    placement = json.loads(args.placement)
    gc.collect()
    baseline = _status_kib("VmRSS") or 0
    exact = _reset_peak()
    before_max = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    run(data, placement)
    seconds = time.perf_counter() - t
    peak = (_status_kib("VmHWM") if exact else None) or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    run(data, placement)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    dep.close()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "baseline_rss": baseline * 1024,
                "peak_rss": peak * 1024,
                "exact_peak": exact,
                "peak_before": before_max * 1024,
                "traced_peak": traced_peak,
            }
        )
    )


if __name__ == "__main__":
    main()
