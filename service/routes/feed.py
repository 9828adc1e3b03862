"""/api/v1/feed: the department feed (审管联动) — the pull feed with a cursor, subscriptions and their logs.

County departments read the events of the items they supervise with their own token; the reform
office reads everything and manages subscriptions. Webhook secrets appear once, in the answer that
creates a subscription, and never again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from esign.errors import ForbiddenError
from esign.feed import (
    SubscriptionInfo,
    box_for,
    deactivate_subscription,
    delivery_log,
    feed_scope,
    find_event,
    list_subscriptions,
    read_feed,
    subscribe,
)
from esign.feed.events import MAX_PAGE
from esign.registry import Permission, Role, authorize
from esign.text import MAX_ID, as_id
from service.auth import CurrentActor
from service.deps import DbSession, Dep

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


@router.get("", summary="用印事件拉取（游标）/ the pull feed after a cursor")
def pull(
    actor: CurrentActor,
    session: DbSession,
    after: Annotated[int, Query(ge=0, le=MAX_ID, description="上次返回的 next_cursor")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> dict[str, Any]:
    scope = feed_scope(session, actor)
    page = read_feed(session, scope, after=after, limit=limit)
    return {
        "department": scope.department or None,
        "events": [e.to_dict() for e in page.events],
        "next_cursor": page.next_cursor,
    }


@router.get("/entries/{entry_id}", summary="某登记条目的用印事件 / the event of one register entry")
def entry_event(entry_id: str, actor: CurrentActor, session: DbSession) -> dict[str, Any]:
    return find_event(session, feed_scope(session, actor), entry_id).to_dict()


@router.get("/subscriptions", summary="订阅列表 / subscriptions (a department sees its own)")
def subscriptions(actor: CurrentActor, session: DbSession) -> list[dict[str, Any]]:
    authorize(actor, Permission.FEED_READ)
    department = actor.department if actor.role is Role.DEPARTMENT else None
    return [_sub_out(s) for s in list_subscriptions(session, department=department)]


@router.post("/subscriptions", status_code=201, summary="新建订阅（返回一次密钥）/ subscribe a department")
def create_subscription(body: SubscriptionIn, actor: CurrentActor, session: DbSession, dep: Dep) -> dict[str, Any]:
    authorize(actor, Permission.FEED_MANAGE)
    info, secret = subscribe(
        session,
        box_for(dep.settings),
        department=body.department,
        url=body.url,
        items=body.items,
        catalog=body.catalog,
        actor=actor.name,
        at=dt.datetime.now(dt.UTC),
    )
    return {**_sub_out(info), "secret": secret}


@router.post("/subscriptions/{subscription_id}/deactivate", summary="停止订阅 / stop a subscription")
def stop_subscription(subscription_id: int, actor: CurrentActor, session: DbSession) -> dict[str, Any]:
    authorize(actor, Permission.FEED_MANAGE)
    deactivate_subscription(session, subscription_id, actor=actor.name, at=dt.datetime.now(dt.UTC))
    return {"id": subscription_id, "active": False}


@router.get("/subscriptions/{subscription_id}/deliveries", summary="推送记录 / a subscription's delivery log")
def deliveries(
    subscription_id: int,
    actor: CurrentActor,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    authorize(actor, Permission.FEED_READ)
    if as_id(subscription_id) is None:  # no row has it; the database is not asked
        return []
    if actor.role is Role.DEPARTMENT and subscription_id not in {
        s.id for s in list_subscriptions(session, department=actor.department)
    }:
        raise ForbiddenError("这不是本部门的订阅。", "Not your department's subscription.", code="wrong_department")
    return [{**asdict(a), "at": a.at.isoformat()} for a in delivery_log(session, subscription_id, limit=limit)]
