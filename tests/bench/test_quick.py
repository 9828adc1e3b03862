"""The benchmark suite runs end to end in its smoke mode (quick, one round, the smallest sizes: every
section runs and prints its table; figures only, nothing is asserted on time)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_quick_benchmark_runs_and_prints_its_tables() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--write", "no"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900, check=False,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-4000:]
    for header in (
        "1. Stamping a 1-page decision",
        "2. Size scaling",
        "3. Batch",
        "4. Verifying stamped B-LT files",
        "4b. Whole process: esign verify FILE vs pdfsig FILE",
        "5. Crypto floor",
        "6. HTTP service under load",
        "7a. Usage register",
        "7b. Usage register in the database",
        "8. SM2/SM3",
        "8c. SM2 county PKI",
        "9. Hostile documents",
        "median",
        "p10–p90",
    ):
        assert header in out, f"missing {header!r}:\n{out[-4000:]}"
    assert "target: ours visible B-LT" in out
    assert "in esign's process" in out  # pyHanko ran both as released (a child without esign) and beside ours
    assert "BENCHMARKS.md" not in out  # a quick run never rewrites the figures
