"""The feed's use cases: what ``esign feed`` and ``/api/v1/feed`` call. Each opens its one transaction.

``transaction`` is the deployment's factory (``dep.transaction``; the feed does not know the
deployment): the work and its audit events commit together or not at all, and the caller holds no
session. What comes back are frozen values (:class:`SubscriptionInfo`, :class:`AttemptInfo`,
:class:`FeedPage`, :class:`FeedEvent`), usable after the transaction closed.

Reading the feed authorizes the reader (:func:`esign.feed.events.feed_scope`). The subscription use
cases live beside their rows (:mod:`esign.feed.subscriptions`) and are named here too; they do not
authorize (see there).
"""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager

from sqlalchemy.orm import Session

from esign.db import Transactions
from esign.feed import events as _events
from esign.feed.api import FeedEvent, FeedPage, FeedScope
from esign.feed.subscriptions import (
    deactivate_subscription,
    delivery_log,
    list_subscriptions,
    rotate_secret,
    subscribe,
)
from esign.registry.accounts import Actor
from esign.registry.audit import authorized_transaction
from esign.registry.authz import Permission

__all__ = [
    "deactivate_subscription",
    "delivery_log",
    "find_event",
    "list_subscriptions",
    "read_feed",
    "rotate_secret",
    "subscribe",
]


def _reading(
    transaction: Transactions, reader: Actor | FeedScope, target: str, at: dt.datetime | None
) -> AbstractContextManager[Session]:
    """The read's one transaction: an actor's asks ``FEED_READ`` and records its refusal in it, once
    (:func:`esign.registry.authorized_transaction`, at ``at``, which an actor's read must give)."""
    if isinstance(reader, FeedScope):
        return transaction()
    if at is None:
        raise TypeError("an actor's feed read needs the time its refusal would be recorded at")
    return authorized_transaction(transaction, reader, Permission.FEED_READ, target, at=at)


def read_feed(
    transaction: Transactions,
    reader: Actor | FeedScope,
    *,
    after: int = 0,
    limit: int = 100,
    at: dt.datetime | None = None,
) -> FeedPage:
    """The events after cursor ``after`` that ``reader`` may see, at most ``limit``
    (:func:`esign.feed.events.read_feed`).

    An :class:`~esign.registry.Actor` is authorized first and sees its scope
    (:func:`esign.feed.events.feed_scope`: refused unless it may read the feed); a
    :class:`FeedScope` is taken as given (the operator's ``FeedScope(item_ids=None)`` sees every event).
    An actor's refusal is recorded once, in the read's transaction, at ``at``.
    """
    with _reading(transaction, reader, "feed", at) as session:
        scope = reader if isinstance(reader, FeedScope) else _events.feed_scope(session, reader)
        return _events.read_feed(session, scope, after=after, limit=limit)


def find_event(
    transaction: Transactions, reader: Actor | FeedScope, entry_id: str, *, at: dt.datetime | None = None
) -> FeedEvent:
    """The event of register entry ``entry_id``, refused when ``reader`` may not see it (an actor's
    refusal recorded once, in this transaction, at ``at``)."""
    with _reading(transaction, reader, f"entry:{entry_id}", at) as session:
        scope = reader if isinstance(reader, FeedScope) else _events.feed_scope(session, reader)
        return _events.find_event(session, scope, entry_id)
