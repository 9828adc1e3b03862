"""Subscriptions of county departments to the feed: create, list, rotate the secret, stop.

A subscription names a department (``蒲县民政局``) and the items it supervises: by default the
catalog items whose department matches (:func:`esign.registry.authz.department_sees`), or an
explicit list of catalog item numbers. With a webhook URL, each new event of those items is posted
to it, signed with the subscription's secret (:mod:`esign.feed.signing`); the secret is returned
once, at creation or rotation, and stored only encrypted (:mod:`esign.feed.secretbox`). Without
a URL the department reads the pull feed with its own token.

These are the subscription use cases (the package exports them): each takes the deployment's
transaction factory (``dep.transaction``) and plain values, opens its one transaction (the work and
its audit event commit together) and returns frozen values. They do not authorize: the CLI is the
operator on the server's data home, and the HTTP routes call :func:`esign.registry.authorize` with
``Permission.FEED_MANAGE`` first; only a department asking for a delivery log is refused another
department's subscription.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from esign.db import Transactions
from esign.errors import ForbiddenError, InputError, NotFoundError
from esign.feed.events import same_department, subscription_matches
from esign.feed.models import FeedAttemptRow, FeedDeliveryRow, FeedSubscriptionItemRow, FeedSubscriptionRow
from esign.feed.secretbox import SecretBox, new_webhook_secret
from esign.registry.accounts import Actor
from esign.registry.audit import authorized_transaction, record_event
from esign.registry.authz import Permission
from esign.registry.models import CatalogItemRow
from esign.text import as_id, clean_text

__all__ = [
    "AttemptInfo",
    "SubscriptionInfo",
    "deactivate_subscription",
    "delivery_log",
    "list_subscriptions",
    "rotate_secret",
    "subscribe",
]

_log = logging.getLogger(__name__)
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class SubscriptionInfo:
    """A subscription as shown to people (never with its secret)."""

    id: int
    """Subscription id."""
    department: str
    """The subscribing county department."""
    url: str | None
    """Webhook URL, or None for a pull-only subscription."""
    active: bool
    """False once stopped; a stopped subscription gets no new deliveries."""
    explicit_items: tuple[str, ...]
    """The explicitly listed items as ``catalog#number name``; empty when following the department."""
    matching_items: int
    """How many catalog items the subscription covers now."""
    pending: int
    """Deliveries still owed."""
    delivered: int
    """Deliveries acknowledged with a 2xx answer."""
    failed: int
    """Deliveries given up after the last retry."""
    created_at: dt.datetime
    """When it was made."""


@dataclass(frozen=True)
class AttemptInfo:
    """One line of a subscription's delivery log."""

    event_id: int
    """The event posted."""
    attempt: int
    """1 for the first try."""
    at: dt.datetime
    """When it was posted."""
    status_code: int | None
    """The receiver's HTTP status, None when no answer came."""
    ok: bool
    """Whether it counted as delivered."""
    error: str
    """What went wrong, empty when ok."""
    duration_ms: int
    """How long the request took."""


def _check_url(url: str, *, unsafe_allow_http: bool) -> str:
    url = clean_text(url, field="url", zh="推送地址", limit=2048)
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket or a port that is not a number
        hostname = None
    if not hostname:
        raise InputError(f"推送地址无效：{url}", f"Invalid webhook URL {url!r}.", code="bad_webhook_url", field="url")
    if parts.scheme not in ("http", "https"):
        raise InputError(f"推送地址无效：{url}", f"Invalid webhook URL {url!r}.", code="bad_webhook_url", field="url")
    if parts.scheme == "http" and hostname not in _LOOPBACK:
        if not unsafe_allow_http:
            raise InputError(
                "推送地址必须使用 HTTPS（本机地址除外）。",
                "A webhook URL must use HTTPS (except on loopback).",
                code="webhook_url_not_https",
                field="url",
            )
        _log.warning("unsafe: webhook to %s over plain HTTP", url)
    return url


