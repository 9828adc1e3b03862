"""``esign user ...`` and ``esign audit``: people, tokens and the audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.table import Table

from esign.cli.common import HomeOpt, JsonOpt, console, now, open_deployment, print_json
from esign.localtime import local_text, zone_label

__all__ = ["register"]

user_app = typer.Typer(help="用户与令牌 / people and tokens", no_args_is_help=True)


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="姓名")],
    role: Annotated[str, typer.Option(help="clerk|approver|custodian|reform_admin|department")],
    township: Annotated[str | None, typer.Option(help="所属乡镇（乡镇角色必填）")] = None,
    department: Annotated[str, typer.Option(help="所属县直部门（department 角色必填）")] = "",
    token_days: Annotated[int, typer.Option(help="同时签发令牌的有效天数，0 表示不签发")] = 90,
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """添加用户并签发令牌（只显示一次）/ add a person and print a token once."""
    from esign.errors import InputError
    from esign.registry import Actor, Role, person_add

    try:
        role_v = Role(role)
    except ValueError:
        raise InputError(
            f"未知角色“{role}”，可选：{'、'.join(r.value for r in Role)}。",
            f"Unknown role {role!r}; choose one of {', '.join(r.value for r in Role)}.",
            field="role",
        ) from None
    added = person_add(
        open_deployment(home),
        Actor.console("cli"),
        name,
        role_v,
        at=now(),
        township=township,
        department=department,
        token_valid_for=dt.timedelta(days=token_days) if token_days > 0 else None,
    )
    person, token = added.person, added.token.token if added.token else None
    if json_out:
        print_json({"id": person.id, "name": person.name, "role": role_v.value, "township": township, "token": token})
        return
    console.print(f"[green]已添加[/] {person.name}（{role_v.zh}）id {person.id}")
    if token:
        console.print(f"令牌（只显示这一次）/ token (shown once): [bold]{token}[/]", soft_wrap=True)


@user_app.command("token")
def user_token(
    name: Annotated[str, typer.Argument(help="姓名或 id")],
    days: Annotated[int, typer.Option(help="有效天数")] = 90,
    home: HomeOpt = None,
) -> None:
    """签发新令牌 / issue a new token."""
    from esign.registry import Actor, token_issue

    issued = token_issue(open_deployment(home), Actor.console("cli"), name, valid_for=dt.timedelta(days=days), at=now())
    typer.echo(issued.token)


@user_app.command("tokens")
def user_tokens(
    name: Annotated[str, typer.Argument(help="姓名或 id")], home: HomeOpt = None, json_out: JsonOpt = False
) -> None:
    """列出令牌（只有编号和期限，令牌值不保存）/ list a person's tokens."""
    from esign.registry import Actor, token_list

    dep = open_deployment(home)
    rows = [
        {
            "id": t.id,
            "label": t.label,
            "created_at": t.created_at.isoformat(),
            "expires_at": t.expires_at.isoformat(),
            "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
        }
        for t in token_list(dep, Actor.console("cli"), name, at=now())
    ]
    if json_out:
        print_json(rows)
        return
    zone = dep.settings.timezone
    table = Table(title=f"{name} 的令牌 / tokens（{zone_label(zone)}）")
    for col in ("id", "标签", "签发", "到期", "撤销"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            str(r["id"]),
            str(r["label"]),
            _local(r["created_at"], zone),
            _local(r["expires_at"], zone),
            _local(r["revoked_at"], zone),
        )
    console.print(table)


@user_app.command("revoke-token")
def user_revoke_token(
    token_id: Annotated[int, typer.Argument(help="令牌编号（esign user tokens 中的 id）")], home: HomeOpt = None
) -> None:
    """撤销令牌 / revoke a token."""
    from esign.registry import Actor, token_revoke

    token_revoke(open_deployment(home), Actor.console("cli"), token_id, at=now())
    console.print(f"[green]已撤销[/] token {token_id}")


@user_app.command("password")
def user_password(
    name: Annotated[str, typer.Argument(help="姓名或 id")],
    home: HomeOpt = None,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)] = "",
) -> None:
    """设置网页登录密码 / set the web password."""
    from esign.registry import Actor, password_set

    password_set(open_deployment(home), Actor.console("cli"), name, password, at=now())
    console.print("[green]已设置[/] / password set")


@user_app.command("list")
def user_list(home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """列出用户 / list people."""
    from esign.registry import Actor, person_list

    rows = [
        {
            "id": p.id,
            "name": p.name,
            "role": p.role.value,
            "role_zh": p.role.zh,
            "township": p.township,
            "department": p.department,
        }
        for p in person_list(open_deployment(home), Actor.console("cli"), at=now())
    ]
    if json_out:
        print_json(rows)
        return
    table = Table(title="用户 / people")
    for col in ("id", "姓名", "角色", "乡镇", "部门"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            str(r["id"]), str(r["name"]), str(r["role_zh"]), str(r["township"] or "-"), str(r["department"] or "-")
        )
    console.print(table)


def audit(
    home: HomeOpt = None,
    refused: Annotated[bool, typer.Option("--refused", help="只看被拒绝的操作")] = False,
    limit: Annotated[int, typer.Option(help="条数")] = 50,
    json_out: JsonOpt = False,
) -> None:
    """审计事件 / audit events (newest first)."""
    from esign.registry import Actor, audit_events

    dep = open_deployment(home)
    rows = audit_events(dep, Actor.console("cli"), at=now(), limit=limit, outcome="refused" if refused else None)
    if json_out:
        print_json([r.__dict__ for r in rows])
        return
    zone = dep.settings.timezone
    table = Table(title="审计事件 / audit events")
    for col in (f"时间（{zone_label(zone)}）", "操作人", "操作", "对象", "结果", "说明"):
        table.add_column(col)
    for r in rows:
        table.add_row(local_text(r.at, zone, seconds=True), r.actor, r.action, r.target, r.outcome, r.code or r.detail)
    console.print(table)


def _local(iso: object, zone: str) -> str:
    return local_text(dt.datetime.fromisoformat(str(iso)), zone) if iso else "-"


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
    app.command()(audit)
