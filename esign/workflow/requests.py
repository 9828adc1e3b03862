"""Stamp requests: a clerk submits, an approver of the same township approves, the seal is applied.

Rules checked before anything is signed (新县 and the issue's rules): the seal is active; the
user is a clerk of that seal's township; the item is in the township's authority list; an
approver of the same township, who is not the user, approved; the document is a readable PDF
within the size limit. The stamped file is produced first, then the register entry and the
request's outcome commit in one transaction; if anything fails nothing is recorded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from esign.appearance import Artwork, SealSpec
from esign.deployment import Deployment
from esign.errors import ConflictError, EsignError, ForbiddenError, InputError, NotFoundError, StateError
from esign.ledger import (
    DocumentType,
)
from esign.registry import (
    Actor,
    Permission,
    Role,
    authorize,
    find_seal,
    record_event,
    resolve_item,
)
from esign.registry.models import Person, Seal
from esign.registry.townships import organisation_name
from esign.stamp.inputs import PdfInfo, inspect_pdf, require_stampable
from esign.stamp.placement import Placement, check_budget, resolve
from esign.stamp.plan import default_keywords, placement_from_dict, plan_stamp
from esign.text import REASON_LIMIT, TITLE_LIMIT, as_id, bad_character
from esign.verify import PadesLevel
from esign.workflow.commit import (
    PENDING,
    REJECTED,
    STAMPED,
    StampJob,
    StampOutcome,
    blobs_of,
    checkpoint_if_due,
    outcome_of,
    stamp_and_commit,
)
from esign.workflow.engine import StampEngine
from esign.workflow.failures import ends_request, record_failure
from esign.workflow.models import StampBatchItemRow, StampRequestRow
from esign.workflow.ofd_job import check_ofd_request, is_ofd
from esign.workflow.rules import (
    audit_refusal,
    check_text,
    document_type,
    pades_level,
    require_active,
    require_approver,
    require_clerk,
)

__all__ = [
    "StampOutcome",
    "StampRequestSpec",
    "approve_request",
    "check_placement",
    "checkpoint_if_due",
    "find_request",
    "list_requests",
    "placement_of",
    "preview_document",
    "preview_request",
    "reject_request",
    "stamp_directly",
    "submit_request",
]


@dataclass(frozen=True)
class StampRequestSpec:
    """What the clerk asks for."""

    #: The seal: id, seal code or township name.
    seal: str
    #: The catalog item: its number in the township's authority list, or its name.
    item: str
    #: 事由.
    reason: str
    #: Document type (受理通知书, 补正材料告知书, 准予许可决定书 …).
    document_type: str = DocumentType.ACCEPTANCE_NOTICE.value
    #: Document title (no applicant personal data).
    title: str = ""
    #: Placement as a dict: {"mode": "position", "page": -1, "x_mm": .., "y_mm": ..} |
    #: {"mode": "keyword", "text": .., "offset_x_mm": .., "offset_y_mm": ..} | {"mode": "field", "name": ..},
    #: plus optional "riding_seal": bool and "also_on_pages": [..].
    placement: dict[str, Any] = field(default_factory=lambda: {"mode": "keyword"})
    #: PAdES level.
    level: str = PadesLevel.B_LT.value
    #: Retrying with the same key returns the same request instead of a second one.
    idempotency_key: str = ""
    #: Password of an encrypted input.
    password: str | None = None
    #: Certify the document (DocMDP): later changes other than form filling and signatures show as such.
    certify: bool = False


def submit_request(
    dep: Deployment, actor: Actor, data: bytes, spec: StampRequestSpec, *, at: dt.datetime
) -> StampRequestRow:
    """Record a clerk's request (the document is checked and kept); idempotent per key.

    Every refusal is recorded as an audit event.
    """
    try:
        return _submit(dep, actor, data, spec, at=at)
    except EsignError as exc:
        audit_refusal(dep, actor, "stamp.request", f"seal:{spec.seal}", exc, at=at)
        raise


def approve_request(
    dep: Deployment,
    engine: StampEngine,
    actor: Actor,
    request_id: int,
    *,
    at: dt.datetime,
    password: str | None = None,
) -> StampOutcome:
    """Approve and stamp; a request that was already stamped returns its outcome again. Refusals are audited;
    one that shows the request can never be stamped (:mod:`esign.workflow.failures`) ends it as ``failed``."""
    try:
        return _approve(dep, engine, actor, request_id, at=at, password=password)
    except EsignError as exc:
        audit_refusal(dep, actor, "stamp.approve", f"stamp_request:{request_id}", exc, at=at)
        if ends_request(exc):
            record_failure(dep, actor, request_id, exc, at=at)
        raise


def reject_request(dep: Deployment, actor: Actor, request_id: int, reason: str, *, at: dt.datetime) -> StampRequestRow:
    """The approver refuses; nothing is stamped. Refusals of the rejection itself are audited."""
    try:
        return _reject(dep, actor, request_id, reason, at=at)
    except EsignError as exc:
        audit_refusal(dep, actor, "stamp.reject", f"stamp_request:{request_id}", exc, at=at)
        raise


def _submit(dep: Deployment, actor: Actor, data: bytes, spec: StampRequestSpec, *, at: dt.datetime) -> StampRequestRow:
    """Record a clerk's request (the document is checked and kept); idempotent per key."""
    key = spec.idempotency_key.strip() or secrets.token_hex(16)
    if len(key) > 128 or bad_character(key) is not None:
        raise InputError("幂等键过长。", "Idempotency key too long.", field="idempotency_key")
    blobs = blobs_of(dep)
    fresh = not blobs.exists(hashlib.sha256(data).hexdigest())
    try:
        with dep.transaction() as session:
            if actor.person_id is not None:
                existing = session.scalar(
                    select(StampRequestRow).where(
                        StampRequestRow.clerk_id == actor.person_id, StampRequestRow.idempotency_key == key
                    )
                )
                if existing is not None:
                    if existing.input_sha256 != hashlib.sha256(data).hexdigest():
                        raise ConflictError(
                            "该幂等键已用于另一份文件。",
                            "This idempotency key was used for another document.",
                            code="idempotency_conflict",
                        )
                    return existing
            seal = find_seal(session, spec.seal)
            require_clerk(actor, seal)
            require_active(seal)
            item = resolve_item(session, seal.township, spec.item)
            reason = check_text(spec.reason, "reason", "事由", REASON_LIMIT)
            doc_type = document_type(spec.document_type)
            title = check_text(spec.title or doc_type.value, "title", "文书标题", TITLE_LIMIT)
            level = pades_level(spec.level)
            if is_ofd(data):  # by content, whatever the file is called
                page_count = check_ofd_request(dep, seal, data, spec.placement)
            else:
                info = inspect_pdf(data, password=spec.password, max_bytes=dep.settings.max_upload_bytes)
                require_stampable(info)
                # a malformed placement, or one past the document's budget, is refused before anything is kept
                check_budget(info, placement_from_dict(spec.placement))
                # and so is one this document does not allow (no keyword, a scan without text, a page it does
                # not have): the clerk learns why now, not after the approval
                check_placement(info, data, seal, spec.placement, password=spec.password)
                page_count = info.page_count
            digest = blobs.put(data, durable=False)
            row = StampRequestRow(
                idempotency_key=key,
                township_id=seal.township_id,
                seal_id=seal.id,
                authority_item_id=item.id,
                clerk_id=actor.person_id,
                document_type=doc_type.value,
                document_title=title,
                reason=reason,
                placement=json.dumps(spec.placement, ensure_ascii=False, sort_keys=True),
                level=level.value,
                certify=spec.certify,
                pages=page_count,
                input_sha256=digest,
                status=PENDING,
                created_at=at,
            )
            session.add(row)
            session.flush()
            record_event(
                session,
                actor=actor.name,
                action="stamp.request",
                target=f"stamp_request:{row.id}",
                at=at,
                township_id=seal.township_id,
                detail=title,
            )
            return row
    except BaseException:
        if fresh:  # the request was not recorded: do not keep its file either
            blobs.discard(hashlib.sha256(data).hexdigest())
        raise