def _catalog_items(session: Session, catalog: str | None, numbers: Sequence[int]) -> list[CatalogItemRow]:
    if catalog is not None:
        catalog = clean_text(catalog, field="catalog", zh="事项目录名称", limit=200)
    if any(as_id(n) is None for n in numbers) or len(numbers) > 10_000:
        raise InputError(
            "事项序号应为正整数。",
            "Item numbers must be positive integers.",
            code="catalog_item_not_found",
            field="items",
        )
    catalogs = list(session.scalars(select(CatalogItemRow.catalog).distinct()))
    if catalog is None:
        if len(catalogs) != 1:
            raise InputError(
                f"有多个事项目录（{'、'.join(catalogs) or '无'}），请指定 --catalog。",
                "Several catalogs exist (or none): name one with --catalog.",
                code="catalog_required",
                field="catalog",
            )
        catalog = catalogs[0]
    rows = list(
        session.scalars(
            select(CatalogItemRow).where(CatalogItemRow.catalog == catalog, CatalogItemRow.number.in_(list(numbers)))
        )
    )
    missing = sorted(set(numbers) - {r.number for r in rows})
    if missing:
        raise InputError(
            f"目录“{catalog}”中没有序号 {missing} 的事项。",
            f"Catalog {catalog!r} has no items numbered {missing}.",
            code="catalog_item_not_found",
            field="items",
        )
    return rows


def _opened(
    transaction: Transactions, actor: str | Actor | None, permission: Permission, target: str, at: dt.datetime | None
) -> AbstractContextManager[Session]:
    """The use case's one transaction. An :class:`~esign.registry.Actor` (a signed-in person) is asked
    ``permission`` and a refusal is recorded in it, once, at ``at``
    (:func:`esign.registry.authorized_transaction`); a name or nobody (the operator on the data home) is not."""
    if not isinstance(actor, Actor):
        return transaction()
    if at is None:
        raise TypeError("a signed-in person's use case needs the time its refusal would be recorded at")
    return authorized_transaction(transaction, actor, permission, target, at=at)


def _name(actor: str | Actor) -> str:
    return actor.name if isinstance(actor, Actor) else actor


def subscribe(
    transaction: Transactions,
    box: SecretBox,
    *,
    department: str,
    actor: str | Actor,
    at: dt.datetime,
    url: str | None = None,
    items: Sequence[int] = (),
    catalog: str | None = None,
    unsafe_allow_http: bool = False,
) -> tuple[SubscriptionInfo, str | None]:
    """Subscribe ``department``; returns the subscription and, when it has a URL, its secret (shown once).

    ``items`` are catalog item numbers (of ``catalog``, or of the only catalog); none means "the
    items whose catalog department is this department". Past events are not delivered: the pull
    feed serves them. The secret is stored only encrypted. An :class:`~esign.registry.Actor` must have
    ``FEED_MANAGE``; its refusal is recorded in this transaction, once.
    """
    department = clean_text(department, field="department", zh="部门名称", limit=128)
    checked = _check_url(url, unsafe_allow_http=unsafe_allow_http) if url else None
    with _opened(transaction, actor, Permission.FEED_MANAGE, "feed_subscriptions", at) as session:
        return _subscribe(session, box, department, checked, catalog, items, actor=_name(actor), at=at)


def _subscribe(
    session: Session,
    box: SecretBox,
    department: str,
    checked: str | None,
    catalog: str | None,
    items: Sequence[int],
    *,
    actor: str,
    at: dt.datetime,
) -> tuple[SubscriptionInfo, str | None]:
    rows = _catalog_items(session, catalog, items) if items else []
    sub = FeedSubscriptionRow(
        department=department, url=checked, explicit_items=bool(rows), active=True, created_by=actor, created_at=at
    )
    session.add(sub)
    session.flush()
    for row in rows:
        session.add(FeedSubscriptionItemRow(subscription_id=sub.id, catalog_item_id=row.id))
    secret = None
    if checked:
        secret = new_webhook_secret()
        sub.secret_box = box.seal(secret, subscription_id=sub.id)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="feed.subscribe",
        target=f"feed_subscription:{sub.id}",
        at=at,
        detail=f"{department} {checked or '(pull)'}",
    )
    return _info(session, sub), secret


def rotate_secret(
    transaction: Transactions, box: SecretBox, subscription_id: int, *, actor: str, at: dt.datetime
) -> str:
    """Replace a webhook subscription's secret; returns the new one (shown once)."""
    with transaction() as session:
        sub = _find(session, subscription_id)
        if not sub.url:
            raise InputError(
                "只拉取的订阅没有推送密钥。", "A pull-only subscription has no secret.", field="subscription"
            )
        secret = new_webhook_secret()
        sub.secret_box = box.seal(secret, subscription_id=sub.id)
        record_event(session, actor=actor, action="feed.rotate_secret", target=f"feed_subscription:{sub.id}", at=at)
        return secret


