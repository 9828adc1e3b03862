"""esign's benchmarks: figures on this machine, never pass/fail on time.

Run ``python -m bench`` (full, writes BENCHMARKS.md) or ``python -m bench --quick`` (CI smoke run).
"""

import warnings

# pyHanko's imports of cryptography's DSA types warn (cryptography 48+); the same filter as
# esign.compat.quiet_dsa_warning, set here because the benchmarks' processes (this one and every
# ``python -m bench.X`` child) import pyHanko before, or without, esign.
warnings.filterwarnings("ignore", message="DSA is deprecated", module=r"pyhanko\.")

__all__: list[str] = []