def placement_of(seal: Seal, placement: dict[str, Any]) -> Placement:
    """``placement`` (the request's dict) with the seal's township's default keywords."""
    township = seal.township
    return placement_from_dict(placement, default_text=default_keywords(township.name, organisation_name(township)))


def check_placement(
    info: PdfInfo, data: bytes, seal: Seal, placement: dict[str, Any], *, password: str | None = None
) -> None:
    """Raise the placement's error (``keyword_not_found``, ``page_out_of_range`` …) unless the seal
    can go where ``placement`` says on this document."""
    diameter = SealSpec(name=organisation_name(seal.township), title=seal.title, code=seal.code).diameter_mm
    resolve(info, placement_of(seal, placement), seal_size_mm=diameter, data=data, password=password)


def find_request(session: Session, request_id: int, actor: Actor) -> StampRequestRow:
    """A request visible to ``actor`` (its township's people and the reform office)."""
    row_id = as_id(request_id)
    row = session.get(StampRequestRow, row_id) if row_id is not None else None
    if row is None:
        raise NotFoundError("用印申请不存在。", "No such stamp request.", code="stamp_request_not_found")
    authorize(actor, Permission.STAMP_VIEW, township_id=row.township_id)
    return row


def list_requests(
    session: Session, actor: Actor, *, status: str | None = None, single_only: bool = False
) -> list[StampRequestRow]:
    """Requests of the actor's township (all for the reform office), newest first; ``single_only``
    leaves out the documents of batches (listed, and approved, with their batch)."""
    authorize(actor, Permission.STAMP_VIEW)
    query = select(StampRequestRow).order_by(StampRequestRow.id.desc()).limit(500)
    if single_only:
        batched = select(StampBatchItemRow.id).where(StampBatchItemRow.request_id == StampRequestRow.id)
        query = query.where(~batched.exists())
    if actor.role is not None and actor.role.township_bound:
        query = query.where(StampRequestRow.township_id == actor.township_id)
    if status:
        query = query.where(StampRequestRow.status == status)
    return list(session.scalars(query))


