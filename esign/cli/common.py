"""Shared CLI plumbing: the --home option, opening the deployment, the clock, output helpers."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    from rich.table import Table

    from esign.config import Settings
    from esign.deployment import Deployment

__all__ = [
    "HomeOpt",
    "JsonOpt",
    "configure_logging",
    "console",
    "err_console",
    "home_dir",
    "now",
    "open_deployment",
    "print_json",
    "print_uncut",
]

console = Console()
err_console = Console(stderr=True)

HomeOpt = Annotated[
    Path | None,
    typer.Option(
        "--home", envvar="ESIGN_HOME", help="数据目录 / data home (keys/, certs/, esign.db)", show_default="."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="输出 JSON / machine-readable output")]


class _NoLibraryTracebacks(logging.Formatter):
    """One line per record; the tracebacks that libraries attach to their warnings (pyHanko logs a
    certificate path that does not validate with ``exc_info``) are left out. esign's own records keep
    theirs: those are faults to report."""

    def format(self, record: logging.LogRecord) -> str:
        if record.name.split(".")[0] in ("esign", "service") or not (record.exc_info or record.stack_info):
            return super().format(record)
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            return super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


_HANDLER_NAME = "esign-cli"


def configure_logging(*, verbose: bool) -> None:
    """Warnings to stderr, one line each; with ``verbose`` also the libraries' tracebacks and INFO."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    fmt = "%(levelname)s %(name)s: %(message)s"
    handler.setFormatter(logging.Formatter(fmt) if verbose else _NoLibraryTracebacks(fmt))
    root.addHandler(handler)
    root.setLevel(logging.INFO if verbose else logging.WARNING)


def now() -> dt.datetime:
    """The clock: only the CLI and the service read it."""
    return dt.datetime.now(dt.UTC)


def home_dir(home: Path | None) -> Path:
    """The data home that :func:`settings_for` would give, without loading the settings (pydantic):
    ``--home``, else ``ESIGN_HOME``, else the current directory. For a command that must first learn
    whether a home exists at all (``esign verify``) before it needs anything else from it."""
    if home is not None:
        return home
    return Path(os.environ.get("ESIGN_HOME") or ".")


def settings_for(home: Path | None) -> Settings:
    """Settings from the environment, with ``--home`` taking precedence."""
    from esign.config import Settings

    return Settings(home=home) if home is not None else Settings()


def open_deployment(home: Path | None) -> Deployment:
    """Open (and migrate) the deployment in ``home``."""
    from esign.deployment import Deployment

    return Deployment.open(settings_for(home))


def print_json(data: Any) -> None:
    """Machine-readable output on stdout."""
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def print_uncut(table: Table) -> None:
    """Print ``table`` at its full width even where the console is narrower (a log file, a pipe, an
    80-column terminal), so that nothing in it - a token shown once - is cut off."""
    from rich.measure import Measurement

    needed = Measurement.get(console, console.options.update(width=10_000), table).maximum
    if needed <= console.width:
        console.print(table)
        return
    wide = Console(file=console.file, width=needed, force_terminal=console.is_terminal, no_color=console.no_color)
    wide.print(table)
