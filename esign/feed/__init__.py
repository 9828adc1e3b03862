"""The department feed (审管联动): stamping events for the county departments that supervise the items.

Every stamp writes an event in its own transaction (:mod:`~esign.feed.events`, an outbox);
departments read it with a cursor (:func:`read_feed`) or subscribe (:mod:`~esign.feed.subscriptions`)
to signed webhooks (:mod:`~esign.feed.signing`) delivered with retries (:mod:`~esign.feed.delivery`),
by the service's background loop (:mod:`~esign.feed.worker`) or ``esign feed deliver``.
"""

from esign.feed.api import EVENT_STAMP_APPLIED, FeedEvent, FeedPage, FeedScope, WebhookClient
from esign.feed.delivery import DeliveryReport, RetryPolicy, deliver_due
from esign.feed.errors import SecretBoxError, WebhookSignatureError
from esign.feed.events import feed_scope, find_event, read_feed, record_stamp_event
from esign.feed.secretbox import SecretBox, box_for, new_webhook_secret
from esign.feed.signing import EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign_webhook, verify_webhook
from esign.feed.subscriptions import (
    AttemptInfo,
    SubscriptionInfo,
    deactivate_subscription,
    delivery_log,
    list_subscriptions,
    rotate_secret,
    subscribe,
)
from esign.feed.worker import FeedWorker

__all__ = [
    "EVENT_ID_HEADER",
    "EVENT_STAMP_APPLIED",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "AttemptInfo",
    "DeliveryReport",
    "FeedEvent",
    "FeedPage",
    "FeedScope",
    "FeedWorker",
    "RetryPolicy",
    "SecretBox",
    "SecretBoxError",
    "SubscriptionInfo",
    "WebhookClient",
    "WebhookSignatureError",
    "box_for",
    "deactivate_subscription",
    "deliver_due",
    "delivery_log",
    "feed_scope",
    "find_event",
    "list_subscriptions",
    "new_webhook_secret",
    "read_feed",
    "record_stamp_event",
    "rotate_secret",
    "sign_webhook",
    "subscribe",
    "verify_webhook",
]
