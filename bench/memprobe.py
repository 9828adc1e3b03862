"""Child process of the scaling and verification sections: the time and peak memory of one stamp
(or, with ``--verify``, one verification), as JSON on stdout.

    python -m bench.memprobe --home H --base-url U --file F [--placement JSON] --warm W [--verify] [--trace]

The county's engine (or the verifier) is warmed on ``W`` first (imports, seal material, validation
data), so the figures are those of a running service; ``W`` should not be ``F``'s bytes, or the
per-process findings kept for those bytes (the keyword's page, the page count) spare the measured
operation its PDFium work. Then one operation on ``F`` is measured, the first on those bytes:

- peak RSS growth: Linux's VmHWM (reset through ``/proc/self/clear_refs`` right before the operation)
  minus VmRSS just before it, after ``gc.collect()`` and glibc's ``malloc_trim(0)``: the heap memory
  the warm-up freed is handed back first, so the growth is what the operation touches beyond the live
  heap, not beyond whatever free space the warm-up happened to leave (glibc keeps freed memory
  resident, so without the trim the figure depends on the warm-up's history);
- with ``--trace``, instead, the tracemalloc peak of that operation (Python allocations only).

:func:`probe` runs several children per file and reports the median growth.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import gc
import json
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.county import County

__all__ = ["growth", "growth_of", "main", "probe"]


def probe(
    county: County, path: Path, *, warm: Path, placement: Any = None, verify: bool = False, repeat: int = 1
) -> dict[str, Any]:
    """Measure ``path`` in ``repeat`` child processes for the peak RSS growth and in one more for the
    tracemalloc peak, one after another; return the median growth (``growth``), every child's
    (``growths``) and the tracemalloc peak (``traced_peak``)."""

    # one after another: children running side by side contend (the county's database, the CPU) and
    # their figures spread more
    done = [
        _child(county, path, warm=warm, placement=placement, verify=verify, trace=trace)
        for trace in [False] * max(1, repeat) + [True]
    ]
    runs, traced = done[:-1], done[-1]
    growths = sorted(growth_of(run) for run in runs)
    return {
        "growth": int(statistics.median(growths)),
        "growths": growths,
        "baseline_rss": int(statistics.median(run["baseline_rss"] for run in runs)),
        "exact_peak": all(run["exact_peak"] for run in runs),
        "trimmed": all(run["trimmed"] for run in runs),
        "seconds": statistics.median(run["seconds"] for run in runs),
        "traced_peak": traced["traced_peak"],
    }


def growth(figures: dict[str, Any]) -> int:
    """The median peak RSS growth of :func:`probe`'s children, in bytes."""
    return int(figures["growth"])


def growth_of(run: dict[str, Any]) -> int:
    """One child's peak RSS during the operation minus its resident size just before it, in bytes."""
    return max(0, int(run["peak_rss"]) - int(run["baseline_rss"]))


def _child(
    county: County, path: Path, *, warm: Path, placement: Any, verify: bool, trace: bool = False
) -> dict[str, Any]:
    from bench.context import REPO

    cmd = [sys.executable, "-m", "bench.memprobe", "--home", str(county.home), "--base-url", county.base_url]
    cmd += ["--file", str(path), "--warm", str(warm)]
    if placement is not None:
        cmd += ["--placement", json.dumps(placement)]
    if verify:
        cmd.append("--verify")
    if trace:
        cmd.append("--trace")
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=REPO, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"memprobe failed for {path.name}:\n{done.stderr[-2000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


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


def _trim() -> bool:
    """Hand the heap's free memory back to the OS (glibc's ``malloc_trim``); False where there is none."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        trim = libc.malloc_trim
    except (OSError, AttributeError, TypeError):
        return False
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    trim(0)
    return True


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--home", required=True)
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--file", required=True)
    ap.add_argument("--warm", required=True)
    ap.add_argument("--placement", default='{"mode": "keyword"}')
    ap.add_argument("--verify", action="store_true", help="measure esign.verify.verify_pdf of a stamped file")
    ap.add_argument("--trace", action="store_true", help="the tracemalloc peak instead of the peak RSS")
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
    if args.trace:
        tracemalloc.start()
        run(data, placement)
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        dep.close()
        print(json.dumps({"traced_peak": traced_peak}))
        return
    trimmed = _trim()
    baseline = _status_kib("VmRSS") or 0
    exact = _reset_peak()
    before_max = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    run(data, placement)
    seconds = time.perf_counter() - t
    peak = (_status_kib("VmHWM") if exact else None) or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    dep.close()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "baseline_rss": baseline * 1024,
                "peak_rss": peak * 1024,
                "exact_peak": exact,
                "trimmed": trimmed,
                "peak_before": before_max * 1024,
            }
        )
    )


if __name__ == "__main__":
    main()
