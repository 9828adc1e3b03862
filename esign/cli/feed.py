"""``esign feed``: department subscriptions (审管联动), webhook delivery for cron, the event feed.

No business logic here: the commands call :mod:`esign.feed` on the data home and print.
"""

from __future__ import annotations

import getpass
import time
from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table

from esign.cli.common import HomeOpt, JsonOpt, console, now, open_deployment, print_json
from esign.errors import InputError
from esign.localtime import local_text

__all__ = ["app", "register"]

app = typer.Typer(name="feed", help="县直部门用印事件推送（审管联动）/ the department feed", no_args_is_help=True)

ByOpt = Annotated[str | None, typer.Option("--by", help="操作人（默认当前系统用户）/ acting person")]


def _actor(by: str | None) -> str:
    return by or f"cli:{getpass.getuser()}"


def _numbers(text: str | None) -> list[int]:
    if not text:
        return []
    try:
        return sorted({int(part) for part in text.replace("，", ",").split(",") if part.strip()})
    except ValueError:
        raise InputError(
            f"事项序号应为逗号分隔的整数：{text}", f"--items takes comma-separated numbers: {text!r}", field="items"
        ) from None


@app.command()
def subscribe(
    department: Annotated[str, typer.Argument(help="县直部门，如 蒲县民政局")],
    url: Annotated[str | None, typer.Option("--url", help="推送地址（HTTPS）；不填则只拉取 / webhook URL")] = None,
    items: Annotated[
        str | None, typer.Option("--items", help="事项序号，如 1,2；不填则按目录中的实施部门 / catalog item numbers")
    ] = None,
    catalog: Annotated[str | None, typer.Option("--catalog", help="事项目录名称 / catalog name")] = None,
    unsafe_allow_http: Annotated[
        bool, typer.Option("--unsafe-allow-http", help="允许非本机的 HTTP 地址（不加密）/ allow plain HTTP")
    ] = False,
    by: ByOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """订阅用印事件 / subscribe a county department (the webhook secret is printed once)."""
    from esign.feed import box_for
    from esign.feed import subscribe as do_subscribe

    dep = open_deployment(home)
    info, secret = do_subscribe(
        dep.transaction,
        box_for(dep.settings),
        department=department,
        url=url,
        items=_numbers(items),
        catalog=catalog,
        actor=_actor(by),
        at=now(),
        unsafe_allow_http=unsafe_allow_http,
    )
    if as_json:
        print_json({**asdict(info), "secret": secret})
        return
    console.print(
        f"[green]已订阅[/] subscription {info.id}: {info.department}，覆盖 {info.matching_items} 个事项 items"
    )
    if secret:
        console.print("推送密钥（只显示这一次）/ webhook secret (shown once):")
        typer.echo(secret)


@app.command("list")
def list_(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """订阅列表 / subscriptions with their delivery counts."""
    from esign.feed import list_subscriptions

    subs = list_subscriptions(open_deployment(home).transaction)
    if as_json:
        print_json([asdict(s) for s in subs])
        return
    table = Table(title="订阅 / subscriptions")
    for col in (
        "id",
        "部门 department",
        "推送地址 url",
        "事项 items",
        "待推送 pending",
        "已送达 delivered",
        "失败 failed",
    ):
        table.add_column(col)
    for s in subs:
        table.add_row(
            str(s.id) + ("" if s.active else " (停用)"),
            s.department,
            s.url or "（只拉取 pull）",
            str(s.matching_items) + (" 指定" if s.explicit_items else ""),
            str(s.pending),
            str(s.delivered),
            str(s.failed),
        )
    console.print(table)


@app.command()
def deliver(
    limit: Annotated[int, typer.Option(help="每轮最多推送条数 / deliveries per pass")] = 50,
    until_idle: Annotated[bool, typer.Option("--until-idle", help="重复直到没有到期推送 / repeat until idle")] = False,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """推送到期的事件（供 cron 调用）/ one delivery pass, for cron."""
    import httpx

    from esign.feed import box_for, deliver_due

    dep = open_deployment(home)
    box = box_for(dep.settings)
    totals = {"claimed": 0, "delivered": 0, "retrying": 0, "failed": 0}
    with httpx.Client(follow_redirects=False) as client:
        while True:
            report = deliver_due(dep.transaction, at=now(), client=client, box=box, limit=limit)
            for key, value in asdict(report).items():
                totals[key] += value
            if not until_idle or report.claimed < limit:
                break
            time.sleep(0.1)
    if as_json:
        print_json(totals)
    else:
        console.print(
            f"推送 claimed {totals['claimed']}: 送达 delivered {totals['delivered']}, "
            f"待重试 retrying {totals['retrying']}, 失败 failed {totals['failed']}"
        )


@app.command()
def events(
    after: Annotated[int, typer.Option("--after", help="游标：只显示编号大于它的事件 / cursor")] = 0,
    limit: Annotated[int, typer.Option(help="条数 / how many")] = 100,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """用印事件 / the events after a cursor (all departments)."""
    from esign.feed import FeedScope, read_feed

    page = read_feed(open_deployment(home).transaction, FeedScope(item_ids=None), after=after, limit=limit)
    if as_json:
        print_json({"events": [e.to_dict() for e in page.events], "next_cursor": page.next_cursor})
        return
    for e in page.events:
        d = e.data
        console.print(
            f"{e.id}  {d['signed_at']}  {d['township']['name']}  {d['item']['number']} {d['item']['name']}"
            f"  [{d['item']['department'] or '-'}]  {d['document']['type']}  {d['entry_id']}"
        )
    console.print(f"next cursor: {page.next_cursor}")


@app.command()
def log(
    subscription: Annotated[int, typer.Argument(help="订阅 id")],
    limit: Annotated[int, typer.Option(help="条数 / how many")] = 50,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """某订阅的推送记录 / a subscription's delivery log, newest first."""
    from esign.feed import delivery_log

    dep = open_deployment(home)
    rows = delivery_log(dep.transaction, subscription, limit=limit)
    if as_json:
        print_json([asdict(r) for r in rows])
        return
    for r in rows:
        mark = "[green]ok[/]" if r.ok else f"[red]{r.error}[/]"
        when = local_text(r.at, dep.settings.timezone, seconds=True)
        console.print(f"{when}  event {r.event_id}  #{r.attempt}  {r.status_code or '-'}  {mark}")


@app.command()
def unsubscribe(
    subscription: Annotated[int, typer.Argument(help="订阅 id")], by: ByOpt = None, home: HomeOpt = None
) -> None:
    """停止订阅 / stop a subscription."""
    from esign.feed import deactivate_subscription

    deactivate_subscription(open_deployment(home).transaction, subscription, actor=_actor(by), at=now())
    console.print(f"[green]已停止[/] subscription {subscription}")


@app.command("rotate-secret")
def rotate(
    subscription: Annotated[int, typer.Argument(help="订阅 id")], by: ByOpt = None, home: HomeOpt = None
) -> None:
    """更换推送密钥（只显示一次）/ replace a webhook secret (printed once)."""
    from esign.feed import box_for, rotate_secret

    dep = open_deployment(home)
    secret = rotate_secret(dep.transaction, box_for(dep.settings), subscription, actor=_actor(by), at=now())
    typer.echo(secret)


def register(root: typer.Typer) -> None:
    """Add ``esign feed ...`` to the root app."""
    root.add_typer(app, name="feed")
