"""Webhook delivery to a real HTTP receiver on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading

import httpx
import pytest
from sqlalchemy import select

from esign.db import session_scope
from esign.errors import ForbiddenError, NotFoundError
from esign.feed import RetryPolicy, deliver_due, delivery_log, list_subscriptions, subscribe
from esign.feed.models import FeedDeliveryRow, FeedSubscriptionRow

from .conftest import T0, now

FAST = RetryPolicy(base_delay=dt.timedelta(seconds=2), jitter=0.0, max_attempts=4, timeout=5)


def _subscribe(county, receiver, **kw):
    info, secret = subscribe(
        county.transaction, county.box, department="蒲县民政局", url=receiver.url, actor="a", at=T0, **kw
    )
    receiver.secret = secret
    return info


def test_a_receiver_that_fails_twice_gets_each_event_exactly_once(county, receiver):
    sub = _subscribe(county, receiver)
    receiver.fail_first = 2
    event = county.stamp(1)
    start = now()
    with httpx.Client() as client:
        first = deliver_due(county.transaction, at=start, client=client, box=county.box, policy=FAST)
        assert (first.claimed, first.retrying) == (1, 1)
        # Not due yet: back-off is 2 s after the first failure, 4 s after the second.
        assert (
            deliver_due(
                county.transaction, at=start + dt.timedelta(seconds=1), client=client, box=county.box, policy=FAST
            ).claimed
            == 0
        )
        second = deliver_due(
            county.transaction, at=start + dt.timedelta(seconds=2), client=client, box=county.box, policy=FAST
        )
        assert second.retrying == 1
        assert (
            deliver_due(
                county.transaction, at=start + dt.timedelta(seconds=5), client=client, box=county.box, policy=FAST
            ).claimed
            == 0
        )
        third = deliver_due(
            county.transaction, at=start + dt.timedelta(seconds=6), client=client, box=county.box, policy=FAST
        )
        assert third.delivered == 1
        assert (
            deliver_due(
                county.transaction, at=start + dt.timedelta(hours=1), client=client, box=county.box, policy=FAST
            ).claimed
            == 0
        )
    assert len(receiver.posts) == 3 and all(p["valid"] and p["fresh"] for p in receiver.posts)
    assert list(receiver.accepted) == [event.id]
    assert receiver.accepted[event.id]["data"]["entry_id"] == event.data["entry_id"]
    headers = receiver.posts[-1]["headers"]
    assert headers["esign-event-id"] == str(event.id) and headers["esign-delivery-attempt"] == "3"
    log = delivery_log(county.transaction, sub.id)
    info = list_subscriptions(county.transaction)[0]
    assert [(a.attempt, a.status_code, a.ok) for a in log] == [(3, 204, True), (2, 500, False), (1, 500, False)]
    assert (info.delivered, info.pending, info.failed) == (1, 0, 0)


def test_a_dead_receiver_is_given_up_after_the_last_attempt(county, receiver):
    _subscribe(county, receiver)
    receiver.fail_first = 100
    county.stamp(1)
    at = now()
    with httpx.Client() as client:
        for _ in range(FAST.max_attempts):
            deliver_due(county.transaction, at=at, client=client, box=county.box, policy=FAST)
            at += dt.timedelta(seconds=10)  # past each back-off, still fresh for the receiver
    with session_scope(county.sessions) as s:
        row = s.scalar(select(FeedDeliveryRow))
        assert row is not None and (row.status, row.attempts, row.last_error) == ("failed", 4, "HTTP 500")
    assert receiver.accepted == {}


def test_an_unreachable_url_is_retried_with_the_error_logged(county, receiver):
    sub = _subscribe(county, receiver)
    county.stamp(1)
    with session_scope(county.sessions) as s:
        row = s.get(FeedSubscriptionRow, sub.id)
        assert row is not None
        row.url = "http://127.0.0.1:9/closed"
    with httpx.Client() as client:
        report = deliver_due(county.transaction, at=now(), client=client, box=county.box, policy=FAST)
    assert report.retrying == 1
    (attempt,) = delivery_log(county.transaction, sub.id)
    assert attempt.status_code is None and "ConnectError" in attempt.error


def test_concurrent_workers_never_send_one_delivery_twice(county, receiver):
    _subscribe(county, receiver)
    receiver.delay = 0.05
    events = [county.stamp(n % 2 + 1 if n % 3 else 1) for n in range(12)]
    owed = {e.id for e in events if e.data["item"]["department"] == "民政局"}
    at = now()
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with httpx.Client() as client:
                while deliver_due(
                    county.transaction, at=at, client=client, box=county.box, policy=FAST, limit=2
                ).claimed:
                    pass
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    sent = [int(p["headers"]["esign-event-id"]) for p in receiver.posts]
    assert sorted(sent) == sorted(owed) and len(sent) == len(set(sent))


def test_a_department_reads_only_its_own_delivery_log(county, receiver):
    sub = _subscribe(county, receiver)
    assert delivery_log(county.transaction, sub.id, department="蒲县民政局") == []
    for other, missing in (("蒲县人社局", sub.id), ("蒲县民政局", sub.id + 100)):
        with pytest.raises(ForbiddenError) as exc:  # another's, or none at all: the same refusal
            delivery_log(county.transaction, missing, department=other)
        assert exc.value.code == "wrong_department"
    with pytest.raises(NotFoundError):
        delivery_log(county.transaction, sub.id + 100)
