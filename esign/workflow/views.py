"""What the workflow's use cases return: frozen views, read inside the use case's transaction.

No view holds an ORM row or a session; they can be kept, compared and serialised after the
transaction closed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path

from esign.workflow.commit import STAMPED, StampOutcome
from esign.workflow.models import StampRequestRow

__all__ = ["EntryView", "StampRequestView", "StoredDocument", "request_view", "stamped_view"]


@dataclass(frozen=True)
class StampRequestView:
    """One stamp request as its township's people and the reform office see it."""

    #: The request's id.
    id: int
    #: ``pending`` | ``stamped`` | ``rejected`` | ``failed`` (can never be stamped; see ``decision_reason``).
    status: str
    #: The township's id.
    township_id: int
    #: The township's name.
    township: str
    #: The seal's code.
    seal_code: str
    #: The seal's name.
    seal_name: str
    #: The authority-list item: ``"<number>. <name>"``.
    item: str
    #: Document type (受理通知书 …).
    document_type: str
    #: Document title.
    document_title: str
    #: 事由.
    reason: str
    #: The clerk's person id.
    clerk_id: int
    #: The clerk's name.
    clerk: str
    #: The approver's name, once decided.
    approver: str | None
    #: PAdES level (``B-LT`` …).
    level: str
    #: Pages of the submitted document.
    pages: int
    #: SHA-256 of the submitted document.
    input_sha256: str
    #: When it was asked for (UTC).
    created_at: dt.datetime
    #: When it was decided (UTC).
    decided_at: dt.datetime | None
    #: Why it was not approved, or why it can never be stamped (Chinese).
    decision_reason: str
    #: Error code of a ``failed`` request, else None.
    failure_code: str | None
    #: The register entry of a stamped request.
    entry_id: str | None
    #: SHA-256 of the stamped document.
    output_sha256: str | None
    #: Trusted signing time of the stamp.
    signed_at: dt.datetime | None
    #: The QR code's verification URL of a stamped request.
    verify_url: str | None


def request_view(row: StampRequestRow, base_url: str, *, clerk: str | None = None) -> StampRequestView:
    """The view of ``row`` (call it while its session is open: it reads the row's relations). ``clerk``, the
    clerk's name when the caller has it (the clerk's own request), saves reading the clerk's row."""
    return StampRequestView(
        id=row.id,
        status=row.status,
        township_id=row.township_id,
        township=row.township.name,
        seal_code=row.seal.code,
        seal_name=row.seal.name,
        item=f"{row.item.number}. {row.item.item.name}",
        document_type=row.document_type,
        document_title=row.document_title,
        reason=row.reason,
        clerk_id=row.clerk_id,
        clerk=row.clerk.name if clerk is None else clerk,
        approver=row.approver.name if row.approver else None,
        level=row.level,
        pages=row.pages,
        input_sha256=row.input_sha256,
        created_at=row.created_at,
        decided_at=row.decided_at,
        decision_reason=row.decision_reason,
        failure_code=row.failure_code or None,
        entry_id=row.entry_id,
        output_sha256=row.output_sha256,
        signed_at=row.signed_at,
        verify_url=f"{base_url}/v/{row.entry_id}" if row.entry_id else None,
    )


def stamped_view(view: StampRequestView, outcome: StampOutcome, *, approver: str, at: dt.datetime) -> StampRequestView:
    """``view``, of a pending request, as the record of ``outcome`` leaves the request: what
    :func:`esign.workflow.commit.stamp_and_commit` writes to its row (stamped, approved by ``approver``
    at ``at``, the entry, the stamped file and its signing time), without reading it again."""
    return replace(
        view,
        status=STAMPED,
        approver=approver,
        decided_at=at,
        entry_id=outcome.entry_id,
        output_sha256=outcome.output_sha256,
        signed_at=outcome.signed_at,
        verify_url=outcome.verify_url,
    )


@dataclass(frozen=True)
class StoredDocument:
    """A request's document in the store, to be streamed (not loaded)."""

    #: Where it is (a file of the store or of its local cache).
    path: Path
    #: ``application/pdf`` or ``application/ofd`` (by content, whatever it was called).
    media_type: str
    #: ``pdf`` or ``ofd``.
    extension: str


@dataclass(frozen=True)
class EntryView:
    """A usage-register entry as the QR code's landing page shows it to anyone (no staff names)."""

    #: The entry id (printed in the QR code).
    entry_id: str
    #: The township's name.
    township: str
    #: The seal's name (its id when the registry no longer knows it).
    seal_name: str
    #: The seal's state now: ``active``, ``suspended``, ``revoked``, ``replaced``, or ``unknown``.
    seal_status: str
    #: The same in Chinese (未知 when unknown).
    seal_status_zh: str
    #: Since when the seal has that state.
    seal_status_since: dt.datetime | None
    #: The authority-list item: ``"<number>. <name>"``.
    item: str
    #: Document type.
    document_type: str
    #: Document title.
    document_title: str
    #: Trusted signing time (UTC).
    signed_at: dt.datetime
    #: Pages that carry the seal.
    count: int
    #: SHA-256 of the stamped document.
    output_sha256: str
    #: The entry's index in the register.
    index: int
    #: The inclusion proof against the latest signed checkpoint: ``valid``, ``invalid``, or ``pending``
    #: (no checkpoint covers the entry yet; the checkpointer signs one within its interval).
    proof: str
