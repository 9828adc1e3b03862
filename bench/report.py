"""What a run found: tables, target verdicts, profiles and the machine, shown on the console
(rich) and written into BENCHMARKS.md between markers.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import subprocess
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from rich.console import Console
from rich.table import Table as RichTable

__all__ = [
    "RESULTS_END",
    "RESULTS_START",
    "Report",
    "Section",
    "machine_info",
    "write_results",
]

RESULTS_START = "<!-- results:start -->"
RESULTS_END = "<!-- results:end -->"


@dataclass
class Section:
    """One table of figures."""

    title: str
    """Heading, e.g. ``1. Stamping a 1-page decision``."""
    columns: list[str]
    """Column headers."""
    rows: list[list[str]] = field(default_factory=list)
    """Cells, already formatted."""
    notes: list[str] = field(default_factory=list)
    """Lines printed under the table: what was measured, skips, caveats."""
    verdicts: list[str] = field(default_factory=list)
    """``PASS ...`` / ``MISS ...`` lines for targets (figures, never assertions)."""
    blocks: list[str] = field(default_factory=list)
    """Preformatted text (profiles)."""

    def add(self, *cells: object) -> None:
        """Append a row; cells are converted with ``str``."""
        self.rows.append([str(c) for c in cells])


@dataclass
class Report:
    """Everything one run printed."""

    machine: dict[str, str]
    """From :func:`machine_info`."""
    mode: str
    """``quick`` or ``full``."""
    started: dt.datetime
    """When the run started (UTC)."""
    sections: list[Section] = field(default_factory=list)
    """In the order they ran."""
    duration: float = 0.0
    """Seconds the whole run took."""

    def show(self, console: Console, section: Section) -> None:
        """Print one section as a rich table with its notes and verdicts."""
        table = RichTable(title=section.title, title_justify="left", title_style="bold")
        for i, col in enumerate(section.columns):
            table.add_column(col, justify="left" if i == 0 else "right", overflow="fold")
        for row in section.rows:
            table.add_row(*row)
        console.print(table)
        for note in section.notes:
            console.print(f"  [dim]{note}[/]", highlight=False)
        for verdict in section.verdicts:
            style = "green" if verdict.startswith("PASS") else "red" if verdict.startswith("MISS") else "yellow"
            console.print(f"  [{style}]{verdict}[/]", highlight=False)
        for block in section.blocks:
            console.print(block, highlight=False, markup=False)
        console.print()

    def markdown(self) -> str:
        """The results section of BENCHMARKS.md."""
        out = [
            f"Last full run: {self.started:%Y-%m-%d %H:%M} UTC, {self.duration / 60:.1f} min "
            f"(`python -m bench`, written by the runner; do not edit by hand).",
            "",
            "| machine | |",
            "| --- | --- |",
        ]
        out += [f"| {k} | {_md(v)} |" for k, v in self.machine.items()]
        out.append("")
        for s in self.sections:
            out += [f"### {s.title}", ""]
            out.append("| " + " | ".join(_md(c) for c in s.columns) + " |")
            out.append("| " + " | ".join("---" if i == 0 else "---:" for i in range(len(s.columns))) + " |")
            out += ["| " + " | ".join(_md(c) for c in row) + " |" for row in s.rows]
            out.append("")
            out += [f"- {_md(n)}" for n in s.notes]
            out += [f"- **{_md(v)}**" for v in s.verdicts]
            if s.notes or s.verdicts:
                out.append("")
            for block in s.blocks:
                out += ["```", block.rstrip(), "```", ""]
        return "\n".join(out).rstrip() + "\n"


def _md(text: str) -> str:
    # rich markup never reaches here; only pipes would break a markdown table
    return text.replace("|", "\\|")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "?"


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _tool_version(cmd: list[str], pattern: str) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "not installed"
    found = re.search(pattern, out.stdout + out.stderr)
    return found.group(1) if found else "?"


def machine_info() -> dict[str, str]:
    """CPU, cores, memory, OS and the versions of everything measured."""
    return {
        "CPU": _cpu_model(),
        "cores": f"{os.cpu_count()} logical (affinity {len(os.sched_getaffinity(0))})",
        "memory": _memory(),
        "OS": platform.platform(),
        "Python": sys.version.split()[0],
        "pyHanko": _version("pyhanko"),
        "pyhanko-certvalidator": _version("pyhanko-certvalidator"),
        "pyhanko-cli": _version("pyhanko-cli"),
        "cryptography": _version("cryptography") + f" ({_openssl()})",
        "poppler (pdfsig)": _tool_version(["pdfsig", "-v"], r"version ([\d.]+)"),
    }


def _openssl() -> str:
    from cryptography.hazmat.backends.openssl import backend

    return str(backend.openssl_version_text())


def write_results(path: Path, report: Report) -> None:
    """Replace what lies between the result markers in ``path`` (appending them if absent)."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    block = f"{RESULTS_START}\n{report.markdown()}{RESULTS_END}"
    if RESULTS_START in text and RESULTS_END in text:
        head, rest = text.split(RESULTS_START, 1)
        _, tail = rest.split(RESULTS_END, 1)
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n## Latest results\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")
