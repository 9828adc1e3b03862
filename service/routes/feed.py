"""/api/v1/feed: the department feed (审管联动) — the pull feed with a cursor, subscriptions and their logs.

County departments read the events of the items they supervise with their own token; the reform
office reads everything and manages subscriptions. Webhook secrets appear once, in the answer that
creates a subscription, and never again.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from esign.feed import (
    MAX_PAGE,
    SubscriptionInfo,
    box_for,
    deactivate_subscription,
    delivery_log,
    find_event,
    list_subscriptions,
    read_feed,
    subscribe,
)
from esign.registry import Actor, Role
from esign.text import MAX_ID
from service.auth import CurrentActor
from service.clock import now
from service.deps import Dep

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/feed", tags=["feed"])


class SubscriptionIn(BaseModel):
    """A new subscription."""

    department: str = Field(description="县直部门名称，如 蒲县民政局")
    url: str | None = Field(default=None, description="推送地址（HTTPS）；不填则只拉取")
    items: list[int] = Field(default_factory=list, description="事项序号；不填则按目录中的实施部门匹配")
    catalog: str | None = Field(default=None, description="事项目录名称（有多个目录时必填）")


def _sub_out(info: SubscriptionInfo) -> dict[str, Any]:
    out = asdict(info)
    out["created_at"] = info.created_at.isoformat()
    out["explicit_items"] = list(info.explicit_items)
    return out


def _department(actor: Actor) -> str | None:
    """The department a department viewer speaks for; None for everyone else (who sees every department)."""
    return actor.department if actor.role is Role.DEPARTMENT else None


@router.get("", summary="用印事件拉取（游标）/ the pull feed after a cursor")
def pull(
    actor: CurrentActor,
    dep: Dep,
    after: Annotated[int, Query(ge=0, le=MAX_ID, description="上次返回的 next_cursor")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> dict[str, Any]:
    page = read_feed(dep.transaction, actor, after=after, limit=limit, at=now())
    return {
        "department": _department(actor) or None,
        "events": [e.to_dict() for e in page.events],
        "next_cursor": page.next_cursor,
    }


@router.get("/entries/{entry_id}", summary="某登记条目的用印事件 / the event of one register entry")
def entry_event(entry_id: str, actor: CurrentActor, dep: Dep) -> dict[str, Any]:
    return find_event(dep.transaction, actor, entry_id, at=now()).to_dict()


@router.get("/subscriptions", summary="订阅列表 / subscriptions (a department sees its own)")
def subscriptions(actor: CurrentActor, dep: Dep) -> list[dict[str, Any]]:
    subs = list_subscriptions(dep.transaction, department=_department(actor), reader=actor, at=now())
    return [_sub_out(s) for s in subs]


@router.post("/subscriptions", status_code=201, summary="新建订阅（返回一次密钥）/ subscribe a department")
def create_subscription(body: SubscriptionIn, actor: CurrentActor, dep: Dep) -> dict[str, Any]:
    info, secret = subscribe(
        dep.transaction,
        box_for(dep.settings),
        department=body.department,
        url=body.url,
        items=body.items,
        catalog=body.catalog,
        actor=actor,
        at=now(),
    )
    return {**_sub_out(info), "secret": secret}


@router.post("/subscriptions/{subscription_id}/deactivate", summary="停止订阅 / stop a subscription")
def stop_subscription(subscription_id: int, actor: CurrentActor, dep: Dep) -> dict[str, Any]:
    deactivate_subscription(dep.transaction, subscription_id, actor=actor, at=now())
    return {"id": subscription_id, "active": False}


@router.get("/subscriptions/{subscription_id}/deliveries", summary="推送记录 / a subscription's delivery log")
def deliveries(
    subscription_id: int,
    actor: CurrentActor,
    dep: Dep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    rows = delivery_log(
        dep.transaction, subscription_id, limit=limit, department=_department(actor), reader=actor, at=now()
    )
    return [{**asdict(a), "at": a.at.isoformat()} for a in rows]
