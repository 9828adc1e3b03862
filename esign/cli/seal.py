"""``esign seal ...``: the seal lifecycle from the operator's console on the server's data home."""

from __future__ import annotations

import datetime as dt
import getpass
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from esign.cli.common import HomeOpt, JsonOpt, console, now, open_deployment, print_json
from esign.localtime import local_text, zone_label

if TYPE_CHECKING:
    from esign.registry import Actor, SealView

__all__ = ["register"]

seal_app = typer.Typer(help="印章及其生命周期 / seals and their lifecycle", no_args_is_help=True)

SealRef = Annotated[str, typer.Argument(help="印章 id、印章编码或乡镇名称（如 克城镇）")]
ReasonOpt = Annotated[str, typer.Option("--reason", "-r", help="事由（必填）/ reason (required)")]
ByOpt = Annotated[str | None, typer.Option("--by", help="操作人（默认当前系统用户）/ acting person")]


def _actor(by: str | None) -> Actor:
    from esign.registry import Actor

    return Actor.console(by or f"cli:{getpass.getuser()}")


def _seal_dict(seal: SealView, *, history: bool = False) -> dict[str, object]:
    out: dict[str, object] = {
        "id": seal.id,
        "code": seal.code,
        "name": seal.name,
        "township": seal.township,
        "status": seal.status.value,
        "status_zh": seal.status.zh,
        "status_since": seal.status_since.isoformat(),
        "cert_serial": seal.cert_serial,
        "sm2_cert_serial": seal.sm2_cert_serial,
        "replaces_id": seal.replaces_id,
    }
    if history:
        out["history"] = [
            {"from": h.from_status, "to": h.to_status, "actor": h.actor, "reason": h.reason, "at": h.at.isoformat()}
            for h in seal.history
        ]
    return out


