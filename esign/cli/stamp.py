"""``esign stamp`` and ``esign stamp-batch``: the local operator stamps on the server's data home.

The named accounts must exist in the seal's township with the right roles (clerk and approver);
the same rules apply as for the API. Remote callers use the API with tokens.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from esign.cli.common import HomeOpt, JsonOpt, console, now, open_deployment, print_json, print_uncut

__all__ = ["register"]

LevelOpt = Annotated[str, typer.Option("--level", help="B-B | B-T | B-LT | B-LTA")]


def _placement(
    page: int | None, x: float | None, y: float | None, keyword: str | None, field: str | None, riding: bool, also: str
) -> dict[str, Any]:
    from esign.errors import InputError

    chosen = sum(v is not None for v in (x, keyword, field))
    if chosen > 1:
        raise InputError(
            "位置、关键字和签名域只能选一种。", "Choose one of --x/--y, --keyword, --field.", code="placement_ambiguous"
        )
    if x is not None or y is not None:
        if x is None or y is None:
            raise InputError(
                "--x 和 --y 须同时给出（毫米）。", "Give both --x and --y (mm).", code="placement_incomplete"
            )
        out: dict[str, Any] = {"mode": "position", "page": page if page is not None else -1, "x_mm": x, "y_mm": y}
    elif field is not None:
        out = {"mode": "field", "name": field}
    else:
        out = {"mode": "keyword"}
        if keyword:
            out["text"] = keyword
        if page is not None:
            out["page"] = page
    if riding:
        out["riding_seal"] = True
    if also.strip():
        try:
            out["also_on_pages"] = [int(p) for p in also.split(",") if p.strip()]
        except ValueError:
            raise InputError(
                f"--also-pages 应为逗号分隔的页码：{also}",
                f"--also-pages takes page numbers separated by commas: {also!r}",
                code="bad_placement",
                field="also",
            ) from None
    return out


def stamp(
    input_pdf: Annotated[Path, typer.Argument(help="待盖章 PDF 或 OFD（按内容识别）", exists=True, dir_okay=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="输出文件（与输入同格式）")],
    seal: Annotated[str, typer.Option(help="印章：id、编码或乡镇名称")],
    item: Annotated[str, typer.Option(help="事项：职权清单中的序号或名称")],
    reason: Annotated[str, typer.Option(help="事由")],
    user: Annotated[str, typer.Option(help="使用人（窗口人员账号）")],
    approver: Annotated[str, typer.Option(help="批准人（批准人账号）")],
    document_type: Annotated[str, typer.Option(help="文书类型")] = "受理通知书",
    title: Annotated[str, typer.Option(help="文书标题")] = "",
    page: Annotated[int | None, typer.Option(help="页码（从1开始，-1为最后一页）")] = None,
    x: Annotated[float | None, typer.Option(help="印章中心距页面左边（毫米）")] = None,
    y: Annotated[float | None, typer.Option(help="印章中心距页面上边（毫米）")] = None,
    keyword: Annotated[str | None, typer.Option(help="关键字盖章：印章盖在该文字最后一次出现处")] = None,
    field: Annotated[str | None, typer.Option(help="已有的空签名域名称")] = None,
    riding: Annotated[bool, typer.Option("--riding", help="加盖骑缝章")] = False,
    also_pages: Annotated[str, typer.Option(help="其他也要盖章的页码，逗号分隔")] = "",
    level: LevelOpt = "B-LT",
    password: Annotated[str | None, typer.Option(help="加密 PDF 的密码")] = None,
    certify: Annotated[bool, typer.Option("--certify", help="认证签名（DocMDP）：此后仅允许填表和再签名")] = False,
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """盖章：在 PDF 或 OFD 上加盖印章和二维码并签名 / stamp and sign one PDF or OFD."""
    from esign.stamp import placement_from_dict
    from esign.workflow import StampEngine, StampRequestSpec, stamp_directly, stamped_document

    dep = open_deployment(home)
    spec = StampRequestSpec(
        seal=seal,
        item=item,
        reason=reason,
        document_type=document_type,
        title=title or input_pdf.stem,
        placement=placement_from_dict(_placement(page, x, y, keyword, field, riding, also_pages)),
        level=level,
        password=password,
        certify=certify,
    )
    outcome = stamp_directly(
        dep, StampEngine(dep, clock=now), input_pdf.read_bytes(), spec, user=user, approver=approver, at=now()
    )
    tmp = output.with_name(f".{output.name}.tmp")
    shutil.copyfile(stamped_document(dep, outcome), tmp)
    os.replace(tmp, output)
    if json_out:
        print_json(
            {
                "entry_id": outcome.entry_id,
                "output": str(output),
                "output_sha256": outcome.output_sha256,
                "signed_at": outcome.signed_at.isoformat(),
                "verify_url": outcome.verify_url,
                "notes": list(outcome.notes),
            }
        )
        return
    console.print(f"[green]已盖章[/] {output}  登记编号 entry {outcome.entry_id}\n  验证 verify: {outcome.verify_url}")
    for note in outcome.notes:
        console.print(f"  [yellow]注意 note[/]: {note}", soft_wrap=True)


def stamp_batch(
    source: Annotated[
        Path,
        typer.Argument(
            help="PDF 文件夹，或 CSV 清单（file,item,reason,title,document_type,keyword,page,x_mm,y_mm）", exists=True
        ),
    ],
    output_dir: Annotated[Path, typer.Option("-o", "--output-dir", help="输出文件夹")],
    seal: Annotated[str, typer.Option(help="印章：id、编码或乡镇名称")],
    user: Annotated[str, typer.Option(help="使用人")],
    approver: Annotated[str, typer.Option(help="批准人")],
    item: Annotated[str | None, typer.Option(help="默认事项")] = None,
    reason: Annotated[str | None, typer.Option(help="默认事由")] = None,
    level: LevelOpt = "B-LT",
    workers: Annotated[int, typer.Option(help="进程数，默认为 CPU 核数")] = 0,
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """批量盖章（进度条、汇总表、失败报告）/ stamp a folder or a manifest on all cores."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from esign.workflow import BatchProgress, files_in_folder, files_in_manifest, stamp_files

    read = files_in_folder if source.is_dir() else files_in_manifest
    files = read(source, item=item, reason=reason)
    dep = open_deployment(home)  # migrated here, before the workers start
    output_dir.mkdir(parents=True, exist_ok=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, disable=json_out) as progress:
        tasks: dict[str, Any] = {}

        def show(p: BatchProgress) -> None:
            if p.phase not in tasks:
                tasks[p.phase] = progress.add_task(_PHASES.get(p.phase, p.phase), total=p.total)
            progress.update(tasks[p.phase], completed=p.done, total=p.total)

        outcomes = stamp_files(
            dep,
            files,
            seal=seal,
            user=user,
            approver=approver,
            level=level,
            workers=workers or os.cpu_count() or 1,
            clock=now,
            progress=show,
        )
    results: list[dict[str, str]] = []
    for done in outcomes:
        if done.error is not None:
            message = f"{done.error.message_zh}（{done.error.code}）"
            results.append({"file": done.name, "ok": "", "entry": "", "message": message})
            continue
        assert done.output is not None and done.entry_id is not None
        try:
            shutil.copyfile(done.output, output_dir / done.name)
        except OSError as exc:
            results.append({"file": done.name, "ok": "", "entry": "", "message": f"io_error: {exc}"})
        else:
            results.append({"file": done.name, "ok": "1", "entry": done.entry_id, "message": ""})
    failed = [r for r in results if not r["ok"]]
    if json_out:
        print_json({"total": len(results), "stamped": len(results) - len(failed), "failed": failed})
    else:
        table = Table(title=f"批量盖章结果 / batch: {len(results) - len(failed)} 成功, {len(failed)} 失败")
        for col in ("文件 file", "结果 result", "登记编号 / 原因"):
            table.add_column(col)
        for r in sorted(results, key=lambda r: (bool(r["ok"]), r["file"])):
            table.add_row(r["file"], "[green]成功[/]" if r["ok"] else "[red]失败[/]", r["entry"] or r["message"])
        print_uncut(table)  # a failure's reason is read whole, whatever the terminal's width
    if failed:
        raise typer.Exit(1)


_PHASES = {"checking": "检查 checking", "stamping": "盖章 stamping"}


def purge_documents(
    home: HomeOpt = None,
    days: Annotated[int | None, typer.Option(help="保存天数，默认 ESIGN_RETENTION_DAYS")] = None,
) -> None:
    """清理超过保存期限的文件（台账中的哈希永久保留）/ delete files past retention."""
    from esign.workflow import purge_documents as purge

    dep = open_deployment(home)
    keep_days = days if days is not None else dep.settings.retention_days
    done = purge(dep, keep_days=keep_days, at=now())  # files of requests still waiting for approval are kept
    console.print(f"已清理 {done.removed} 个文件 / removed {done.removed} files older than {keep_days} days")
    if done.temporary:
        console.print(
            f"已清理 {done.temporary} 个中断写入留下的临时文件 / removed {done.temporary} temporary files of a crash"
        )


def register(app: typer.Typer) -> None:
    app.command()(stamp)
    app.command("stamp-batch")(stamp_batch)
    app.command("purge-documents")(purge_documents)
