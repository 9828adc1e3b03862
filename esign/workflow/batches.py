"""Stamp batches: a clerk uploads several documents with the same seal, item, reason and placement,
an approver of the same township approves them once, and a background job stamps them.

Every accepted file becomes an ordinary stamp request (:func:`esign.workflow.requests.submit_request`),
so each document is checked, kept and later stamped by the same path as a single request: one
stamp, one register entry, one transaction per document. A file that is refused at upload (not a
PDF, encrypted, too large) is kept in the batch with its error and never becomes a request.

States of a batch: ``open`` (files still arriving) → ``pending`` (waiting for an approver) →
``running`` (approved; :mod:`esign.workflow.batch_runner` stamps) → ``done``; or ``pending`` →
``rejected``. Approving is idempotent: every approval starts a new *run* that tries each document
whose request is still pending once, so approving again resumes an interrupted job or retries the
documents that failed, and never stamps a document twice (a stamped request is not pending).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from esign.deployment import Deployment
from esign.errors import EsignError, ForbiddenError, NotFoundError, StateError
from esign.registry import Actor, Permission, authorize, record_event, visible_township_ids
from esign.stamp import placement_from_json, placement_to_json
from esign.text import as_id
from esign.workflow.commit import PENDING, REJECTED, STAMPED
from esign.workflow.models import StampBatchItemRow, StampBatchRow, StampRequestRow
from esign.workflow.requests import reject_request, submit_request
from esign.workflow.rules import audit_refusal, check_text, require_approver
from esign.workflow.spec import StampRequestSpec, check_key, check_spec

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
    "MAX_BATCH_FILES",
    "BatchItemError",
    "BatchItemView",
    "BatchView",
    "add_file",
    "add_refused",
    "approve_batch",
    "close_batch",
    "find_batch",
    "list_batches",
    "open_batch",
    "reject_batch",
    "view_batch",
]

BATCH_OPEN, BATCH_PENDING, BATCH_RUNNING, BATCH_DONE, BATCH_REJECTED = "open", "pending", "running", "done", "rejected"
ITEM_REFUSED, ITEM_PENDING, ITEM_STAMPED, ITEM_FAILED, ITEM_REJECTED = (
    "refused",
    "pending",
    "stamped",
    "failed",
    "rejected",
)

#: Most files one batch may hold.
MAX_BATCH_FILES = 100

_KEY_LIMIT = 100  # the per-file request keys append "/<position>" and must stay within 128


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
    position: int
    #: The uploaded file's name (shown to the clerk only; never written to the register).
    file_name: str
    #: The stamp request the file became; None when it was refused at upload.
    request_id: int | None
    #: refused | pending | stamped | failed | rejected.
    status: str
    #: The register entry id once stamped.
    entry_id: str | None
    #: The QR code's verification URL once stamped.
    verify_url: str | None
    #: The refusal or the last stamping error (``failed`` and ``refused`` only).
    error: BatchItemError | None


@dataclass(frozen=True)
class BatchView:
    """A batch with its progress. Counts cover the files that became requests (``total``) and,
    apart, the files refused at upload (``refused``)."""

    #: The batch id.
    id: int
    #: open | pending | running | done | rejected.
    status: str
    #: The township whose seal is used.
    township: str
    #: The seal's code.
    seal_code: str
    #: "number. name" of the catalog item.
    item: str
    #: Document type of every document.
    document_type: str
    #: 事由.
    reason: str
    #: PAdES level.
    level: str
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
    total: int
    #: Of those, stamped.
    stamped: int
    #: Of those, failed in the last run (their requests are still pending).
    failed: int
    #: Of those, rejected.
    rejected: int
    #: Of those, not tried yet.
    pending: int
    #: Files refused at upload.
    refused: int
    #: Every file, in upload order.
    items: tuple[BatchItemView, ...]


def open_batch(dep: Deployment, actor: Actor, spec: StampRequestSpec, *, at: dt.datetime) -> StampBatchRow:
    """Check the shared metadata and record an ``open`` batch; idempotent per key (the same batch again).

    ``spec.password`` is not supported (one password for several files is not a thing); encrypted
    files are refused one by one. Refusals are audited.
    """
    try:
        return _open(dep, actor, spec, at=at)
    except EsignError as exc:
        audit_refusal(dep, actor, "stamp.batch.request", f"seal:{spec.seal}", exc, at=at)
        raise


def _open(dep: Deployment, actor: Actor, spec: StampRequestSpec, *, at: dt.datetime) -> StampBatchRow:
    key = check_key(spec.idempotency_key.strip() or secrets.token_hex(16), limit=_KEY_LIMIT)
    with dep.transaction() as session:
        if actor.person_id is not None:
            existing = session.scalar(
                select(StampBatchRow).where(
                    StampBatchRow.clerk_id == actor.person_id, StampBatchRow.idempotency_key == key
                )
            )
            if existing is not None:
                return existing
        checked = check_spec(session, actor, spec, per_file_titles=True)
        row = StampBatchRow(
            idempotency_key=key,
            township_id=checked.seal.township_id,
            seal_id=checked.seal.id,
            authority_item_id=checked.item.id,
            clerk_id=actor.person_id,
            document_type=checked.document_type.value,
            document_title=checked.title,
            reason=checked.reason,
            placement=placement_to_json(spec.placement),
            level=checked.level.value,
            certify=spec.certify,
            status=BATCH_OPEN,
            run=0,
            created_at=at,
        )
        session.add(row)
        session.flush()
        record_event(
            session,
            actor=actor.name,
            action="stamp.batch.request",
            target=f"stamp_batch:{row.id}",
            at=at,
            township_id=checked.seal.township_id,
            detail=row.reason,
        )
        return row


def add_file(
    dep: Deployment, actor: Actor, batch_id: int, position: int, file_name: str, data: bytes, *, at: dt.datetime
) -> None:
    """Add the file at ``position`` of an open batch: it becomes a stamp request, or is kept as refused
    with the error that :func:`esign.workflow.requests.submit_request` gave (which audited it).

    A position that is already there (a retried upload) is left as it is. Only the batch's clerk adds.
    """
    spec = _file_spec(dep, actor, batch_id, position)
    if spec is None:
        return
    if not spec.title.strip():  # each document is told apart by its file name (受理通知书 ×100 says nothing)
        spec = dataclasses.replace(spec, title=_title_of(file_name, position))
    try:
        request_id = submit_request(dep, actor, data, spec, at=at).id
    except EsignError as exc:  # reported for this file; the others go on
        _record_item(dep, batch_id, position, file_name, None, exc)
    else:
        _record_item(dep, batch_id, position, file_name, request_id, None)


def add_refused(dep: Deployment, actor: Actor, batch_id: int, position: int, file_name: str, error: EsignError) -> None:
    """Keep the file at ``position`` as refused before it could be read (too large, empty)."""
    if _file_spec(dep, actor, batch_id, position) is not None:
        _record_item(dep, batch_id, position, file_name, None, error)


def _file_spec(dep: Deployment, actor: Actor, batch_id: int, position: int) -> StampRequestSpec | None:
    """The request of one file of an open batch of the actor's; None when that position is already in."""
    with dep.transaction() as session:
        batch = find_batch(session, batch_id, actor)
        _require_own_open(actor, batch)
        if _item_at(session, batch_id, position) is not None:
            return None
        return StampRequestSpec(
            seal=batch.seal.code,
            item=str(batch.item.number),
            reason=batch.reason,
            document_type=batch.document_type,
            title=batch.document_title,
            placement=placement_from_json(batch.placement),
            level=batch.level,
            idempotency_key=f"{batch.idempotency_key}/{position}",  # a retried upload finds its request again
            certify=batch.certify,
        )


