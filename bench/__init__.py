"""esign's benchmarks: figures on this machine, never pass/fail on time.

Run ``python -m bench`` (full, writes BENCHMARKS.md) or ``python -m bench --quick`` (CI smoke run).
"""

__all__: list[str] = []
