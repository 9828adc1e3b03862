"""Timing primitives: interleaved rounds and robust summaries (median, p10-p90).

Contenders are run round by round (A B C, then C A B, ...): a slow minute on a shared machine then
hits every contender alike instead of the one that happened to run during it, and the rotation
keeps any contender from always running right after the same neighbour.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["Elapsed", "Summary", "fmt_bytes", "fmt_rate", "fmt_ratio", "fmt_seconds", "race", "summarise", "timed"]


@dataclass(frozen=True)
class Summary:
    """Summary of one contender's samples (seconds, or any unit the caller chose)."""

    n: int
    """Number of samples."""
    median: float
    """Median."""
    p10: float
    """10th percentile (the median itself when there are fewer than two samples)."""
    p90: float
    """90th percentile."""

    def ratio(self, baseline: Summary) -> float:
        """This median over the baseline's median."""
        return self.median / baseline.median if baseline.median else float("nan")


def summarise(samples: Sequence[float]) -> Summary:
    """Median and p10/p90 (inclusive method: with few samples the extremes bound the range)."""
    if not samples:
        raise ValueError("no samples")
    med = statistics.median(samples)
    if len(samples) < 2:
        return Summary(len(samples), med, med, med)
    q = statistics.quantiles(samples, n=10, method="inclusive")
    return Summary(len(samples), med, q[0], q[8])


class Elapsed(float):
    """What a contender returns when its work ran, and was timed, in another process: the seconds it
    measured there, without the round trip to it."""


def timed(fn: Callable[[], object]) -> float:
    """Wall time of one call, in seconds (or the :class:`Elapsed` the call returns)."""
    t = time.perf_counter()
    out = fn()
    wall = time.perf_counter() - t
    return float(out) if isinstance(out, Elapsed) else wall


def race(
    contenders: Sequence[tuple[str, Callable[[], object]]], *, rounds: int, warmup: int = 1
) -> dict[str, list[float]]:
    """Run every contender once per round, rotating the order each round; returns samples per name.

    ``warmup`` rounds run first and are not recorded (imports, caches, the first TLS of a pool).
    """
    samples: dict[str, list[float]] = {name: [] for name, _ in contenders}
    k = len(contenders)
    for r in range(warmup + rounds):
        order = [contenders[(i + r) % k] for i in range(k)]
        for name, fn in order:
            elapsed = timed(fn)
            if r >= warmup:
                samples[name].append(elapsed)
    return samples


def fmt_seconds(s: float) -> str:
    """A duration with a unit that keeps three significant figures."""
    if s != s:  # NaN
        return "-"
    if s < 1e-3:
        return f"{s * 1e6:.1f} µs"
    if s < 1:
        return f"{s * 1e3:.1f} ms"
    return f"{s:.2f} s"


def fmt_ratio(x: float) -> str:
    """A ratio such as ``2.35×``."""
    if x != x:
        return "-"
    return f"{x:.2f}×"


def fmt_rate(x: float, unit: str) -> str:
    """A rate such as ``12.3 docs/s``."""
    if x != x:
        return "-"
    if x >= 100:
        return f"{x:,.0f} {unit}"
    return f"{x:.1f} {unit}"


def fmt_bytes(n: float) -> str:
    """A size such as ``328 KB`` or ``9.9 MB``."""
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"
