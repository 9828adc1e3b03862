"""Webhook delivery: one pass over the deliveries that are due, safe with many workers at once.

A pass claims due rows in a short transaction (PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED``,
so concurrent workers take disjoint rows; SQLite: every write transaction starts with
``BEGIN IMMEDIATE`` and is serialized anyway), pushes their ``next_attempt_at`` forward by the
lease and commits, then posts them with no transaction open (a slow receiver never holds a
database lock), and records each outcome in a transaction of its own. A worker that dies after
claiming leaves the rows to be claimed again when the lease runs out: delivery is at least once,
and receivers dedupe on the event id (:mod:`esign.feed.signing`).

Failures are retried with exponential back-off and jitter (:class:`RetryPolicy`) until
``max_attempts``; then the delivery is marked failed and stays in the log. Only a 2xx answer
counts as delivered; redirects are not followed.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from esign.db import Transactions
from esign.errors import InputError
from esign.feed.api import WebhookClient
from esign.feed.events import PENDING, event_of
from esign.feed.models import FeedAttemptRow, FeedDeliveryRow, FeedEventRow, FeedSubscriptionRow
from esign.feed.secretbox import SecretBox
from esign.feed.signing import sign_webhook

__all__ = ["DELIVERED", "FAILED", "DeliveryReport", "RetryPolicy", "deliver_due"]

DELIVERED, FAILED = "delivered", "failed"
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How deliveries are retried."""

    base_delay: dt.timedelta = dt.timedelta(seconds=30)
    """Delay before the second attempt (before jitter)."""
    factor: float = 2.0
    """Each further delay is this many times the previous one."""
    max_delay: dt.timedelta = dt.timedelta(hours=6)
    """Upper bound of a delay."""
    jitter: float = 0.5
    """A delay is scaled by a random factor in ``[1 - jitter, 1]``, so that failed receivers are not hit in lockstep."""
    max_attempts: int = 12
    """Attempts before a delivery is marked failed (with the defaults: about a day and a half)."""
    timeout: float = 10.0
    """Seconds to wait for a receiver."""
    lease: dt.timedelta = dt.timedelta(minutes=5)
    """How long a claimed delivery is left to the worker that claimed it."""

    def __post_init__(self) -> None:
        if self.base_delay <= dt.timedelta(0) or self.max_delay < self.base_delay or self.factor < 1:
            raise InputError("重试间隔参数无效。", "Invalid retry delays.", field="retry")
        if not 0 <= self.jitter < 1 or self.max_attempts < 1 or self.timeout <= 0 or self.lease <= dt.timedelta(0):
            raise InputError("重试参数无效。", "Invalid retry parameters.", field="retry")

    def delay(self, attempts: int, rng: Callable[[], float] = random.random) -> dt.timedelta:
        """The wait after ``attempts`` failed attempts (1 for the first failure)."""
        raw = min(self.max_delay.total_seconds(), self.base_delay.total_seconds() * self.factor ** (attempts - 1))
        return dt.timedelta(seconds=raw * (1 - self.jitter * rng()))


@dataclass(frozen=True)
class DeliveryReport:
    """What one pass did."""

    claimed: int
    """Deliveries claimed and attempted."""
    delivered: int
    """Acknowledged with a 2xx answer."""
    retrying: int
    """Failed this time, scheduled again."""
    failed: int
    """Failed for the last time."""


@dataclass(frozen=True)
class _Claim:
    delivery_id: int
    attempt: int
    subscription_id: int
    event_id: int
    url: str | None
    secret_box: bytes | None
    body: bytes


