"""``esign ledger``: audit the usage register, checkpoint it, print an entry's proof.

No business logic here: the commands call :mod:`esign.ledger` and print. How a data home becomes a
transaction factory and the checkpoint key is the deployment's business: the lead wires it once with
:func:`set_opener` (the default opener raises a ``ConfigError``).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from esign.cli.common import HomeOpt, JsonOpt, console, err_console, now, print_json
from esign.errors import ConfigError

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from sqlalchemy.orm import Session

    from esign.ledger import AuditCheck, AuditReport, CosignOutcome, Ed25519NoteSigner, NoteVerifier

__all__ = ["LedgerHandle", "app", "open_ledger", "register", "set_opener"]


@dataclass(frozen=True)
class LedgerHandle:
    """What the ledger commands need from a deployment."""

    transaction: Callable[[], AbstractContextManager[Session]]
    """Opens one transaction of the deployment's database (``Deployment.transaction``)."""
    verifier: NoteVerifier
    """The reform office's checkpoint verifier key (published)."""
    signer: Ed25519NoteSigner | None = None
    """The checkpoint signing key; only ``checkpoint`` needs it."""
    checks: tuple[AuditCheck, ...] = ()
    """Checks of the tables derived from the log (township register views, counters)."""
    cosign: Callable[[], Sequence[CosignOutcome]] | None = None
    """Asks the configured witnesses to cosign the latest checkpoint."""


def _not_wired(home: Path | None) -> LedgerHandle:
    raise ConfigError("账本命令尚未接入部署", "the ledger commands are not wired to a deployment (set_opener)")


_opener: Callable[[Path | None], LedgerHandle] = _not_wired


def set_opener(opener: Callable[[Path | None], LedgerHandle]) -> None:
    """Install the function that opens a data home for the ledger commands."""
    global _opener
    _opener = opener


def open_ledger(home: Path | None) -> LedgerHandle:
    """Open the ledger of ``home`` through the installed opener."""
    return _opener(home)


app = typer.Typer(
    name="ledger", help="用印登记台账（透明日志）/ the usage register (transparency log)", no_args_is_help=True
)


def _report_dict(r: AuditReport) -> dict[str, object]:
    return {
        "ok": r.ok,
        "size": r.size,
        "head_size": r.head_size,
        "root": base64.b64encode(r.root_hash).decode(),
        "checkpoints_checked": r.checkpoints_checked,
        "latest_checkpoint_size": r.latest_checkpoint_size,
        "first_bad_index": r.first_bad_index,
        "problems": [{"index": p.index, "kind": p.kind, "detail": p.detail} for p in r.problems],
        "truncated": r.truncated,
    }


