"""``esign catalog ...``: service-item catalogs and township authority lists (职权清单)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from esign.cli.common import HomeOpt, JsonOpt, console, now, open_deployment, print_json

__all__ = ["register"]

catalog_app = typer.Typer(help="事项目录与职权清单 / service-item catalogs and authority lists", no_args_is_help=True)


@catalog_app.command("import")
def catalog_import(
    file: Annotated[Path, typer.Argument(help="目录文件：JSON、CSV 或 XLSX", exists=True, dir_okay=False)],
    name: Annotated[str | None, typer.Option(help="目录名称（默认取文件名）")] = None,
    home: HomeOpt = None,
) -> None:
    """导入事项目录（错误按行号列出）/ import a catalog (row-numbered errors)."""
    from esign.registry import Actor, catalog_import

    catalog = name or file.stem
    data = file.read_bytes()
    count = catalog_import(open_deployment(home), Actor.console("cli"), catalog, data, filename=file.name, at=now())
    console.print(f"[green]已导入[/] {catalog}: {count} 项 / items")


@catalog_app.command("list")
def catalog_list(
    catalog: Annotated[str | None, typer.Argument(help="目录名称；省略则列出所有目录")] = None,
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """列出目录或某目录的事项 / list catalogs, or one catalog's items."""
    from esign.registry import Actor, catalog_items, catalog_list

    dep, actor, at = open_deployment(home), Actor.console("cli"), now()
    if catalog is None:
        data: list[dict[str, object]] = [{"catalog": c.name, "items": c.items} for c in catalog_list(dep, actor, at=at)]
    else:
        data = [
            {
                "number": r.number,
                "name": r.name,
                "type": r.type,
                "mode": r.mode,
                "department": r.department,
                "code": r.code,
            }
            for r in catalog_items(dep, actor, catalog, at=at)
        ]
    if json_out:
        print_json(data)
        return
    table = Table(title=catalog or "事项目录 / catalogs")
    for col in data[0] if data else ("catalog", "items"):
        table.add_column(col)
    for row in data:
        table.add_row(*(str(v) for v in row.values()))
    console.print(table)


@catalog_app.command("grant")
def catalog_grant(
    township: Annotated[str, typer.Argument(help="乡镇 id 或名称")],
    catalog: Annotated[str, typer.Argument(help="目录名称")],
    numbers: Annotated[list[int] | None, typer.Argument(help="目录中的序号；省略则授予全部")] = None,
    home: HomeOpt = None,
) -> None:
    """把目录事项加入乡镇职权清单 / add catalog items to a township's authority list."""
    from esign.registry import Actor, authority_grant

    dep = open_deployment(home)
    name, added = authority_grant(dep, Actor.console("cli"), township, catalog, numbers or None, at=now())
    console.print(f"[green]{name}[/] 职权清单新增 {added} 项 / items added")


@catalog_app.command("authority")
def catalog_authority(
    township: Annotated[str, typer.Argument(help="乡镇 id 或名称")], home: HomeOpt = None, json_out: JsonOpt = False
) -> None:
    """查看乡镇职权清单 / show a township's authority list."""
    from esign.registry import Actor, township_authority, township_show

    dep, actor, at = open_deployment(home), Actor.console("cli"), now()
    rows = [
        {"number": a.number, "name": a.name, "type": a.type, "mode": a.mode}
        for a in township_authority(dep, actor, township, at=at)
    ]
    if json_out:
        print_json(rows)
        return
    table = Table(title=f"{township_show(dep, actor, township, at=at).name} 职权清单 / authority list")
    for col in ("序号", "事项名称", "事项类型", "办理方式"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["number"]), str(r["name"]), str(r["type"]), str(r["mode"]))
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(catalog_app, name="catalog")