def _reject(dep: Deployment, actor: Actor, request_id: int, reason: str, *, at: dt.datetime) -> StampRequestRow:
    """The approver refuses; nothing is stamped."""
    authorize(actor, Permission.STAMP_APPROVE)
    with dep.transaction() as session:
        row = find_request(session, request_id, actor)
        require_approver(actor, row)
        if row.status != PENDING:
            raise StateError("该申请已处理。", "The request was already decided.", code="request_decided")
        row.status = REJECTED
        row.approver_id = actor.person_id
        row.decision_reason = check_text(reason, "reason", "不予批准的理由", REASON_LIMIT)
        row.decided_at = at
        record_event(
            session,
            actor=actor.name,
            action="stamp.reject",
            target=f"stamp_request:{row.id}",
            at=at,
            township_id=row.township_id,
            detail=row.decision_reason,
        )
        return row


def _approve(
    dep: Deployment,
    engine: StampEngine,
    actor: Actor,
    request_id: int,
    *,
    at: dt.datetime,
    password: str | None = None,
) -> StampOutcome:
    """Approve and stamp. A request that was already stamped returns its outcome again."""
    authorize(actor, Permission.STAMP_APPROVE)
    with dep.transaction() as session:
        row = find_request(session, request_id, actor)
        if row.status == STAMPED:
            return outcome_of(dep, row)
        require_approver(actor, row)
        if row.status != PENDING:
            raise StateError("该申请已处理。", "The request was already decided.", code="request_decided")
        require_active(row.seal)
        seal, item = row.seal, row.item
        approver = session.get(Person, actor.person_id)
        assert approver is not None
        job = StampJob.of(row, seal, item_name=item.item.name, item_number=str(item.number), approver=approver.name)
    return stamp_and_commit(
        dep, engine, job, at=at, actor_name=actor.name, approver_id=actor.person_id, password=password
    )


