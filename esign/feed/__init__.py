"""The department feed (审管联动): stamping events for the county departments that supervise the items.

Every stamp writes an event in its own transaction (:mod:`~esign.feed.events`, an outbox);
departments read it with a cursor (:func:`read_feed`) or subscribe (:mod:`~esign.feed.subscriptions`)
to signed webhooks (:mod:`~esign.feed.signing`) delivered with retries (:mod:`~esign.feed.delivery`),
by the service's background loop (:mod:`~esign.feed.worker`) or ``esign feed deliver``.

The edges call the use cases (:mod:`~esign.feed.usecases`): each takes the deployment's transaction
factory and plain values, opens its one transaction and returns frozen values.
"""

from esign.feed.api import EVENT_STAMP_APPLIED, FeedEvent, FeedPage, FeedScope, WebhookClient
from esign.feed.delivery import DeliveryReport, RetryPolicy, deliver_due
from esign.feed.errors import SecretBoxError, WebhookSignatureError
from esign.feed.events import MAX_PAGE, record_stamp_event
from esign.feed.secretbox import SecretBox, box_for, new_webhook_secret
from esign.feed.signing import EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign_webhook, verify_webhook
from esign.feed.subscriptions import AttemptInfo, SubscriptionInfo
from esign.feed.usecases import (
    deactivate_subscription,
    delivery_log,
    find_event,
    list_subscriptions,
    read_feed,
    rotate_secret,
    subscribe,
)
from esign.feed.worker import FeedWorker

__all__ = [
    "EVENT_ID_HEADER",
    "EVENT_STAMP_APPLIED",
    "MAX_PAGE",
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
