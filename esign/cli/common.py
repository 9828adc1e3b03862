"""Shared CLI plumbing: the --home option, opening the deployment, the clock, output helpers."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from esign.config import Settings
from esign.deployment import Deployment

__all__ = ["HomeOpt", "JsonOpt", "console", "err_console", "now", "open_deployment", "print_json"]

console = Console()
err_console = Console(stderr=True)

HomeOpt = Annotated[
    Path | None,
    typer.Option(
        "--home", envvar="ESIGN_HOME", help="数据目录 / data home (keys/, certs/, esign.db)", show_default="."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="输出 JSON / machine-readable output")]


def now() -> dt.datetime:
    """The clock: only the CLI and the service read it."""
    return dt.datetime.now(dt.UTC)


def settings_for(home: Path | None) -> Settings:
    """Settings from the environment, with ``--home`` taking precedence."""
    return Settings(home=home) if home is not None else Settings()


def open_deployment(home: Path | None) -> Deployment:
    """Open (and migrate) the deployment in ``home``."""
    return Deployment.open(settings_for(home))


def print_json(data: Any) -> None:
    """Machine-readable output on stdout."""
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
