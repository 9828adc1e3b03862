"""The feed's value types and the one interface it needs from the outside: an HTTP client.

:class:`WebhookClient` is the subset of :class:`httpx.Client` that delivery uses, so a real
``httpx.Client`` is the production implementation and tests can pass one pointed at a local
receiver (or an ``httpx.Client(transport=httpx.MockTransport(...))``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = [
    "EVENT_STAMP_APPLIED",
    "FeedEvent",
    "FeedPage",
    "FeedScope",
    "HttpResponse",
    "WebhookClient",
]

#: The kind of every event so far: a seal was applied and the use is in the register.
EVENT_STAMP_APPLIED = "stamp.applied"


class HttpResponse(Protocol):
    """What delivery reads from an answer."""

    @property
    def status_code(self) -> int: ...


class WebhookClient(Protocol):
    """Posts one request; raises on network errors (``httpx.HTTPError`` or ``OSError``)."""

    def post(self, url: str, *, content: bytes, headers: Mapping[str, str], timeout: float) -> HttpResponse: ...


@dataclass(frozen=True)
class FeedEvent:
    """One event as departments receive it (pull feed and webhook body alike)."""

    id: int
    """Feed id: gapless, increasing, and the cursor of the pull feed."""
    kind: str
    """What happened (:data:`EVENT_STAMP_APPLIED`)."""
    created_at: dt.datetime
    """When the stamp's transaction wrote the event (aware UTC)."""
    data: Mapping[str, Any]
    """The payload: entry id and index, township, seal, item with its department, document type and
    title, signing time, SHA-256 of the stamped file, verify URL. No applicant personal data and
    no staff names: who asked is in the case file, who stamped is in the register."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON object sent and served."""
        return {
            "id": self.id,
            "type": self.kind,
            "created_at": self.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "data": dict(self.data),
        }


@dataclass(frozen=True)
class FeedPage:
    """A page of the pull feed."""

    events: tuple[FeedEvent, ...]
    """Events after the cursor, in id order."""
    next_cursor: int
    """Pass as ``after`` next time. It may move past events the caller may not see, never past one
    it may see and has not been given."""


@dataclass(frozen=True)
class FeedScope:
    """Which events an actor may read."""

    item_ids: frozenset[int] | None
    """Catalog item ids whose events are visible; None means every event (the reform office)."""
    department: str = ""
    """The department the scope belongs to (empty for the reform office)."""

    def allows(self, catalog_item_id: int | None) -> bool:
        """Whether an event of this catalog item is visible."""
        return self.item_ids is None or (catalog_item_id is not None and catalog_item_id in self.item_ids)