@app.command()
def verify(
    home: HomeOpt = None,
    as_json: JsonOpt = False,
    kept: Annotated[
        list[str] | None,
        typer.Option(
            "--checkpoint",
            help="部门保存的检查点：文件、镜像目录或 URL（可多次）/ a checkpoint kept outside: file, mirror dir or URL",
        ),
    ] = None,
) -> None:
    """全量审计台账及派生表 / recompute and audit the log and its derived tables (exit 1 if anything disagrees)."""
    from esign.ledger import audit_ledger, load_kept

    handle = open_ledger(home)
    outside = [load_kept(src, handle.verifier) for src in kept or ()]
    report = audit_ledger(handle.transaction, verifier=handle.verifier, checks=handle.checks, kept=outside)
    if as_json:
        print_json(_report_dict(report))
    elif report.ok:
        console.print(f"[green]台账完整[/] log intact: {report.size} entries, {report.checkpoints_checked} checkpoints")
        for k in outside:
            console.print(f"[green]延续了保存的检查点[/] extends the kept checkpoint of size {k.checkpoint.size}")
    else:
        console.print(f"[bold red]台账被篡改[/] log tampered: first bad index {report.first_bad_index}")
        for p in report.problems:
            console.print(f"  #{p.index if p.index is not None else '-'} {p.kind}: {p.detail}")
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def checkpoint(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """立即签署检查点 / sign a checkpoint of the log now (prints the signed note)."""
    from esign.ledger import checkpoint_now

    handle = open_ledger(home)
    if handle.signer is None:
        raise ConfigError("没有检查点签名密钥", "no checkpoint signing key in this deployment")
    done = checkpoint_now(handle.transaction, signer=handle.signer, at=now())
    latest = done.checkpoint
    outcomes = list(handle.cosign()) if handle.cosign is not None and latest is not None else []
    note = latest.note.decode() if latest else ""
    if as_json:
        print_json(
            {
                "new": done.made,
                "size": latest.size if latest else 0,
                "note": note,
                "witnesses": [
                    {
                        "witness": o.witness,
                        "cosigned": o.cosignature is not None,
                        "status": o.status,
                        "message": o.message,
                    }
                    for o in outcomes
                ],
            }
        )
    else:
        typer.echo(note, nl=False)
        for o in outcomes:
            if o.cosignature is not None:
                err_console.print(f"[green]见证人已联署[/] cosigned by {o.witness}")
            else:
                err_console.print(f"[bold red]见证人拒绝或不可达[/] {o.witness}: HTTP {o.status} {o.message}")


@app.command()
def proof(
    entry_id: Annotated[str, typer.Argument(help="登记编号 / entry id")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """打印条目及其包含证明 / print an entry and its inclusion proof against the latest checkpoint."""
    from esign.ledger import entry_proof

    handle = open_ledger(home)
    result = entry_proof(handle.transaction, entry_id)
    if not result.pending:
        result.verify(handle.verifier)  # never print a proof that does not verify
    entry = result.stored.entry
    proof_b64 = [base64.b64encode(h).decode() for h in result.proof or ()]
    data = {
        "index": result.stored.index,
        "entry": entry.to_dict(),
        "leaf_hash": base64.b64encode(result.stored.leaf_hash).decode(),
        "pending": result.pending,
        "checkpoint": result.checkpoint.note.decode() if result.checkpoint and not result.pending else None,
        "proof": proof_b64,
    }
    if as_json:
        print_json(data)
        return
    console.print(f"#{result.stored.index} {entry.township_name} {entry.document_type.value}《{entry.document_title}》")
    console.print(f"事由 {entry.reason}  使用人 {entry.user}  批准人 {entry.approver}  使用数 {entry.count}")
    if result.pending:
        console.print("[yellow]尚未被检查点覆盖[/] not yet covered by a checkpoint")
    elif result.checkpoint is not None:
        console.print(f"[green]包含证明已验证[/] inclusion proof verified against size {result.checkpoint.size}")
        for h in proof_b64:
            typer.echo(h)


@app.command()
def mirror(
    prefix: Annotated[str, typer.Argument(help="日志地址 / the log's tiles prefix, e.g. https://host/ledger")],
    directory: Annotated[Path, typer.Argument(help="镜像目录 / mirror directory")],
    vkey: Annotated[Path | None, typer.Option(help="日志公钥文件（首次）/ the log's vkey file (first run)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """镜像台账瓦片并检查只增不改 / mirror the log's tiles, refusing a history that forks."""
    from esign.ledger import mirror_log

    key = vkey.read_text(encoding="utf-8").strip() if vkey is not None else None
    got = mirror_log(prefix, directory, vkey=key)
    if as_json:
        print_json({"old_size": got.old_size, "size": got.checkpoint.size, "tiles": got.tiles})
    else:
        console.print(
            f"[green]镜像已更新[/] mirrored {got.old_size} → {got.checkpoint.size} entries ({got.tiles} tiles)"
        )


def register(root: typer.Typer) -> None:
    """Add ``esign ledger ...`` to the root app."""
    root.add_typer(app, name="ledger")