def deactivate_subscription(
    transaction: Transactions, subscription_id: int, *, actor: str | Actor, at: dt.datetime
) -> None:
    """Stop a subscription: no new deliveries; owed ones are still attempted. An
    :class:`~esign.registry.Actor` must have ``FEED_MANAGE``; its refusal is recorded here, once."""
    target = f"feed_subscription:{subscription_id}"
    with _opened(transaction, actor, Permission.FEED_MANAGE, target, at) as session:
        sub = _find(session, subscription_id)
        sub.active = False
        record_event(
            session, actor=_name(actor), action="feed.unsubscribe", target=f"feed_subscription:{sub.id}", at=at
        )


def _find(session: Session, subscription_id: int) -> FeedSubscriptionRow:
    row_id = as_id(subscription_id)
    sub = session.get(FeedSubscriptionRow, row_id) if row_id is not None else None
    if sub is None:
        raise NotFoundError("订阅不存在。", "No such subscription.", code="feed_subscription_not_found")
    return sub


def list_subscriptions(
    transaction: Transactions,
    *,
    department: str | None = None,
    reader: Actor | None = None,
    at: dt.datetime | None = None,
) -> list[SubscriptionInfo]:
    """Every subscription, or those of ``department``, oldest first, with their delivery counts. A
    ``reader`` must have ``FEED_READ``; its refusal is recorded in this transaction, once, at ``at``."""
    with _opened(transaction, reader, Permission.FEED_READ, "feed_subscriptions", at) as session:
        return _list(session, department)


def _list(session: Session, department: str | None) -> list[SubscriptionInfo]:
    subs = session.scalars(select(FeedSubscriptionRow).order_by(FeedSubscriptionRow.id))
    return [_info(session, s) for s in subs if department is None or same_department(s.department, department)]


def _info(session: Session, sub: FeedSubscriptionRow) -> SubscriptionInfo:
    listed = list(
        session.scalars(
            select(CatalogItemRow)
            .join(FeedSubscriptionItemRow, FeedSubscriptionItemRow.catalog_item_id == CatalogItemRow.id)
            .where(FeedSubscriptionItemRow.subscription_id == sub.id)
            .order_by(CatalogItemRow.catalog, CatalogItemRow.number)
        )
    )
    explicit = frozenset(r.id for r in listed)
    matching = sum(
        1
        for item_id, dept in session.execute(select(CatalogItemRow.id, CatalogItemRow.department))
        if subscription_matches(sub, explicit, item_id, dept)
    )
    counts: dict[str, int] = {
        status: n
        for status, n in session.execute(
            select(FeedDeliveryRow.status, func.count())
            .where(FeedDeliveryRow.subscription_id == sub.id)
            .group_by(FeedDeliveryRow.status)
        )
    }
    return SubscriptionInfo(
        id=sub.id,
        department=sub.department,
        url=sub.url,
        active=sub.active,
        explicit_items=tuple(f"{r.catalog}#{r.number} {r.name}" for r in listed),
        matching_items=matching,
        pending=counts.get("pending", 0),
        delivered=counts.get("delivered", 0),
        failed=counts.get("failed", 0),
        created_at=sub.created_at,
    )


def delivery_log(
    transaction: Transactions,
    subscription_id: int,
    *,
    limit: int = 100,
    department: str | None = None,
    reader: Actor | None = None,
    at: dt.datetime | None = None,
) -> list[AttemptInfo]:
    """The newest attempts of a subscription, newest first.

    With ``department`` (a department asking), a subscription of another department is refused
    (``wrong_department``) before it is looked up, so a department learns nothing of the others'. A
    ``reader`` must have ``FEED_READ``; a refusal is recorded in this transaction, once, at ``at``.
    """
    target = f"feed_subscription:{subscription_id}"
    with _opened(transaction, reader, Permission.FEED_READ, target, at) as session:
        if reader is not None and as_id(subscription_id) is None:  # a reader asking past any id: nothing to show
            return []
        if department is not None and subscription_id not in {s.id for s in _list(session, department)}:
            raise ForbiddenError("这不是本部门的订阅。", "Not your department's subscription.", code="wrong_department")
        _find(session, subscription_id)
        rows = session.scalars(
            select(FeedAttemptRow)
            .where(FeedAttemptRow.subscription_id == subscription_id)
            .order_by(FeedAttemptRow.id.desc())
            .limit(limit)
        )
        return [AttemptInfo(r.event_id, r.attempt, r.at, r.status_code, r.ok, r.error, r.duration_ms) for r in rows]
