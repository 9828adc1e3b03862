"""The feed's use cases: what ``esign feed`` and ``/api/v1/feed`` call. Each opens its one transaction.

``transaction`` is the deployment's factory (``dep.transaction``; the feed does not know the
deployment): the work and its audit events commit together or not at all, and the caller holds no
session. What comes back are frozen values (:class:`SubscriptionInfo`, :class:`AttemptInfo`,
:class:`FeedPage`, :class:`FeedEvent`), usable after the transaction closed.

Reading the feed authorizes the reader (:func:`esign.feed.events.feed_scope`); the subscription
functions do not (the CLI is the operator on the server's data home, and the HTTP routes call
:func:`esign.registry.authorize` with ``Permission.FEED_MANAGE`` first), except that a department
asking for a delivery log is refused another department's subscription.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from esign.db import Transactions
from esign.errors import ForbiddenError
from esign.feed import events as _events
from esign.feed import subscriptions as _subscriptions
from esign.feed.api import FeedEvent, FeedPage, FeedScope
from esign.feed.secretbox import SecretBox
from esign.feed.subscriptions import AttemptInfo, SubscriptionInfo
from esign.registry.accounts import Actor

__all__ = [
    "deactivate_subscription",
    "delivery_log",
    "find_event",
    "list_subscriptions",
    "read_feed",
    "rotate_secret",
    "subscribe",
]


def subscribe(
    transaction: Transactions,
    box: SecretBox,
    *,
    department: str,
    actor: str,
    at: dt.datetime,
    url: str | None = None,
    items: Sequence[int] = (),
    catalog: str | None = None,
    unsafe_allow_http: bool = False,
) -> tuple[SubscriptionInfo, str | None]:
    """Subscribe ``department`` (see :func:`esign.feed.subscriptions.subscribe`); returns the subscription
    and, when it has a URL, its secret, which is shown this once and stored only encrypted."""
    with transaction() as session:
        return _subscriptions.subscribe(
            session,
            box,
            department=department,
            actor=actor,
            at=at,
            url=url,
            items=items,
            catalog=catalog,
            unsafe_allow_http=unsafe_allow_http,
        )


def rotate_secret(
    transaction: Transactions, box: SecretBox, subscription_id: int, *, actor: str, at: dt.datetime
) -> str:
    """Replace a webhook subscription's secret; returns the new one (shown once)."""
    with transaction() as session:
        return _subscriptions.rotate_secret(session, box, subscription_id, actor=actor, at=at)


def deactivate_subscription(transaction: Transactions, subscription_id: int, *, actor: str, at: dt.datetime) -> None:
    """Stop a subscription: no new deliveries; owed ones are still attempted."""
    with transaction() as session:
        _subscriptions.deactivate_subscription(session, subscription_id, actor=actor, at=at)


def list_subscriptions(transaction: Transactions, *, department: str | None = None) -> list[SubscriptionInfo]:
    """Every subscription, or those of ``department``, oldest first, with their delivery counts."""
    with transaction() as session:
        return _subscriptions.list_subscriptions(session, department=department)


def delivery_log(
    transaction: Transactions, subscription_id: int, *, limit: int = 100, department: str | None = None
) -> list[AttemptInfo]:
    """The newest attempts of a subscription, newest first.

    With ``department`` (a department asking), a subscription of another department is refused
    (``wrong_department``) before it is looked up, so a department learns nothing of the others'.
    """
    with transaction() as session:
        if department is not None and subscription_id not in {
            s.id for s in _subscriptions.list_subscriptions(session, department=department)
        }:
            raise ForbiddenError("这不是本部门的订阅。", "Not your department's subscription.", code="wrong_department")
        return _subscriptions.delivery_log(session, subscription_id, limit=limit)


def read_feed(transaction: Transactions, reader: Actor | FeedScope, *, after: int = 0, limit: int = 100) -> FeedPage:
    """The events after cursor ``after`` that ``reader`` may see, at most ``limit``
    (:func:`esign.feed.events.read_feed`).

    An :class:`~esign.registry.Actor` is authorized first and sees its scope
    (:func:`esign.feed.events.feed_scope`: refused unless it may read the feed); a
    :class:`FeedScope` is taken as given (the operator's ``FeedScope(item_ids=None)`` sees every event).
    """
    with transaction() as session:
        scope = reader if isinstance(reader, FeedScope) else _events.feed_scope(session, reader)
        return _events.read_feed(session, scope, after=after, limit=limit)


def find_event(transaction: Transactions, reader: Actor | FeedScope, entry_id: str) -> FeedEvent:
    """The event of register entry ``entry_id``, refused when ``reader`` may not see it."""
    with transaction() as session:
        scope = reader if isinstance(reader, FeedScope) else _events.feed_scope(session, reader)
        return _events.find_event(session, scope, entry_id)
