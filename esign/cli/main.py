"""The ``esign`` command. Errors become exit codes here and nowhere else."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from esign import __version__
from esign.cli.common import err_console
from esign.cli.ledger import LedgerHandle
from esign.errors import (
    AuthError,
    ConfigError,
    ConflictError,
    EsignError,
    ForbiddenError,
    InputError,
    NotFoundError,
    StateError,
)

__all__ = ["EXIT_CODES", "app", "main"]

app = typer.Typer(
    name="esign",
    help="乡镇“一枚印章管审批”电子印章：县级证书体系、盖章、验章与用印登记。\n\n"
    "Electronic seals for township service centres.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

#: Exit code per error class (the first matching class wins).
EXIT_CODES: tuple[tuple[type[EsignError], int], ...] = (
    (InputError, 2),
    (NotFoundError, 3),
    (AuthError, 4),
    (ForbiddenError, 4),
    (StateError, 5),
    (ConflictError, 5),
    (ConfigError, 6),
    (EsignError, 1),
)


@app.command()
def version() -> None:
    """打印版本 / print the version."""
    typer.echo(__version__)


def _register() -> None:
    from esign.cli import catalog, county, ledger, seal, serve, stamp, user, verify

    for module in (county, catalog, seal, stamp, verify, ledger, user, serve):
        module.register(app)
    from esign.cli import backup as backup_cli
    from esign.cli import feed as feed_cli

    feed_cli.register(app)
    backup_cli.register(app)
    ledger.set_opener(_open_ledger)


def _open_ledger(home: Path | None) -> LedgerHandle:
    from esign.cli.common import open_deployment

    dep = open_deployment(home)
    signer = dep.ledger_signer if dep.has_pki else None
    return LedgerHandle(sessions=dep.sessions, verifier=dep.ledger_verifier, signer=signer)


_register()


def main() -> None:
    """Entry point: run the app and turn esign errors into messages and exit codes."""
    try:
        result = app(standalone_mode=False)
    except EsignError as exc:
        err_console.print(f"[bold red]错误[/] {exc.message_zh}\n[red]error[/] {exc.message_en} [dim]({exc.code})[/]")
        sys.exit(next(code for cls, code in EXIT_CODES if isinstance(exc, cls)))
    except typer.Abort:
        err_console.print("已取消 / aborted")
        sys.exit(1)
    except SystemExit:
        raise
    except Exception as exc:  # click usage errors arrive here in non-standalone mode
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
    # In non-standalone mode click returns the code of ``typer.Exit`` instead of exiting with it.
    sys.exit(result if isinstance(result, int) else 0)
