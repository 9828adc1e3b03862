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

The use cases take a :class:`~esign.deployment.Deployment` and plain values and return frozen views
(:mod:`esign.workflow.batch_views`); each decision owns its transaction and records its refusal in it
(:func:`esign.registry.audited_transaction`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from esign.deployment import Deployment
from esign.errors import EsignError, ForbiddenError, NotFoundError, StateError
from esign.registry import (
    REFUSALS,
    Actor,
    Permission,
    audited_step,
    audited_transaction,
    authorize,
    record_event,
    visible_township_ids,
)
from esign.stamp import placement_from_json
from esign.text import REASON_LIMIT, as_id
from esign.workflow.batch_views import (
    BATCH_DONE,
    BATCH_OPEN,
    BATCH_PENDING,
    BATCH_REJECTED,
    BATCH_RUNNING,
    BatchSummary,
    BatchView,
    batch_summary,
    batch_view,
)
from esign.workflow.commit import PENDING, blobs_of
from esign.workflow.models import StampBatchItemRow, StampBatchRow, StampRequestRow
from esign.workflow.requests import record_request, reject_request
from esign.workflow.rules import check_text, require_approver
from esign.workflow.spec import StampRequestSpec, check_key, check_spec

__all__ = [
    "MAX_BATCH_FILES",
    "add_file",
    "add_refused",
    "approve_batch",
    "close_batch",
    "list_batches",
    "open_batch",
    "reject_batch",
    "show_batch",
]

#: Most files one batch may hold.
MAX_BATCH_FILES = 100

_KEY_LIMIT = 100  # the per-file request keys append "/<position>" and must stay within 128


def open_batch(dep: Deployment, actor: Actor, spec: StampRequestSpec, *, at: dt.datetime) -> BatchView:
    """Check the shared metadata (:func:`esign.workflow.spec.check_spec`) and record an ``open`` batch;
    idempotent per key (the same batch again, as it stands).

    ``spec.password`` is not supported (one password for several files is not a thing); encrypted
    files are refused one by one. One transaction, which records a refusal.
    """
    with audited_transaction(dep.transaction, actor, "stamp.batch.request", f"seal:{spec.seal}", at=at) as session:
        key = check_key(spec.idempotency_key.strip() or secrets.token_hex(16), limit=_KEY_LIMIT)
        if actor.person_id is not None:
            existing = session.scalar(
                select(StampBatchRow).where(
                    StampBatchRow.clerk_id == actor.person_id, StampBatchRow.idempotency_key == key
                )
            )
            if existing is not None:
                return batch_view(session, existing, base_url=dep.settings.base_url)
        checked = check_spec(session, actor, spec, per_file_titles=True)
        row = StampBatchRow(
            idempotency_key=key,
            clerk_id=actor.person_id,
            **checked.columns(spec),
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
            township_id=row.township_id,
            detail=row.reason,
        )
        return batch_view(session, row, base_url=dep.settings.base_url)


def add_file(
    dep: Deployment,
    actor: Actor,
    batch_id: int,
    position: int,
    file_name: str,
    data: bytes,
    *,
    at: dt.datetime,
    key: str = "",
    title: str = "",
) -> None:
    """Add the file at ``position`` of an open batch: it becomes a stamp request, or is kept as refused
    with the error the request's checks gave (:func:`esign.workflow.requests.record_request`).

    ``key`` is the request's idempotency key, by default the batch's key and the position; a key that
    names a request the clerk already has makes the file that request (stamped or not), as for a
    single request. ``title`` is the document's, by default the batch's, else the file's name.
    A position that is already there (a retried upload) is left as it is. Only the batch's clerk adds.
    One transaction: the file's request, or its refusal (recorded), and its place in the batch.
    """
    blobs = blobs_of(dep)
    digest = hashlib.sha256(data).hexdigest()
    fresh = not blobs.exists(digest)
    request_id: int | None = None
    try:
        with dep.transaction() as session:
            batch = _find_batch(session, batch_id, actor)
            _require_own_open(actor, batch)
            if _item_at(session, batch_id, position) is not None:
                return
            spec = _file_spec(batch, position, file_name, key=key, title=title)
            error: EsignError | None = None
            try:
                with audited_step(session, actor, "stamp.request", f"seal:{spec.seal}", at=at):
                    request_id = record_request(session, dep, actor, data, spec, at=at).id
            except EsignError as exc:  # recorded; reported for this file and the others go on
                error = exc
            session.add(_item(batch_id, position, file_name, request_id, error))
    except IntegrityError:  # a concurrent retry of the same upload recorded this position first
        with dep.transaction() as session:
            if _item_at(session, batch_id, position) is None:
                raise
        return
    except BaseException:
        request_id = None
        raise
    finally:
        if fresh and request_id is None:  # no request keeps the document
            blobs.discard(digest)


def add_refused(dep: Deployment, actor: Actor, batch_id: int, position: int, file_name: str, error: EsignError) -> None:
    """Keep the file at ``position`` as refused before it could be read (too large, empty)."""
    try:
        with dep.transaction() as session:
            batch = _find_batch(session, batch_id, actor)
            _require_own_open(actor, batch)
            if _item_at(session, batch_id, position) is None:
                session.add(_item(batch_id, position, file_name, None, error))
    except IntegrityError:  # a concurrent retry of the same upload recorded this position first
        with dep.transaction() as session:
            if _item_at(session, batch_id, position) is None:
                raise


def close_batch(dep: Deployment, actor: Actor, batch_id: int, *, at: dt.datetime) -> None:
    """All files are in: the batch waits for an approver (or is done when no file was accepted)."""
    with dep.transaction() as session:
        batch = _find_batch(session, batch_id, actor)
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
    One transaction, which records a refusal.
    """
    with audited_transaction(
        dep.transaction, actor, "stamp.batch.approve", f"stamp_batch:{batch_id}", at=at
    ) as session:
        authorize(actor, Permission.STAMP_APPROVE)
        batch = _find_batch(session, batch_id, actor)
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
    """Refuse the whole batch before it was approved: every pending request is rejected with ``reason``
    (each by :func:`esign.workflow.requests.reject_request`, in its own transaction).

    Rejecting a rejected batch again finishes rejecting requests that an interruption left pending.
    The batch's own decision is one transaction, which records a refusal.
    """
    with audited_transaction(dep.transaction, actor, "stamp.batch.reject", f"stamp_batch:{batch_id}", at=at) as session:
        authorize(actor, Permission.STAMP_APPROVE)
        batch = _find_batch(session, batch_id, actor)
        require_approver(actor, batch)
        if batch.status == BATCH_OPEN:
            raise StateError("该批次的文件尚未上传完毕。", "The batch is still being uploaded.", code="batch_open")
        if batch.status in (BATCH_RUNNING, BATCH_DONE):
            raise StateError("该批次已批准。", "The batch was already approved.", code="batch_decided")
        if batch.status == BATCH_PENDING:
            batch.status, batch.approver_id = BATCH_REJECTED, actor.person_id
            batch.decision_reason = check_text(reason, "reason", "不予批准的理由", REASON_LIMIT)
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


def show_batch(dep: Deployment, actor: Actor, batch_id: int, *, at: dt.datetime) -> BatchView:
    """A batch visible to ``actor`` (its township's people and the reform office) with its progress,
    file by file; a refused look (another township) is recorded."""
    target = f"stamp_batch:{batch_id}"
    with audited_transaction(dep.transaction, actor, "stamp.view", target, at=at, refusals=REFUSALS) as session:
        return batch_view(session, _find_batch(session, batch_id, actor), base_url=dep.settings.base_url)


def list_batches(
    dep: Deployment, actor: Actor, *, at: dt.datetime, status: str | None = None, limit: int = 200
) -> list[BatchSummary]:
    """Batches of the actor's township (all for the reform office), newest first, at most ``limit``."""
    with audited_transaction(
        dep.transaction, actor, "stamp.view", "stamp_batches", at=at, refusals=REFUSALS
    ) as session:
        authorize(actor, Permission.STAMP_VIEW)
        query = select(StampBatchRow).order_by(StampBatchRow.id.desc()).limit(min(limit, 200))
        townships = visible_township_ids(actor)
        if townships is not None:
            query = query.where(StampBatchRow.township_id.in_(townships))
        if status:
            query = query.where(StampBatchRow.status == status)
        base_url = dep.settings.base_url
        return [batch_summary(session, row, base_url=base_url) for row in session.scalars(query)]


def _find_batch(session: Session, batch_id: int, actor: Actor) -> StampBatchRow:
    """A batch visible to ``actor`` (its township's people and the reform office)."""
    authorize(actor, Permission.STAMP_VIEW)  # who may not see any batch does not learn which ids exist
    row_id = as_id(batch_id)
    row = session.get(StampBatchRow, row_id) if row_id is not None else None
    if row is None:
        raise NotFoundError("批量用印申请不存在。", "No such stamp batch.", code="stamp_batch_not_found")
    authorize(actor, Permission.STAMP_VIEW, township_id=row.township_id)
    return row


def _file_spec(batch: StampBatchRow, position: int, file_name: str, *, key: str, title: str) -> StampRequestSpec:
    """The request of the file at ``position`` of ``batch``."""
    return StampRequestSpec(
        seal=batch.seal.code,
        item=str(batch.item.number),
        reason=batch.reason,
        document_type=batch.document_type,
        # each document is told apart by its file name (受理通知书 ×100 says nothing)
        title=title.strip() or batch.document_title.strip() or _title_of(file_name, position),
        placement=placement_from_json(batch.placement),
        level=batch.level,
        idempotency_key=key or f"{batch.idempotency_key}/{position}",  # a retried upload finds its request again
        certify=batch.certify,
    )


def _item(
    batch_id: int, position: int, file_name: str, request_id: int | None, error: EsignError | None
) -> StampBatchItemRow:
    return StampBatchItemRow(
        batch_id=batch_id,
        position=position,
        file_name=_file_name(file_name, position),
        request_id=request_id,
        error_code=error.code if error else "",
        error_zh=error.message_zh if error else "",
        error_en=error.message_en if error else "",
    )


def _pending_request_ids(session: Session, batch_id: int) -> list[int]:
    return list(
        session.scalars(
            select(StampRequestRow.id)
            .join(StampBatchItemRow, StampBatchItemRow.request_id == StampRequestRow.id)
            .where(StampBatchItemRow.batch_id == batch_id, StampRequestRow.status == PENDING)
            .order_by(StampBatchItemRow.position)
        )
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
