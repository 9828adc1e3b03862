"""What the benchmark sections share: the mode, a scratch folder, the county, the documents."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from rich.console import Console

from bench.county import BenchCounty, Documents, KeyExports
from bench.stats import Summary
from service.live import free_port

__all__ = ["REPO", "Context"]

#: The checkout the benchmarks run from (BENCHMARKS.md, the working folder of child processes).
REPO = Path(__file__).resolve().parent.parent


@dataclass
class Context:
    """One run's shared state. The county is created on first use, on a port picked in advance."""

    quick: bool
    """CI run: few rounds, small sizes."""
    tmp: Path
    """Scratch folder, removed at the end."""
    console: Console
    """Where progress goes."""
    smoke: bool = False
    """The test suite's run (implies quick): one round of everything and the smallest sizes, only to
    show that every section runs and prints its table; its figures mean nothing."""
    with_pg: bool = True
    """Whether to use the PostgreSQL server (when one answers)."""
    pg_url: str = "postgresql://postgres@127.0.0.1:5432/test"
    """Admin URL of the PostgreSQL database; benchmark schemas are created and dropped in it."""
    docs: Documents = field(default_factory=Documents)
    """Test documents."""
    figures: dict[str, Summary] = field(default_factory=dict)
    """Medians other sections refer to (e.g. the crypto floor section)."""

    @cached_property
    def port(self) -> int:
        """The port the county's certificates point at (OCSP, CRL, TSA)."""
        return free_port()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @cached_property
    def county(self) -> BenchCounty:
        """The demo county (SQLite) in ``tmp/county``."""
        return BenchCounty(self.tmp / "county", base_url=self.base_url)

    @cached_property
    def exports(self) -> KeyExports:
        """The seal key for the pyHanko CLI and pdfsig."""
        return KeyExports.write(self.county, self.tmp / "keys")

    def rounds(self, quick: int, full: int) -> int:
        """Rounds for this mode."""
        if self.smoke:
            return 1
        return quick if self.quick else full

    def progress(self, text: str) -> None:
        """A progress line (dim, on the console)."""
        self.console.print(f"[dim]… {text}[/]", highlight=False)
