"""Signed webhooks: what esign sends and the check a receiving department runs.

Every delivery is an HTTP POST of a JSON event (``application/json``, UTF-8) with these headers:

``Esign-Event-Id``
    The event's feed id (also ``"id"`` in the body). The same event may arrive more than once
    (a retry after a lost answer, a worker that died mid-send): receivers dedupe on this id.
``Esign-Timestamp``
    Unix time (seconds) when the delivery was signed.
``Esign-Signature``
    ``v1=`` + lower-case hex HMAC-SHA256 over ``timestamp + "." + body`` with the subscription's
    secret (the whole ``whsec_...`` string, UTF-8) as the key.

:func:`verify_webhook` is the receiver's check: the signature must match the exact body bytes
(constant-time comparison) and the timestamp must be within ``tolerance`` of the receiver's clock,
so a captured request cannot be replayed later; within the window the event id dedupes.
It verifies authenticity and freshness, not that the stamped document itself is valid: for that,
fetch ``verify_url`` or verify the PDF.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from esign.feed.errors import WebhookSignatureError

__all__ = [
    "EVENT_ID_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "sign_webhook",
    "verify_webhook",
]

EVENT_ID_HEADER = "Esign-Event-Id"
TIMESTAMP_HEADER = "Esign-Timestamp"
SIGNATURE_HEADER = "Esign-Signature"
_SCHEME = "v1="


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def sign_webhook(secret: str, body: bytes, *, event_id: int, at: dt.datetime) -> dict[str, str]:
    """The headers that authenticate ``body`` for delivery at time ``at``."""
    timestamp = int(at.timestamp())
    return {
        "Content-Type": "application/json; charset=utf-8",
        EVENT_ID_HEADER: str(event_id),
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: _SCHEME + _mac(secret, timestamp, body),
    }


def verify_webhook(
    secret: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    at: dt.datetime,
    tolerance: dt.timedelta = dt.timedelta(minutes=5),
) -> dict[str, Any]:
    """Check a received webhook and return the decoded event; raise :class:`WebhookSignatureError` otherwise.

    ``headers`` is looked up case-insensitively. ``at`` is the receiver's current time (aware).
    The body is decoded only after the signature matched.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    stamp = lowered.get(TIMESTAMP_HEADER.lower(), "")
    given = lowered.get(SIGNATURE_HEADER.lower(), "")
    if not stamp.isdigit() or not given.startswith(_SCHEME):
        raise WebhookSignatureError(
            "缺少签名或时间戳。", "The webhook has no signature or timestamp.", code="webhook_unsigned"
        )
    timestamp = int(stamp)
    if abs(at.timestamp() - timestamp) > tolerance.total_seconds():
        raise WebhookSignatureError(
            "时间戳过期或超前，拒绝（防重放）。",
            "The webhook timestamp is outside the allowed window (replay protection).",
            code="webhook_stale",
        )
    if not hmac.compare_digest(given[len(_SCHEME) :].encode(), _mac(secret, timestamp, body).encode()):
        raise WebhookSignatureError(
            "签名不正确。", "The webhook signature does not match.", code="webhook_bad_signature"
        )
    try:
        event = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise WebhookSignatureError("正文不是 JSON。", "The webhook body is not JSON.", code="webhook_bad_body") from e
    if not isinstance(event, dict) or str(event.get("id")) != lowered.get(EVENT_ID_HEADER.lower()):
        raise WebhookSignatureError(
            "事件编号与正文不一致。", "The event id header does not match the body.", code="webhook_bad_body"
        )
    return event