def _record_item(
    dep: Deployment, batch_id: int, position: int, file_name: str, request_id: int | None, error: EsignError | None
) -> None:
    try:
        with dep.transaction() as session:
            session.add(
                StampBatchItemRow(
                    batch_id=batch_id,
                    position=position,
                    file_name=_file_name(file_name, position),
                    request_id=request_id,
                    error_code=error.code if error else "",
                    error_zh=error.message_zh if error else "",
                    error_en=error.message_en if error else "",
                )
            )
    except IntegrityError:
        with dep.transaction() as session:
            if _item_at(session, batch_id, position) is None:
                raise
        # a concurrent retry of the same upload recorded this position first


def close_batch(dep: Deployment, actor: Actor, batch_id: int, *, at: dt.datetime) -> None:
    """All files are in: the batch waits for an approver (or is done when no file was accepted)."""
    with dep.transaction() as session:
        batch = find_batch(session, batch_id, actor)
        if batch.status != BATCH_OPEN:
            return
        _require_own_open(actor, batch)
        accepted = session.scalar(
            select(func.count())
            .select_from(StampBatchItemRow)
            .where(StampBatchItemRow.batch_id == batch_id, StampBatchItemRow.request_id.is_not(None))
        )
        if accepted:
            batch.status = BATCH_PENDING
        else:
            batch.status, batch.finished_at = BATCH_DONE, at


