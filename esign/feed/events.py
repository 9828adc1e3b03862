"""The outbox: stamping events written in the stamp's transaction, and the pull feed over them.

:func:`record_stamp_event` is called by the workflow right after the usage register's
:func:`esign.ledger.append`, inside the same transaction: the register entry, the request's
outcome, the event and its webhook deliveries commit together or not at all.

Event ids are the feed's cursor. They are assigned as ``max(id) + 1`` while the transaction holds
the register's head lock (taken by ``append`` and kept until commit), so on SQLite and PostgreSQL
alike ids have no gaps and become visible in id order: a reader that has seen id ``n`` never later
finds a new event below ``n``. That is what lets :func:`read_feed` promise no gaps and no
duplicates across pages.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, func, select
from sqlalchemy.orm import Session

from esign.errors import ForbiddenError, InputError, NotFoundError, StateError
from esign.feed.api import EVENT_STAMP_APPLIED, FeedEvent, FeedPage, FeedScope
from esign.feed.models import FeedDeliveryRow, FeedEventRow, FeedSubscriptionItemRow, FeedSubscriptionRow
from esign.ledger.api import AppendReceipt
from esign.ledger.entry import LedgerEntry
from esign.ledger.models import LedgerEntryRow
from esign.registry.accounts import Actor, Role
from esign.registry.authz import Permission, authorize, department_sees
from esign.registry.models import AuthorityItem, CatalogItemRow, Seal

__all__ = [
    "MAX_PAGE",
    "PENDING",
    "event_of",
    "feed_scope",
    "find_event",
    "read_feed",
    "record_stamp_event",
    "same_department",
    "subscription_matches",
]

#: Largest page of the pull feed.
MAX_PAGE = 500
#: Status of a delivery that is still owed.
PENDING = "pending"
_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"

# Prebuilt Core statements: every stamp records an event.
_ENTRIES = cast(Table, LedgerEntryRow.__table__)
_SELECT_ENTRY_INDEX = select(_ENTRIES.c.idx).where(_ENTRIES.c.entry_id == bindparam("entry_id_"))
_EVENTS = cast(Table, FeedEventRow.__table__)
_SELECT_LAST_EVENT = select(func.max(_EVENTS.c.id))
_INSERT_EVENT = _EVENTS.insert()
_INSERT_DELIVERY = cast(Table, FeedDeliveryRow.__table__).insert()
_SELECT_WEBHOOKS = select(FeedSubscriptionRow).where(
    FeedSubscriptionRow.active.is_(True), FeedSubscriptionRow.url.is_not(None)
)
_AUTHORITY = cast(Table, AuthorityItem.__table__)
_CATALOG = cast(Table, CatalogItemRow.__table__)
_SELECT_CATALOG_ITEM = (
    select(_CATALOG.c.id, _CATALOG.c.code, _CATALOG.c.type, _CATALOG.c.department)
    .join(_AUTHORITY, _AUTHORITY.c.item_id == _CATALOG.c.id)
    .where(_AUTHORITY.c.township_id == bindparam("township_id_"), _AUTHORITY.c.number == bindparam("number_"))
)


def same_department(a: str, b: str) -> bool:
    """Whether two department names are the same, ignoring white space."""
    return "".join(a.split()) == "".join(b.split())


def _department_actor(department: str) -> Actor:
    return Actor(person_id=None, name=department, role=Role.DEPARTMENT, department=department)


def subscription_matches(
    sub: FeedSubscriptionRow, explicit: frozenset[int], item_id: int | None, item_department: str
) -> bool:
    """Whether an event of catalog item ``item_id`` (department ``item_department``) is owed to ``sub``.

    A subscription lists its items explicitly, or follows the items whose catalog department is the
    subscribing department (the rule of :func:`esign.registry.authz.department_sees`).
    """
    if sub.explicit_items:
        return item_id is not None and item_id in explicit
    return department_sees(_department_actor(sub.department), item_department)


def record_stamp_event(
    session: Session,
    entry: LedgerEntry,
    *,
    at: dt.datetime,
    verify_url: str,
    receipt: AppendReceipt | None = None,
) -> FeedEvent:
    """Write the event of a stamp whose entry was just appended in this transaction, and its deliveries.

    Must run after :func:`esign.ledger.append` in the same transaction (it holds the register's head
    lock, which orders event ids); raises :class:`StateError` otherwise. ``receipt`` is what that
    append returned (the entry's position); without it the entry is looked up.
    """
    if receipt is not None and receipt.entry_id == entry.entry_id:
        index: int | None = receipt.index
    else:
        index = session.connection().execute(_SELECT_ENTRY_INDEX, {"entry_id_": entry.entry_id}).scalar()
    if index is None:
        raise StateError(
            "用印事件必须在登记条目写入后、同一事务中记录。",
            "A stamp event must be recorded after its register entry, in the same transaction.",
            code="feed_event_without_entry",
        )
    item = _catalog_item(session, entry)
    seal = session.get(Seal, int(entry.seal_id)) if entry.seal_id.isdigit() else None
    payload: dict[str, Any] = {
        "entry_id": entry.entry_id,
        "ledger_index": index,
        "township": {"id": entry.township_id, "name": entry.township_name},
        "seal": {
            "id": entry.seal_id,
            "name": seal.name if seal else "",
            "code": seal.code if seal else "",
            "cert_serial": entry.cert_serial,
        },
        "item": {
            "number": entry.item_number,
            "name": entry.item_name,
            "code": item.code if item else "",
            "type": item.type if item else "",
            "department": item.department if item else "",
        },
        "document": {"type": entry.document_type.value, "title": entry.document_title},
        "signed_at": entry.signed_at.strftime(_TIME),
        "output_sha256": entry.output_sha256,
        "verify_url": verify_url,
    }
    conn = session.connection()
    next_id = (conn.execute(_SELECT_LAST_EVENT).scalar() or 0) + 1
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    item_id = item.id if item else None
    conn.execute(
        _INSERT_EVENT,
        {
            "id": next_id,
            "kind": EVENT_STAMP_APPLIED,
            "entry_id": entry.entry_id,
            "township_id": int(entry.township_id),
            "catalog_item_id": item_id,
            "payload": text,
            "created_at": at,
        },
    )
    deliveries = [
        {"subscription_id": sub.id, "event_id": next_id, "status": PENDING, "attempts": 0, "next_attempt_at": at}
        for sub, explicit in _webhook_subscriptions(session)
        if subscription_matches(sub, explicit, item_id, item.department if item else "")
    ]
    if deliveries:
        conn.execute(_INSERT_DELIVERY, deliveries)
    return FeedEvent(id=next_id, kind=EVENT_STAMP_APPLIED, created_at=at, data=json.loads(text))


def _catalog_item(session: Session, entry: LedgerEntry) -> Row[Any, Any, Any, Any] | None:
    """The catalog item (id, code, type, department) of the entry's township and item number."""
    if not entry.township_id.isdigit() or not entry.item_number.isdigit():
        return None
    found = session.connection().execute(
        _SELECT_CATALOG_ITEM, {"township_id_": int(entry.township_id), "number_": int(entry.item_number)}
    )
    return found.first()


def _webhook_subscriptions(session: Session) -> list[tuple[FeedSubscriptionRow, frozenset[int]]]:
    subs = list(session.scalars(_SELECT_WEBHOOKS))
    return [(s, _explicit_items(session, [s.id])) for s in subs]


def _explicit_items(session: Session, subscription_ids: list[int]) -> frozenset[int]:
    if not subscription_ids:
        return frozenset()
    rows = session.scalars(
        select(FeedSubscriptionItemRow.catalog_item_id).where(
            FeedSubscriptionItemRow.subscription_id.in_(subscription_ids)
        )
    )
    return frozenset(rows)


def event_of(row: FeedEventRow) -> FeedEvent:
    """The value of a stored event."""
    return FeedEvent(id=row.id, kind=row.kind, created_at=row.created_at, data=json.loads(row.payload))


def feed_scope(session: Session, actor: Actor) -> FeedScope:
    """Authorize ``actor`` to read the feed and return what it may see.

    The reform office sees everything. A department viewer sees the events of catalog items its
    department supervises (:func:`esign.registry.authz.department_sees`) and of items listed in its
    department's active subscriptions. Everybody else is refused.
    """
    authorize(actor, Permission.FEED_READ)
    if actor.role is not Role.DEPARTMENT:
        return FeedScope(item_ids=None)
    items = {
        item_id
        for item_id, department in session.execute(select(CatalogItemRow.id, CatalogItemRow.department))
        if department_sees(actor, department)
    }
    own = [
        s.id
        for s in session.scalars(select(FeedSubscriptionRow).where(FeedSubscriptionRow.active.is_(True)))
        if same_department(s.department, actor.department)
    ]
    return FeedScope(item_ids=frozenset(items | _explicit_items(session, own)), department=actor.department)


def read_feed(session: Session, scope: FeedScope, *, after: int = 0, limit: int = 100) -> FeedPage:
    """Events with id greater than ``after`` visible in ``scope``, in id order, at most ``limit``.

    The next cursor is the id of the last event returned; when the page is not full it is the
    newest event id that existed when the read began (events are visible in id order, see the
    module docstring), so a department does not rescan events it may not see. Nothing visible is
    ever skipped and nothing is returned twice when the caller follows the cursors.
    """
    if after < 0:
        raise InputError("游标不能为负数。", "The cursor must not be negative.", field="after")
    if not 1 <= limit <= MAX_PAGE:
        raise InputError(f"每页 1 到 {MAX_PAGE} 条。", f"limit must be 1 to {MAX_PAGE}.", field="limit")
    # Read the high-water mark first: every event up to it is committed, so nothing below it can appear later.
    high = session.scalar(select(func.max(FeedEventRow.id))) or 0
    query = select(FeedEventRow).where(FeedEventRow.id > after, FeedEventRow.id <= high)
    if scope.item_ids is not None:
        if not scope.item_ids:
            return FeedPage(events=(), next_cursor=max(after, high))
        query = query.where(FeedEventRow.catalog_item_id.in_(sorted(scope.item_ids)))
    rows = list(session.scalars(query.order_by(FeedEventRow.id).limit(limit)))
    events = tuple(event_of(r) for r in rows)
    if len(rows) == limit:
        return FeedPage(events=events, next_cursor=rows[-1].id)
    return FeedPage(events=events, next_cursor=max(after, high))


def find_event(session: Session, scope: FeedScope, entry_id: str) -> FeedEvent:
    """The event of register entry ``entry_id``; refused when outside ``scope``."""
    row = session.scalar(select(FeedEventRow).where(FeedEventRow.entry_id == entry_id))
    if row is None:
        raise NotFoundError("没有该登记条目的用印事件。", "No feed event for this entry.", code="feed_event_not_found")
    if not scope.allows(row.catalog_item_id):
        raise ForbiddenError(
            "该事项不属于本部门监管。",
            "This item is not supervised by your department.",
            code="wrong_department",
        )
    return event_of(row)
