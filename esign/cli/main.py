"""The ``esign`` command. Errors become exit codes here and nowhere else.

Start-up imports only what parses the command line: each command module keeps the library packages it
calls (pyHanko, SQLAlchemy, the workflow) inside its command functions, so ``esign verify FILE`` loads
the verifier and not the signer, the database or the service, and ``esign --help`` loads neither.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from esign import __version__
from esign.cli.common import configure_logging, err_console
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

if TYPE_CHECKING:
    from esign.cli.ledger import LedgerHandle

__all__ = ["EXIT_CODES", "app", "error_markup", "exit_code", "main"]

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
    from esign.cli import catalog, county, ledger, pki, seal, serve, stamp, user, verify

    for module in (county, catalog, seal, stamp, verify, ledger, user, serve, pki):
        module.register(app)
    from esign.cli import witness as witness_cli

    witness_cli.register(app)
    from esign.cli import backup as backup_cli
    from esign.cli import feed as feed_cli

    feed_cli.register(app)
    backup_cli.register(app)
    from esign.cli import ses as ses_cli

    ses_cli.register(app)
    ledger.set_opener(_open_ledger)


def _open_ledger(home: Path | None) -> LedgerHandle:
    from esign.cli.common import open_deployment
    from esign.cli.ledger import LedgerHandle
    from esign.ledger import collect_cosignatures, http_transport
    from esign.oversight import check_projection

    dep = open_deployment(home)
    signer = dep.ledger_signer if dep.has_pki else None
    return LedgerHandle(
        transaction=dep.transaction,
        verifier=dep.ledger_verifier,
        signer=signer,
        checks=(check_projection,),
        cosign=lambda: collect_cosignatures(dep.transaction, dep.witnesses, http_transport()),
    )


_register()


def main() -> None:
    """Entry point: run the app and turn esign errors into messages and exit codes.

    A usage mistake (unknown command, missing option, a value of the wrong type) is one line on
    stderr and exit code 2, as click does; no error ever shows a Python traceback.
    """
    configure_logging(verbose=False)
    try:
        result = app(standalone_mode=False)
    except EsignError as exc:
        err_console.print(error_markup(exc))
        sys.exit(exit_code(exc))
    except typer.Abort:
        err_console.print("已取消 / aborted")
        sys.exit(1)
    except SystemExit:
        raise
    except Exception as exc:  # usage errors arrive here in non-standalone mode
        if not _usage_error(exc):
            raise
        sys.exit(_show_usage_error(exc))
    # In non-standalone mode click returns the code of ``typer.Exit`` instead of exiting with it.
    sys.exit(result if isinstance(result, int) else 0)


def exit_code(exc: EsignError) -> int:
    """The exit code of ``exc``: the first class in :data:`EXIT_CODES` it is an instance of."""
    return next(code for cls, code in EXIT_CODES if isinstance(exc, cls))


def error_markup(exc: EsignError) -> str:
    """How an error is shown (rich markup, two lines): Chinese, then English with the code."""
    return f"[bold red]错误[/] {exc.message_zh}\n[red]error[/] {exc.message_en} [dim]({exc.code})[/]"


def _usage_error(exc: Exception) -> bool:
    """Typer 0.29 vendors click (``typer._click``) and raises its own ``ClickException``s, which are
    ``typer.TyperException``; an installed click's exceptions are caught as well."""
    if isinstance(exc, typer.TyperException):
        return True
    try:
        import click
    except ImportError:  # pragma: no cover - typer no longer needs click
        return False
    return isinstance(exc, click.ClickException)


def _show_usage_error(exc: Exception) -> int:
    """Print one line for a usage error and return its exit code (2 for usage, as click does)."""
    code = getattr(exc, "exit_code", 2)
    code = code if isinstance(code, int) else 2
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    if type(exc).__name__ == "NoArgsIsHelpError":  # the help was the answer: typer has printed it
        if message.strip():
            err_console.print(message, markup=False, highlight=False)
        return code
    ctx = getattr(exc, "ctx", None)
    command = getattr(ctx, "command_path", "") or "esign"
    line = " ".join(f"用法错误 / usage error: {message}（{command} --help 查看用法）".split())
    err_console.print(line, markup=False, highlight=False, soft_wrap=True)
    return code