def approve_batch(dep: Deployment, actor: Actor, batch_id: int, *, at: dt.datetime) -> bool:
    """Approve the batch, or approve it again to resume or retry it; True when there is work for a runner.

    The rules of a single approval apply once for the batch (an approver of the batch's township
    who is not its clerk); each document is then stamped through
    :func:`esign.workflow.requests.approve_request` with this approver, which checks them again.
    Refusals are audited.
    """
    try:
        return _approve(dep, actor, batch_id, at=at)
    except EsignError as exc:
        audit_refusal(dep, actor, "stamp.batch.approve", f"stamp_batch:{batch_id}", exc, at=at)
        raise


def _approve(dep: Deployment, actor: Actor, batch_id: int, *, at: dt.datetime) -> bool:
    authorize(actor, Permission.STAMP_APPROVE)
    with dep.transaction() as session:
        batch = find_batch(session, batch_id, actor)
        require_approver(actor, batch)
        if batch.status == BATCH_OPEN:
            raise StateError("该批次的文件尚未上传完毕。", "The batch is still being uploaded.", code="batch_open")
        if batch.status == BATCH_REJECTED:
            raise StateError("该批次已不予批准。", "The batch was rejected.", code="batch_decided")
        if not _pending_request_ids(session, batch_id):  # everything is stamped or rejected: nothing to do
            if batch.status != BATCH_DONE:  # its requests were all decided one by one
                batch.status, batch.finished_at = BATCH_DONE, at
            return False
        resumed = batch.status != BATCH_PENDING
        batch.status, batch.run, batch.finished_at = BATCH_RUNNING, batch.run + 1, None
        batch.approver_id, batch.decided_at = actor.person_id, at
        record_event(
            session,
            actor=actor.name,
            action="stamp.batch.resume" if resumed else "stamp.batch.approve",
            target=f"stamp_batch:{batch.id}",
            at=at,
            township_id=batch.township_id,
            detail=f"run {batch.run}",
        )
        return True


def reject_batch(dep: Deployment, actor: Actor, batch_id: int, reason: str, *, at: dt.datetime) -> None:
    """Refuse the whole batch before it was approved: every pending request is rejected with ``reason``.

    Rejecting a rejected batch again finishes rejecting requests that an interruption left pending.
    Refusals are audited.
    """
    try:
        _reject(dep, actor, batch_id, reason, at=at)
    except EsignError as exc:
        audit_refusal(dep, actor, "stamp.batch.reject", f"stamp_batch:{batch_id}", exc, at=at)
        raise


def _reject(dep: Deployment, actor: Actor, batch_id: int, reason: str, *, at: dt.datetime) -> None:
    authorize(actor, Permission.STAMP_APPROVE)
    with dep.transaction() as session:
        batch = find_batch(session, batch_id, actor)
        require_approver(actor, batch)
        if batch.status == BATCH_OPEN:
            raise StateError("该批次的文件尚未上传完毕。", "The batch is still being uploaded.", code="batch_open")
        if batch.status in (BATCH_RUNNING, BATCH_DONE):
            raise StateError("该批次已批准。", "The batch was already approved.", code="batch_decided")
        if batch.status == BATCH_PENDING:
            batch.status, batch.approver_id = BATCH_REJECTED, actor.person_id
            batch.decision_reason = check_text(reason, "reason", "不予批准的理由", 500)
            batch.decided_at = batch.finished_at = at
            record_event(
                session,
                actor=actor.name,
                action="stamp.batch.reject",
                target=f"stamp_batch:{batch.id}",
                at=at,
                township_id=batch.township_id,
                detail=batch.decision_reason,
            )
        reason = batch.decision_reason
        request_ids = _pending_request_ids(session, batch_id)
    for request_id in request_ids:
        try:
            reject_request(dep, actor, request_id, reason, at=at)
        except StateError:  # decided on its own meanwhile
            continue


def find_batch(session: Session, batch_id: int, actor: Actor) -> StampBatchRow:
    """A batch visible to ``actor`` (its township's people and the reform office)."""
    authorize(actor, Permission.STAMP_VIEW)  # who may not see any batch does not learn which ids exist
    row_id = as_id(batch_id)
    row = session.get(StampBatchRow, row_id) if row_id is not None else None
    if row is None:
        raise NotFoundError("批量用印申请不存在。", "No such stamp batch.", code="stamp_batch_not_found")
    authorize(actor, Permission.STAMP_VIEW, township_id=row.township_id)
    return row