def stamp_directly(
    dep: Deployment,
    engine: StampEngine,
    data: bytes,
    spec: StampRequestSpec,
    *,
    user: str,
    approver: str,
    at: dt.datetime,
) -> StampOutcome:
    """The local operator's path (CLI on the server's data home): named accounts, same rules."""
    from esign.registry import find_person

    with dep.transaction() as session:
        clerk = Actor.from_person(find_person(session, user))
        boss = Actor.from_person(find_person(session, approver))
    row = submit_request(dep, clerk, data, spec, at=at)
    if boss.role is not Role.APPROVER:
        exc = ForbiddenError(f"“{approver}”不是批准人。", f"{approver!r} is not an approver.", code="approver_required")
        audit_refusal(dep, boss, "stamp.approve", f"stamp_request:{row.id}", exc, at=at)
        raise exc
    return approve_request(dep, engine, boss, row.id, at=at, password=spec.password)


def preview_request(dep: Deployment, engine: StampEngine, actor: Actor, request_id: int, *, dpi: int = 60) -> bytes:
    """A PNG of the page that carries the seal: drawn where it will go (pending), or as stamped."""
    from esign.stamp.preview import preview_png, render_page

    with dep.transaction() as session:
        row = find_request(session, request_id, actor)
        seal = row.seal
        placement = placement_of(seal, json.loads(row.placement))  # reads the township: inside the session
        input_sha, output_sha = row.input_sha256, row.output_sha256
    blobs = blobs_of(dep)
    data = blobs.get(input_sha)
    material = engine.material(seal)
    if is_ofd(data):  # a sketch of the page (the stamped OFD has the seal in the same place)
        return _ofd_preview(dep, engine, material.seal, data, placement, dpi)
    plan = plan_stamp(
        data,
        placement,
        seal=material.seal,
        qr=lambda: engine.qr(f"{dep.settings.base_url}/v/preview"),
    )
    if output_sha is not None:  # stamping adds no pages: the same page of the stamped file
        return render_page(blobs.get(output_sha), plan.widget.page_index, dpi=dpi)
    return preview_png(data, plan, dpi=dpi)


def _ofd_preview(
    dep: Deployment, engine: StampEngine, seal: Artwork, data: bytes, placement: Placement, dpi: int
) -> bytes:
    from esign.ofd.preview import ofd_preview_png

    qr = engine.qr(f"{dep.settings.base_url}/v/preview")
    return ofd_preview_png(data, placement, seal_png=seal.png(dpi=150), qr_png=qr.png(dpi=150), dpi=dpi)


def preview_document(
    dep: Deployment,
    engine: StampEngine,
    actor: Actor,
    seal_ref: str,
    data: bytes,
    placement: dict[str, Any],
    *,
    password: str | None = None,
    dpi: int = 60,
) -> bytes:
    """A PNG of where the seal and its QR code would go on ``data``, before the clerk submits it.

    The same checks as a submission (the clerk's township, a stampable PDF, a placement the document
    allows) raise the same errors; nothing is kept or recorded.
    """
    from esign.stamp.preview import preview_png

    authorize(actor, Permission.STAMP_REQUEST)
    with dep.transaction() as session:
        seal = find_seal(session, seal_ref)
        require_clerk(actor, seal)
        if is_ofd(data):
            check_ofd_request(dep, seal, data, placement)
            return _ofd_preview(dep, engine, engine.material(seal).seal, data, placement_of(seal, placement), dpi)
        info = inspect_pdf(data, password=password, max_bytes=dep.settings.max_upload_bytes)
        require_stampable(info)
        where = placement_of(seal, placement)
    material = engine.material(seal)
    plan = plan_stamp(
        data,
        where,
        seal=material.seal,
        qr=lambda: engine.qr(f"{dep.settings.base_url}/v/preview"),
        password=password,
        info=info,
    )
    return preview_png(data, plan, dpi=dpi, password=password)
