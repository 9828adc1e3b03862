"""What the batch use cases return: a batch with its progress, file by file, as frozen views.

No view holds an ORM row or a session. The service serialises them as they are (a field's
``description`` metadata is its documentation in the OpenAPI schema).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from esign.workflow.commit import REJECTED, STAMPED
from esign.workflow.failures import FAILED
from esign.workflow.models import StampBatchItemRow, StampBatchRow, StampRequestRow

__all__ = [
    "BATCH_DONE",
    "BATCH_OPEN",
    "BATCH_PENDING",
    "BATCH_REJECTED",
    "BATCH_RUNNING",
    "ITEM_FAILED",
    "ITEM_PENDING",
    "ITEM_REFUSED",
    "ITEM_REJECTED",
    "ITEM_STAMPED",
    "BatchItemError",
    "BatchItemView",
    "BatchSummary",
    "BatchView",
    "batch_summary",
    "batch_view",
]

BATCH_OPEN, BATCH_PENDING, BATCH_RUNNING, BATCH_DONE, BATCH_REJECTED = "open", "pending", "running", "done", "rejected"
ITEM_REFUSED, ITEM_PENDING, ITEM_STAMPED, ITEM_FAILED, ITEM_REJECTED = (
    "refused",
    "pending",
    "stamped",
    "failed",
    "rejected",
)


@dataclass(frozen=True)
class BatchItemError:
    """Why a file was refused at upload, or why stamping it failed last time."""

    #: Stable machine code (``not_pdf``, ``pdf_encrypted``, ``too_large``, ``seal_not_active`` …).
    code: str
    #: Chinese message.
    message_zh: str
    #: English message.
    message_en: str


@dataclass(frozen=True)
class BatchItemView:
    """One file of a batch as it stands now."""

    #: 1-based position of the file in the upload.
    position: int = field(metadata={"description": "上传顺序（从1开始）"})
    #: The uploaded file's name (shown to the clerk only; never written to the register).
    file_name: str
    #: The stamp request the file became; None when it was refused at upload.
    request_id: int | None = field(metadata={"description": "对应的用印申请；上传时被拒收的文件为 null"})
    #: refused | pending | stamped | failed | rejected.
    status: str = field(metadata={"description": "refused | pending | stamped | failed | rejected"})
    #: The register entry id once stamped.
    entry_id: str | None
    #: The QR code's verification URL once stamped.
    verify_url: str | None
    #: The refusal or the last stamping error (``failed`` and ``refused`` only).
    error: BatchItemError | None = field(metadata={"description": "拒收或最近一次盖章失败的原因"})


@dataclass(frozen=True)
class BatchSummary:
    """A batch and its counts. Counts cover the files that became requests (``total``) and, apart,
    the files refused at upload (``refused``)."""

    #: The batch id.
    id: int
    #: open | pending | running | done | rejected.
    status: str = field(metadata={"description": "open | pending | running | done | rejected"})
    #: The township whose seal is used.
    township: str
    #: The seal's code.
    seal_code: str
    #: The seal's name.
    seal_name: str
    #: "number. name" of the catalog item.
    item: str
    #: Document type of every document.
    document_type: str
    #: 事由.
    reason: str
    #: PAdES level.
    level: str
    #: The clerk who uploaded (person id).
    clerk_id: int
    #: The clerk who uploaded.
    clerk: str
    #: The approver who approved or rejected (the latest approval when resumed).
    approver: str | None
    #: When the batch was uploaded.
    created_at: dt.datetime
    #: When it was approved (last) or rejected.
    decided_at: dt.datetime | None
    #: When the last run finished.
    finished_at: dt.datetime | None
    #: The rejection's reason.
    decision_reason: str
    #: Files that became stamp requests.
    total: int = field(metadata={"description": "成为用印申请的文件数"})
    #: Of those, stamped.
    stamped: int
    #: Of those, failed in the last run (their requests are still pending).
    failed: int
    #: Of those, rejected.
    rejected: int
    #: Of those, not tried yet.
    pending: int
    #: Files refused at upload.
    refused: int = field(metadata={"description": "上传时被拒收的文件数（不计入 total）"})


@dataclass(frozen=True)
class BatchView(BatchSummary):
    """A batch with its progress, file by file."""

    #: Every file, in upload order.
    items: tuple[BatchItemView, ...] = field(metadata={"description": "每个文件，按上传顺序"})


def batch_view(session: Session, batch: StampBatchRow, *, base_url: str) -> BatchView:
    """The batch's progress, file by file (call it while the session is open: it reads the row's relations)."""
    rows = session.execute(
        select(
            StampBatchItemRow,
            StampRequestRow.status,
            StampRequestRow.entry_id,
            StampRequestRow.failure_code,
            StampRequestRow.decision_reason,
        )
        .outerjoin(StampRequestRow, StampRequestRow.id == StampBatchItemRow.request_id)
        .where(StampBatchItemRow.batch_id == batch.id)
        .order_by(StampBatchItemRow.position)
    ).all()
    items = tuple(_item_view(item, status, entry, code, why, base_url) for item, status, entry, code, why in rows)
    return BatchView(**_summary_fields(batch, items), items=items)


def batch_summary(session: Session, batch: StampBatchRow, *, base_url: str) -> BatchSummary:
    """The batch and its counts, without its files."""
    return BatchSummary(**_summary_fields(batch, batch_view(session, batch, base_url=base_url).items))


def _summary_fields(batch: StampBatchRow, items: tuple[BatchItemView, ...]) -> dict[str, Any]:
    count = {
        s: sum(1 for i in items if i.status == s)
        for s in (ITEM_PENDING, ITEM_STAMPED, ITEM_FAILED, ITEM_REJECTED, ITEM_REFUSED)
    }
    return {
        "id": batch.id,
        "status": batch.status,
        "township": batch.township.name,
        "seal_code": batch.seal.code,
        "seal_name": batch.seal.name,
        "item": f"{batch.item.number}. {batch.item.item.name}",
        "document_type": batch.document_type,
        "reason": batch.reason,
        "level": batch.level,
        "clerk_id": batch.clerk_id,
        "clerk": batch.clerk.name,
        "approver": batch.approver.name if batch.approver else None,
        "created_at": batch.created_at,
        "decided_at": batch.decided_at,
        "finished_at": batch.finished_at,
        "decision_reason": batch.decision_reason,
        "total": sum(1 for i in items if i.request_id is not None),
        "stamped": count[ITEM_STAMPED],
        "failed": count[ITEM_FAILED],
        "rejected": count[ITEM_REJECTED],
        "pending": count[ITEM_PENDING],
        "refused": count[ITEM_REFUSED],
    }


def _item_view(
    item: StampBatchItemRow,
    status: str | None,
    entry_id: str | None,
    failure_code: str | None,
    failure: str | None,
    base_url: str,
) -> BatchItemView:
    error = BatchItemError(item.error_code, item.error_zh, item.error_en) if item.error_code else None
    if item.request_id is None:
        state = ITEM_REFUSED
    elif status == STAMPED:
        state, error = ITEM_STAMPED, None
    elif status == REJECTED:
        state, error = ITEM_REJECTED, None
    elif status == FAILED:  # ended as failed, in this batch's run or before (the same request in another batch)
        state = ITEM_FAILED
        if error is None:
            code = failure_code or "request_failed"
            error = BatchItemError(code, failure or "该文件无法盖章。", f"The document cannot be stamped ({code}).")
    else:
        state = ITEM_FAILED if error else ITEM_PENDING
    stamped = state == ITEM_STAMPED
    return BatchItemView(
        position=item.position,
        file_name=item.file_name,
        request_id=item.request_id,
        status=state,
        entry_id=entry_id if stamped else None,
        verify_url=f"{base_url}/v/{entry_id}" if stamped and entry_id else None,
        error=error,
    )