@seal_app.command("request")
def seal_request(
    township: Annotated[str, typer.Argument(help="乡镇 id 或名称")],
    reason: ReasonOpt,
    title: Annotated[str | None, typer.Option(help="印章名称后缀，默认取县的设置")] = None,
    by: ByOpt = None,
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """申请刻制印章 / request a township's seal."""
    from esign.registry import seal_request

    seal = seal_request(open_deployment(home), _actor(by), township, reason=reason, at=now(), title=title)
    _report(_seal_dict(seal), json_out)


def _transition(action: str, ref: str, reason: str, by: str | None, home, json_out: bool) -> None:
    from esign.registry import SealAction, seal_change

    seal = seal_change(open_deployment(home), _actor(by), ref, SealAction(action), reason=reason, at=now())
    _report(_seal_dict(seal), json_out)


def _report(out: dict[str, object], json_out: bool) -> None:
    if json_out:
        print_json(out)
    else:
        console.print(f"[green]{out['name']}[/] ({out['code']}, id {out['id']}): {out['status_zh']} / {out['status']}")


def _make(action: str, doc: str):
    def command(
        ref: SealRef, reason: ReasonOpt, by: ByOpt = None, home: HomeOpt = None, json_out: JsonOpt = False
    ) -> None:
        _transition(action, ref, reason, by, home, json_out)

    command.__doc__ = doc
    return command


for _action, _doc in (
    ("approve", "批准（签发密钥和证书）/ approve: issue the key and certificate"),
    ("activate", "启用 / activate"),
    ("suspend", "暂停（证书冻结）/ suspend (certificate hold)"),
    ("resume", "恢复 / resume"),
    ("revoke", "注销（吊销证书）/ revoke"),
    ("replace", "变更（新密钥和证书，旧证书以 superseded 吊销）/ replace with a new key and certificate"),
):
    seal_app.command(_action)(_make(_action, _doc))


@seal_app.command("list")
def seal_list(home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """列出印章 / list seals."""
    from esign.registry import seal_list

    dep = open_deployment(home)
    rows = [_seal_dict(s) for s in seal_list(dep, _actor(None), at=now())]
    if json_out:
        print_json(rows)
        return
    zone = dep.settings.timezone
    table = Table(title="印章 / seals")
    for col in ("id", "编码", "名称", "乡镇", "状态", f"自（{zone_label(zone)}）"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            str(r["id"]),
            str(r["code"]),
            str(r["name"]),
            str(r["township"]),
            str(r["status_zh"]),
            local_text(dt.datetime.fromisoformat(str(r["status_since"])), zone),
        )
    console.print(table)


@seal_app.command("show")
def seal_show(ref: SealRef, home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """查看印章及其历史 / show a seal and its history."""
    from esign.registry import seal_show

    out = _seal_dict(seal_show(open_deployment(home), _actor(None), ref, at=now()), history=True)
    if json_out:
        print_json(out)
        return
    for key, value in out.items():
        if key != "history":
            console.print(f"{key}: {value}")
    table = Table(title="历史 / history")
    for col in ("时间", "从", "到", "操作人", "事由"):
        table.add_column(col)
    for h in out["history"]:  # type: ignore[attr-defined]
        table.add_row(h["at"][:19], h["from"] or "-", h["to"], h["actor"], h["reason"])
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(seal_app, name="seal")


@seal_app.command("image")
def seal_image(
    ref: SealRef,
    output: Annotated[str, typer.Option("-o", "--output", help="输出文件：.png 或 .pdf")],
    dpi: Annotated[int, typer.Option(help="PNG 分辨率")] = 300,
    home: HomeOpt = None,
) -> None:
    """导出印章图样（PNG 或矢量 PDF）/ export the seal image (PNG or vector PDF)."""
    from pathlib import Path

    from esign.appearance import SealSpec, seal_pdf, seal_png
    from esign.errors import InputError
    from esign.registry import seal_show

    seal = seal_show(open_deployment(home), _actor(None), ref, at=now(), history=False)
    spec = SealSpec(name=seal.organisation, title=seal.title, code=seal.code)
    path = Path(output)
    if path.suffix.lower() == ".png":
        path.write_bytes(seal_png(spec, dpi=dpi))
    elif path.suffix.lower() == ".pdf":
        path.write_bytes(seal_pdf(spec))
    else:
        raise InputError("输出文件须以 .png 或 .pdf 结尾。", "The output must end in .png or .pdf.", field="output")
    console.print(f"[green]已导出[/] {path}")


@seal_app.command("ses")
def seal_ses(
    ref: SealRef,
    output: Annotated[str, typer.Option("-o", "--output", help="输出文件 / output file (.esl)")],
    home: HomeOpt = None,
) -> None:
    """导出国密电子印章数据（GB/T 38540 SES_Seal）/ export the seal's GB/T 38540 seal data (.esl)."""
    from pathlib import Path
    from zoneinfo import ZoneInfo

    from esign.registry import seal_data_file

    data = seal_data_file(open_deployment(home), _actor(None), ref, at=now())
    der, es_id, start, end = data.der, data.es_id, data.valid_start, data.valid_end
    Path(output).write_bytes(der)
    bj = ZoneInfo("Asia/Shanghai")
    console.print(
        f"[green]已导出[/] {output}（esID {es_id}，有效期 {start.astimezone(bj):%Y-%m-%d %H:%M} 至 "
        f"{end.astimezone(bj):%Y-%m-%d %H:%M} 北京时间）"
    )


@seal_app.command("legacy")
def seal_legacy(
    township: Annotated[str, typer.Argument(help="乡镇 id 或名称")],
    name: Annotated[str | None, typer.Argument(help="旧印章名称，如 克城镇林业站；省略则列出")] = None,
    keep: Annotated[bool, typer.Option("--keep", help="经县级批准保留（默认封存）")] = False,
    approval_ref: Annotated[str, typer.Option(help="县级批准文号（保留时必填）")] = "",
    by: ByOpt = None,
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """旧站所印章登记：封存或经批准保留 / record an old station seal as sealed up or kept."""
    from esign.registry import Disposition, legacy_seal_list, legacy_seal_record, township_show

    dep = open_deployment(home)
    at, actor = now(), _actor(by)
    if name is not None:
        disposition = Disposition.KEPT if keep else Disposition.SEALED_UP
        legacy_seal_record(dep, actor, township, name, disposition, at=at, approval_ref=approval_ref)
    rows = [
        {
            "name": r.name,
            "disposition": r.disposition,
            "approval_ref": r.approval_ref,
            "by": r.recorded_by,
            "at": r.at.isoformat(),
        }
        for r in legacy_seal_list(dep, actor, township, at=at)
    ]
    if json_out:
        print_json(rows)
        return
    table = Table(title=f"{township_show(dep, actor, township, at=at).name} 旧印章 / old station seals")
    for col in ("名称", "处置", "批准文号", "登记人", "时间"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["name"], r["disposition"], r["approval_ref"] or "-", r["by"], r["at"][:19])
    console.print(table)
