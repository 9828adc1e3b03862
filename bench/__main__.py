"""``python -m bench [--quick] [--only SECTIONS]``: see BENCHMARKS.md."""

import sys

from bench.runner import main

__all__: list[str] = []

sys.exit(main())