def view_batch(session: Session, batch: StampBatchRow, *, base_url: str) -> BatchView:
    """The batch's progress, file by file (``batch`` comes from :func:`find_batch`)."""
    rows = session.execute(
        select(StampBatchItemRow, StampRequestRow.status, StampRequestRow.entry_id)
        .outerjoin(StampRequestRow, StampRequestRow.id == StampBatchItemRow.request_id)
        .where(StampBatchItemRow.batch_id == batch.id)
        .order_by(StampBatchItemRow.position)
    ).all()
    items = tuple(_item_view(item, status, entry_id, base_url) for item, status, entry_id in rows)
    count = {s: sum(1 for i in items if i.status == s) for s in (ITEM_STAMPED, ITEM_FAILED, ITEM_REJECTED)}
    return BatchView(
        id=batch.id,
        status=batch.status,
        township=batch.township.name,
        seal_code=batch.seal.code,
        item=f"{batch.item.number}. {batch.item.item.name}",
        document_type=batch.document_type,
        reason=batch.reason,
        level=batch.level,
        clerk=batch.clerk.name,
        approver=batch.approver.name if batch.approver else None,
        created_at=batch.created_at,
        decided_at=batch.decided_at,
        finished_at=batch.finished_at,
        decision_reason=batch.decision_reason,
        total=sum(1 for i in items if i.request_id is not None),
        stamped=count[ITEM_STAMPED],
        failed=count[ITEM_FAILED],
        rejected=count[ITEM_REJECTED],
        pending=sum(1 for i in items if i.status == ITEM_PENDING),
        refused=sum(1 for i in items if i.status == ITEM_REFUSED),
        items=items,
    )


def list_batches(session: Session, actor: Actor, *, status: str | None = None) -> list[StampBatchRow]:
    """Batches of the actor's township (all for the reform office), newest first."""
    authorize(actor, Permission.STAMP_VIEW)
    query = select(StampBatchRow).order_by(StampBatchRow.id.desc()).limit(200)
    townships = visible_township_ids(actor)
    if townships is not None:
        query = query.where(StampBatchRow.township_id.in_(townships))
    if status:
        query = query.where(StampBatchRow.status == status)
    return list(session.scalars(query))


def _pending_request_ids(session: Session, batch_id: int) -> list[int]:
    return list(
        session.scalars(
            select(StampRequestRow.id)
            .join(StampBatchItemRow, StampBatchItemRow.request_id == StampRequestRow.id)
            .where(StampBatchItemRow.batch_id == batch_id, StampRequestRow.status == PENDING)
            .order_by(StampBatchItemRow.position)
        )
    )


def _item_view(item: StampBatchItemRow, status: str | None, entry_id: str | None, base_url: str) -> BatchItemView:
    error = BatchItemError(item.error_code, item.error_zh, item.error_en) if item.error_code else None
    if item.request_id is None:
        state = ITEM_REFUSED
    elif status == STAMPED:
        state, error = ITEM_STAMPED, None
    elif status == REJECTED:
        state, error = ITEM_REJECTED, None
    else:
        state = ITEM_FAILED if error else ITEM_PENDING
    url = f"{base_url}/v/{entry_id}" if entry_id and state == ITEM_STAMPED else None
    return BatchItemView(
        position=item.position,
        file_name=item.file_name,
        request_id=item.request_id,
        status=state,
        entry_id=entry_id if state == ITEM_STAMPED else None,
        verify_url=url,
        error=error,
    )


def _item_at(session: Session, batch_id: int, position: int) -> StampBatchItemRow | None:
    return session.scalar(
        select(StampBatchItemRow).where(StampBatchItemRow.batch_id == batch_id, StampBatchItemRow.position == position)
    )


def _require_own_open(actor: Actor, batch: StampBatchRow) -> None:
    authorize(actor, Permission.STAMP_REQUEST, township_id=batch.township_id)
    if actor.person_id != batch.clerk_id:
        raise ForbiddenError(
            "只有提交该批次的窗口人员可以添加文件。",
            "Only the clerk who opened the batch may add files to it.",
            code="batch_not_yours",
        )
    if batch.status != BATCH_OPEN:
        raise StateError("该批次已提交，不能再添加文件。", "The batch was already submitted.", code="batch_closed")


def _file_name(name: str, position: int) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    clean = "".join(ch for ch in base if ch.isprintable())
    return clean[:255] or f"file-{position}.pdf"


def _title_of(file_name: str, position: int) -> str:
    stem = _file_name(file_name, position).rsplit(".", 1)[0].strip()
    return stem[:200] or f"第 {position} 份"
