"""The receiver's check (verify_webhook) and the secret box."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from esign.feed import (
    SecretBox,
    SecretBoxError,
    WebhookSignatureError,
    new_webhook_secret,
    sign_webhook,
    verify_webhook,
)

AT = dt.datetime(2024, 5, 6, 8, 0, tzinfo=dt.UTC)
BODY = json.dumps({"id": 7, "type": "stamp.applied", "data": {"entry_id": "abc"}}).encode()


def _signed(
    secret: str = "whsec_test",  # noqa: S107 - a test secret
    body: bytes = BODY,
    at: dt.datetime = AT,
) -> dict[str, str]:
    return sign_webhook(secret, body, event_id=7, at=at)


def test_a_genuine_fresh_webhook_passes():
    event = verify_webhook("whsec_test", BODY, _signed(), at=AT + dt.timedelta(seconds=30))
    assert event["id"] == 7
    lowered = {k.lower(): v for k, v in _signed().items()}  # header names are case-insensitive
    assert verify_webhook("whsec_test", BODY, lowered, at=AT)["data"]["entry_id"] == "abc"


@pytest.mark.parametrize(
    ("secret", "body", "headers", "at", "code"),
    [
        ("whsec_test", BODY.replace(b"abc", b"abd"), _signed(), AT, "webhook_bad_signature"),
        ("whsec_other", BODY, _signed(), AT, "webhook_bad_signature"),
        ("whsec_test", BODY, _signed(), AT + dt.timedelta(minutes=6), "webhook_stale"),
        ("whsec_test", BODY, _signed(), AT - dt.timedelta(minutes=6), "webhook_stale"),
        (
            "whsec_test",
            BODY,
            {**_signed(), "Esign-Timestamp": str(int(AT.timestamp()) + 1)},
            AT,
            "webhook_bad_signature",
        ),
        ("whsec_test", BODY, {"Esign-Timestamp": str(int(AT.timestamp()))}, AT, "webhook_unsigned"),
        ("whsec_test", BODY, {**_signed(), "Esign-Event-Id": "8"}, AT, "webhook_bad_body"),
    ],
    ids=["tampered-body", "wrong-secret", "stale", "from-the-future", "shifted-timestamp", "unsigned", "id-mismatch"],
)
def test_tampered_stale_or_unsigned_webhooks_are_rejected(secret, body, headers, at, code):
    with pytest.raises(WebhookSignatureError) as exc:
        verify_webhook(secret, body, headers, at=at)
    assert exc.value.code == code and exc.value.http_status == 401


def test_secret_box_round_trip_and_binding():
    box, secret = SecretBox(b"passphrase"), new_webhook_secret()
    sealed = box.seal(secret, subscription_id=3)
    assert secret.encode() not in sealed and box.open(sealed, subscription_id=3) == secret
    with pytest.raises(SecretBoxError):
        box.open(sealed, subscription_id=4)  # moved to another subscription's row
    with pytest.raises(SecretBoxError):
        SecretBox(b"another passphrase").open(sealed, subscription_id=3)
    with pytest.raises(SecretBoxError):
        box.open(sealed[:-1] + bytes([sealed[-1] ^ 1]), subscription_id=3)
