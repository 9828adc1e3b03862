"""``esign init``, ``esign demo`` and ``esign township ...``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from esign.cli.common import HomeOpt, JsonOpt, console, now, open_deployment, print_json, print_uncut, settings_for

if TYPE_CHECKING:
    from esign.config import Settings

__all__ = ["ensure_demo", "register"]

township_app = typer.Typer(help="乡镇 / townships", no_args_is_help=True)


def init(
    county: Annotated[str, typer.Option(help="县名，如 蒲县 / county name")],
    province: Annotated[str, typer.Option(help="省，如 山西省")],
    city: Annotated[str, typer.Option(help="市，如 临汾市")],
    office: Annotated[str, typer.Option(help="县审批服务管理部门，如 蒲县行政审批服务管理局")],
    home: HomeOpt = None,
    algorithm: Annotated[str, typer.Option(help="密钥算法 / key algorithm: ec-p256, ec-p384, rsa-3072")] = "ec-p256",
    seal_title: Annotated[str, typer.Option(help="印章名称后缀 / seal title")] = "行政审批服务专用章",
) -> None:
    """初始化县级证书体系 / create the county and its PKI (root CA, issuing CA, TSA, OCSP signer)."""
    from esign.setup import init_county

    dep = open_deployment(home)
    with dep.transaction() as session:
        result = init_county(
            dep,
            session,
            county=county,
            province=province,
            city=city,
            office=office,
            algorithm=algorithm,
            seal_title=seal_title,
            at=now(),
        )
    console.print(f"[green]已初始化[/] {county} 县级证书体系 / county PKI created in {dep.settings.home.resolve()}")
    for label, path in result.items():
        console.print(f"  {label}: {path}")


def ensure_demo(settings: Settings) -> bool:
    """Create the demo county in ``settings.home`` unless a county exists; True when created."""
    from esign.deployment import Deployment
    from esign.setup import create_demo

    dep = Deployment.open(settings)
    try:
        with console.status("正在创建演示县（蒲县）… / creating the demo county"):
            tokens = create_demo(dep, at=now())
    finally:
        dep.close()
    if tokens is None:
        console.print("演示县已存在，未作更改 / demo county exists, nothing changed")
        return False
    table = Table(title="演示账号令牌（只显示这一次）/ demo account tokens (shown once)")
    for col in ("用户 user", "角色 role", "乡镇 township", "令牌 token"):
        table.add_column(col, no_wrap=True)
    for row in tokens:
        table.add_row(*row)
    print_uncut(table)
    return True


def demo(home: HomeOpt = None) -> None:
    """创建演示县：蒲县及其乡镇、职权清单、印章和演示账号 / create the demo county (idempotent)."""
    ensure_demo(settings_for(home))


@township_app.command("add")
def township_add(
    name: Annotated[str, typer.Argument(help="乡镇名称，如 克城镇")],
    uscc: Annotated[str, typer.Option(help="统一社会信用代码")],
    region_code: Annotated[str, typer.Option(help="区划代码（6/9/12位）")],
    address: Annotated[str, typer.Option(help="便民服务中心地址")] = "",
    phone: Annotated[str, typer.Option(help="联系电话")] = "",
    home: HomeOpt = None,
) -> None:
    """添加乡镇 / add a township."""
    from esign.registry import Actor, township_add

    dep = open_deployment(home)
    t = township_add(
        dep, Actor.console("cli"), name, uscc=uscc, region_code=region_code, address=address, phone=phone, at=now()
    )
    console.print(f"[green]已添加[/] {name} (id {t.id})")


@township_app.command("list")
def township_list(home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """列出乡镇 / list townships."""
    from esign.registry import Actor, township_list

    rows = [t.to_dict() for t in township_list(open_deployment(home), Actor.console("cli"), at=now())]
    if json_out:
        print_json(rows)
        return
    table = Table(title="乡镇 / townships")
    for col in ("id", "名称", "统一社会信用代码", "区划代码", "印章", "状态", "职权事项数"):
        table.add_column(col)
    for r in rows:
        cells = ("id", "name", "uscc", "region_code", "seal_code", "seal_status_zh", "authority_items")
        table.add_row(*(str(r[c] if r[c] is not None else "-") for c in cells))

    console.print(table)


@township_app.command("show")
def township_show(
    ref: Annotated[str, typer.Argument(help="乡镇 id 或名称")], home: HomeOpt = None, json_out: JsonOpt = False
) -> None:
    """查看乡镇 / show one township."""
    from esign.registry import Actor, township_show

    row = township_show(open_deployment(home), Actor.console("cli"), ref, at=now()).to_dict()
    if json_out:
        print_json(row)
        return
    for key, value in row.items():
        console.print(f"{key}: {value}")


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(demo)
    app.add_typer(township_app, name="township")
