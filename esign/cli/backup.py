"""``esign backup`` and ``esign restore``: one archive of a data home, and a checked restore into a new one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from esign.cli.common import HomeOpt, JsonOpt, console, now, open_deployment, print_json, settings_for

__all__ = ["backup", "register", "restore"]


def backup(
    out: Annotated[Path, typer.Argument(help="备份文件，如 esign-2024-05-01.tar.gz / the archive to write")],
    with_documents: Annotated[
        bool, typer.Option("--with-documents", help="包含存储的 PDF 文件 / include HOME/documents")
    ] = False,
    unsafe_include_dev_passphrase: Annotated[
        bool,
        typer.Option(
            "--unsafe-include-dev-passphrase",
            help="开发模式：把 keys/dev-passphrase 也放进备份（任何持有备份者都能解开密钥）",
        ),
    ] = False,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """备份数据目录 / back up the database, the encrypted keys and the certificates (and documents)."""
    from esign.backup import create_backup

    dep = open_deployment(home)
    try:
        report = create_backup(
            dep,
            out,
            at=now(),
            with_documents=with_documents,
            unsafe_include_dev_passphrase=unsafe_include_dev_passphrase,
        )
    finally:
        dep.close()
    m = report.manifest
    if as_json:
        print_json({"path": str(report.path), "members": len(m.members), "database": m.database})
        return
    rows = sum(m.database.get("tables", {}).values())
    console.print(
        f"[green]已备份[/] {report.path}: {len(m.members)} 个文件 members, "
        f"数据库 {m.database['backend']} ({m.database['kind']}, {rows} 行 rows)"
    )


def restore(
    archive: Annotated[Path, typer.Argument(help="备份文件 / the archive")],
    home: HomeOpt = None,
    ledger_vkey: Annotated[
        Path | None, typer.Option("--ledger-vkey", help="公布的台账验证公钥文件，用于比对 / published ledger.vkey")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """恢复到新的空数据目录并审计台账 / restore into an empty home, then audit the register (exit 1 if it fails)."""
    from esign.backup import restore_backup

    if home is None:
        raise typer.BadParameter("必须用 --home 指定新的空数据目录 / --home NEWHOME is required", param_hint="--home")
    expected = ledger_vkey.read_text(encoding="utf-8") if ledger_vkey else None
    report = restore_backup(archive, settings_for(home), expected_vkey=expected)
    audit = report.audit
    if as_json:
        print_json(
            {
                "home": str(report.home),
                "ok": report.ok,
                "ledger_size": audit.size,
                "checkpoints_checked": audit.checkpoints_checked,
                "problems": [{"index": p.index, "kind": p.kind, "detail": p.detail} for p in audit.problems],
            }
        )
    elif report.ok:
        console.print(
            f"[green]已恢复[/] {report.home}; 台账完整 register verifies: {audit.size} 条 entries, "
            f"{audit.checkpoints_checked} 个检查点 checkpoints"
        )
    else:
        console.print(f"[bold red]已恢复但台账审计失败[/] restored, but the register does not verify: {report.home}")
        for p in audit.problems:
            console.print(f"  #{p.index if p.index is not None else '-'} {p.kind}: {p.detail}")
    if not report.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``esign backup`` and ``esign restore`` to the root app."""
    app.command()(backup)
    app.command()(restore)
