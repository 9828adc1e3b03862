"""Tables of the department feed (审管联动): the event outbox, subscriptions, deliveries, attempts.

* ``feed_events``: one row per stamp, written in the stamp's own transaction (the outbox). Its
  ``id`` is the feed cursor: it is assigned as ``max(id) + 1`` while the transaction holds the usage
  register's head lock, so ids are gapless and commit in id order on every backend, and a reader
  that has seen event ``n`` will never later see a new event below ``n``.
* ``feed_subscriptions`` and ``feed_subscription_items``: a county department, the items it
  supervises (by catalog department, or listed explicitly), an optional webhook URL and the
  webhook secret encrypted at rest (:mod:`esign.feed.secrets`).
* ``feed_deliveries``: one row per (subscription with a URL, event), the unit a delivery worker
  claims; ``next_attempt_at`` doubles as the claim lease.
* ``feed_attempts``: the delivery log, one row per HTTP attempt. Rows are only appended.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from esign.db.base import Base, UTCDateTime

__all__ = ["FeedAttemptRow", "FeedDeliveryRow", "FeedEventRow", "FeedSubscriptionItemRow", "FeedSubscriptionRow"]


class FeedEventRow(Base):
    """One event of the feed (a seal was applied)."""

    __tablename__ = "feed_events"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32))
    entry_id: Mapped[str] = mapped_column(String(64), unique=True)
    township_id: Mapped[int] = mapped_column(Integer)
    catalog_item_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class FeedSubscriptionRow(Base):
    """A county department's subscription; without a URL it only reads the pull feed."""

    __tablename__ = "feed_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    department: Mapped[str] = mapped_column(String(128), index=True)
    url: Mapped[str | None] = mapped_column(String(2048), default=None)
    secret_box: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    explicit_items: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class FeedSubscriptionItemRow(Base):
    """An item listed explicitly in a subscription."""

    __tablename__ = "feed_subscription_items"
    __table_args__ = (UniqueConstraint("subscription_id", "catalog_item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("feed_subscriptions.id"))
    catalog_item_id: Mapped[int] = mapped_column(ForeignKey("catalog_items.id"))


class FeedDeliveryRow(Base):
    """One event owed to one webhook: pending until a 2xx answer, failed after the last retry."""

    __tablename__ = "feed_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id"),
        Index("ix_feed_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("feed_subscriptions.id"))
    event_id: Mapped[int] = mapped_column(ForeignKey("feed_events.id"))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")


class FeedAttemptRow(Base):
    """One HTTP attempt of a delivery (the delivery log)."""

    __tablename__ = "feed_attempts"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("feed_deliveries.id"))
    subscription_id: Mapped[int] = mapped_column(ForeignKey("feed_subscriptions.id"), index=True)
    event_id: Mapped[int] = mapped_column(BigInteger)
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    ok: Mapped[bool] = mapped_column(default=False)
    error: Mapped[str] = mapped_column(Text, default="")
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
