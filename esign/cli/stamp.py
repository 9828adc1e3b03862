"""``esign stamp`` and ``esign stamp-batch``: the local operator stamps on the server's data home.

The named accounts must exist in the seal's township with the right roles (clerk and approver);
the same rules apply as for the API. Remote callers use the API with tokens.
"""

from __future__ import annotations

import csv
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from esign.cli.common import HomeOpt, JsonOpt, console, now, open_deployment, print_json, print_uncut, settings_for

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


@dataclass(frozen=True)
class _BatchItem:
    source: Path
    item: str
    reason: str
    title: str
    document_type: str
    placement: dict[str, Any]


def _read_manifest(path: Path, default_item: str | None, default_reason: str | None) -> list[_BatchItem]:
    from esign.errors import InputError

    if path.is_dir():
        files = sorted([*path.glob("*.pdf"), *path.glob("*.ofd")])
        if not default_item or not default_reason:
            raise InputError(
                "按文件夹批量盖章时须给出 --item 和 --reason。",
                "Give --item and --reason when stamping a folder.",
                code="batch_defaults_required",
            )
        return [_BatchItem(f, default_item, default_reason, f.stem, "受理通知书", {"mode": "keyword"}) for f in files]
    rows = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for n, rec in enumerate(csv.DictReader(fh), start=2):
            file = rec.get("file") or rec.get("文件")
            if not file:
                raise InputError(
                    f"清单第 {n} 行缺少 file 列。", f"Manifest row {n} has no file.", code="manifest_row_invalid"
                )
            placement: dict[str, Any] = {"mode": "keyword"}
            if rec.get("keyword"):
                placement["text"] = rec["keyword"]
            if rec.get("page") and rec.get("x_mm") and rec.get("y_mm"):
                try:
                    placement = {
                        "mode": "position",
                        "page": int(rec["page"]),
                        "x_mm": float(rec["x_mm"]),
                        "y_mm": float(rec["y_mm"]),
                    }
                except ValueError:
                    raise InputError(
                        f"清单第 {n} 行的 page、x_mm、y_mm 应为数字。",
                        f"Manifest row {n}: page, x_mm and y_mm must be numbers.",
                        code="manifest_row_invalid",
                    ) from None
            rows.append(
                _BatchItem(
                    (path.parent / file).resolve(),
                    rec.get("item") or default_item or "",
                    rec.get("reason") or default_reason or "",
                    rec.get("title") or Path(file).stem,
                    rec.get("document_type") or "受理通知书",
                    placement,
                )
            )
    return rows


_WORKER: dict[str, Any] = {}


def _worker_init(home: str) -> None:
    from esign.config import Settings
    from esign.deployment import Deployment
    from esign.workflow.engine import StampEngine

    dep = Deployment.open(Settings(home=Path(home)), migrate_db=False)
    _WORKER["dep"], _WORKER["engine"] = dep, StampEngine(dep, clock=now)


def _worker_stamp(job: _BatchItem, seal: str, user: str, approver: str, level: str, out_dir: str) -> dict[str, str]:
    from esign.errors import EsignError
    from esign.stamp import placement_from_dict
    from esign.workflow.commit import blobs_of
    from esign.workflow.requests import StampRequestSpec, stamp_directly

    dep, engine = _WORKER["dep"], _WORKER["engine"]
    try:
        spec = StampRequestSpec(
            seal=seal,
            item=job.item,
            reason=job.reason,
            title=job.title,
            document_type=job.document_type,
            placement=placement_from_dict(job.placement),
            level=level,
            idempotency_key=f"batch:{job.source}",
        )
        outcome = stamp_directly(dep, engine, job.source.read_bytes(), spec, user=user, approver=approver, at=now())
        target = Path(out_dir) / job.source.name
        shutil.copyfile(blobs_of(dep).path(outcome.output_sha256), target)
        return {"file": job.source.name, "ok": "1", "entry": outcome.entry_id, "message": ""}
    except EsignError as exc:
        return {"file": job.source.name, "ok": "", "entry": "", "message": f"{exc.message_zh}（{exc.code}）"}
    except OSError as exc:
        return {"file": job.source.name, "ok": "", "entry": "", "message": f"io_error: {exc}"}


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
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    settings = settings_for(home)
    open_deployment(home).close()  # migrate once before the workers start
    jobs = _read_manifest(source, item, reason)
    output_dir.mkdir(parents=True, exist_ok=True)
    results: list[dict[str, str]] = []
    n_workers = workers or os.cpu_count() or 1
    columns = (TextColumn("盖章 stamping"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with (
        Progress(*columns, console=console, disable=json_out) as progress,
        ProcessPoolExecutor(n_workers, initializer=_worker_init, initargs=(str(settings.home),)) as pool,
    ):
        task = progress.add_task("stamp", total=len(jobs))
        futures = [pool.submit(_worker_stamp, j, seal, user, approver, level, str(output_dir)) for j in jobs]
        for fut in as_completed(futures):
            results.append(fut.result())
            progress.advance(task)
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


def purge_documents(
    home: HomeOpt = None,
    days: Annotated[int | None, typer.Option(help="保存天数，默认 ESIGN_RETENTION_DAYS")] = None,
) -> None:
    """清理超过保存期限的文件（台账中的哈希永久保留）/ delete files past retention."""
    import datetime as dt

    from sqlalchemy import select

    from esign.workflow.commit import blobs_of
    from esign.workflow.models import StampRequestRow

    dep = open_deployment(home)
    keep_days = days if days is not None else dep.settings.retention_days
    with dep.transaction() as session:  # files of requests still waiting for approval are kept
        pending = set(session.scalars(select(StampRequestRow.input_sha256).where(StampRequestRow.status == "pending")))
    store, at = blobs_of(dep), now()
    removed = store.purge_older_than(at - dt.timedelta(days=keep_days), keep=pending)
    console.print(f"已清理 {removed} 个文件 / removed {removed} files older than {keep_days} days")
    leftovers = store.purge_stale_temp(at=at)
    if leftovers:
        console.print(f"已清理 {leftovers} 个中断写入留下的临时文件 / removed {leftovers} temporary files of a crash")


def register(app: typer.Typer) -> None:
    app.command()(stamp)
    app.command("stamp-batch")(stamp_batch)
    app.command("purge-documents")(purge_documents)