def _claim(session: Session, *, at: dt.datetime, policy: RetryPolicy, limit: int) -> list[_Claim]:
    rows = list(
        session.scalars(
            select(FeedDeliveryRow)
            .where(FeedDeliveryRow.status == PENDING, FeedDeliveryRow.next_attempt_at <= at)
            .order_by(FeedDeliveryRow.next_attempt_at, FeedDeliveryRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    claims = []
    for row in rows:
        row.attempts += 1
        row.next_attempt_at = at + policy.lease
        sub = session.get(FeedSubscriptionRow, row.subscription_id)
        event = session.get(FeedEventRow, row.event_id)
        assert sub is not None and event is not None  # foreign keys
        body = json.dumps(event_of(event).to_dict(), ensure_ascii=False, separators=(",", ":")).encode()
        claims.append(_Claim(row.id, row.attempts, sub.id, event.id, sub.url, sub.secret_box, body))
    return claims


def _send(
    claim: _Claim, *, at: dt.datetime, client: WebhookClient, box: SecretBox, timeout: float
) -> tuple[int | None, str, int]:
    started = time.monotonic()
    status: int | None = None
    try:
        if not claim.url or claim.secret_box is None:
            return None, "subscription has no webhook URL", 0
        secret = box.open(claim.secret_box, subscription_id=claim.subscription_id)
        headers = sign_webhook(secret, claim.body, event_id=claim.event_id, at=at)
        headers["Esign-Delivery-Attempt"] = str(claim.attempt)
        status = client.post(claim.url, content=claim.body, headers=headers, timeout=timeout).status_code
        error = "" if 200 <= status < 300 else f"HTTP {status}"
    except Exception as exc:  # any failure of one receiver is recorded and retried, never stops the pass
        error = f"{type(exc).__name__}: {exc}"[:500]
    return status, error, int((time.monotonic() - started) * 1000)


def _record(
    session: Session,
    claim: _Claim,
    result: tuple[int | None, str, int],
    *,
    at: dt.datetime,
    policy: RetryPolicy,
    rng: Callable[[], float],
) -> str:
    status, error, duration = result
    session.add(
        FeedAttemptRow(
            delivery_id=claim.delivery_id,
            subscription_id=claim.subscription_id,
            event_id=claim.event_id,
            attempt=claim.attempt,
            at=at,
            status_code=status,
            ok=not error,
            error=error,
            duration_ms=duration,
        )
    )
    row = session.get(FeedDeliveryRow, claim.delivery_id, with_for_update=True)
    assert row is not None
    if row.status == DELIVERED:
        return DELIVERED
    if not error:
        row.status, row.delivered_at, row.last_error = DELIVERED, at, ""
        return DELIVERED
    row.last_error = error
    if row.attempts != claim.attempt:  # our lease ran out and another worker claimed it again: its outcome counts
        return PENDING
    if row.attempts >= policy.max_attempts:
        row.status = FAILED
        return FAILED
    row.next_attempt_at = at + policy.delay(row.attempts, rng)
    return PENDING


def deliver_due(
    transaction: Transactions,
    *,
    at: dt.datetime,
    client: WebhookClient,
    box: SecretBox,
    policy: RetryPolicy | None = None,
    limit: int = 50,
    rng: Callable[[], float] = random.random,
) -> DeliveryReport:
    """Post every delivery due at ``at`` (at most ``limit``), once; returns what happened.

    Safe to run in several processes at once: each due delivery is claimed by one pass only.
    ``transaction`` opens one transaction (``Deployment.transaction``): one to claim, then one per outcome.
    """
    policy = policy or RetryPolicy()
    with transaction() as session:
        claims = _claim(session, at=at, policy=policy, limit=limit)
    outcomes = {DELIVERED: 0, PENDING: 0, FAILED: 0}
    for claim in claims:
        result = _send(claim, at=at, client=client, box=box, timeout=policy.timeout)
        if result[1]:
            _log.info("feed delivery %s of event %s failed: %s", claim.delivery_id, claim.event_id, result[1])
        with transaction() as session:
            outcomes[_record(session, claim, result, at=at, policy=policy, rng=rng)] += 1
    return DeliveryReport(
        claimed=len(claims), delivered=outcomes[DELIVERED], retrying=outcomes[PENDING], failed=outcomes[FAILED]
    )
