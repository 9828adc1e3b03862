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
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from esign.deployment import Deployment
from esign.errors import ConflictError, EsignError, ForbiddenError, InputError, NotFoundError, StateError
from esign.feed.events import record_stamp_event
from esign.ledger import (
    CheckpointPolicy,
    DocumentType,
    LedgerEntry,
    SqlLedger,
    append,
    make_checkpoint,
    maybe_checkpoint,
    new_entry_id,
)
from esign.registry import (
    Actor,
    Permission,
    Role,
    SealStatus,
    authorize,
    find_seal,
    record_event,
    record_refusal,
    resolve_item,
)
from esign.registry.models import Person, Seal
from esign.registry.townships import organisation_name
from esign.stamp.inputs import inspect_pdf
from esign.stamp.plan import default_keywords, placement_from_dict, plan_stamp
from esign.stamp.signing import PadesLevel, SignatureSpec, sign_pdf
from esign.workflow.blobs import BlobStore
from esign.workflow.engine import StampEngine
from esign.workflow.models import StampRequestRow

__all__ = [
    "StampOutcome",
    "StampRequestSpec",
    "approve_request",
    "checkpoint_if_due",
    "find_request",
    "list_requests",
    "preview_request",
    "reject_request",
    "stamp_directly",
    "submit_request",
]

PENDING, STAMPED, REJECTED = "pending", "stamped", "rejected"

_log = logging.getLogger(__name__)


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


@dataclass(frozen=True)
class StampOutcome:
    """A finished stamp."""

    #: The request's id.
    request_id: int
    #: The register entry id (printed in the QR code).
    entry_id: str
    #: SHA-256 of the stamped file.
    output_sha256: str
    #: Trusted signing time.
    signed_at: dt.datetime
    #: The URL in the QR code.
    verify_url: str


def _audit_refusal(
    dep: Deployment, actor: Actor, action: str, target: str, exc: EsignError, *, at: dt.datetime
) -> None:
    """Record a refused stamping attempt in its own transaction (the refused one rolled back)."""
    if exc.audited:
        return
    try:
        with dep.transaction() as session:
            record_refusal(
                session, actor=actor.name, action=action, target=target, error=exc, at=at, township_id=actor.township_id
            )
        exc.audited = True
    except Exception:  # the refusal itself must still reach the caller
        _log.exception("could not record a refused stamping attempt")


def submit_request(
    dep: Deployment, actor: Actor, data: bytes, spec: StampRequestSpec, *, at: dt.datetime
) -> StampRequestRow:
    """Record a clerk's request (the document is checked and kept); idempotent per key.

    Every refusal is recorded as an audit event.
    """
    try:
        return _submit(dep, actor, data, spec, at=at)
    except EsignError as exc:
        _audit_refusal(dep, actor, "stamp.request", f"seal:{spec.seal}", exc, at=at)
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
    """Approve and stamp; a request that was already stamped returns its outcome again. Refusals are audited."""
    try:
        return _approve(dep, engine, actor, request_id, at=at, password=password)
    except EsignError as exc:
        _audit_refusal(dep, actor, "stamp.approve", f"stamp_request:{request_id}", exc, at=at)
        raise


def reject_request(dep: Deployment, actor: Actor, request_id: int, reason: str, *, at: dt.datetime) -> StampRequestRow:
    """The approver refuses; nothing is stamped. Refusals of the rejection itself are audited."""
    try:
        return _reject(dep, actor, request_id, reason, at=at)
    except EsignError as exc:
        _audit_refusal(dep, actor, "stamp.reject", f"stamp_request:{request_id}", exc, at=at)
        raise


def _blobs(dep: Deployment) -> BlobStore:
    return BlobStore(dep.settings.home / "documents")


def _check_text(value: str, field_name: str, zh: str, limit: int) -> str:
    value = value.strip()
    if not value:
        raise InputError(
            f"必须填写{zh}。", f"{field_name} is required.", code=f"{field_name}_required", field=field_name
        )
    if len(value) > limit:
        raise InputError(f"{zh}过长。", f"{field_name} is too long.", field=field_name)
    return value


def _require_active(seal: Seal) -> None:
    if seal.status != SealStatus.ACTIVE.value:
        raise ForbiddenError(
            f"印章“{seal.name}”当前状态为“{SealStatus(seal.status).zh}”，不能用印。",
            f"The seal is {seal.status}; only an active seal can stamp.",
            code="seal_not_active",
        )


def _require_clerk(actor: Actor, seal: Seal) -> None:
    authorize(actor, Permission.STAMP_REQUEST, township_id=seal.township_id)


def _require_approver(actor: Actor, row: StampRequestRow) -> None:
    authorize(actor, Permission.STAMP_APPROVE, township_id=row.township_id)
    if actor.person_id == row.clerk_id:
        raise ForbiddenError(
            "批准人不能与使用人为同一人。",
            "The approver must not be the person who asked to stamp.",
            code="approver_is_user",
        )


def _submit(dep: Deployment, actor: Actor, data: bytes, spec: StampRequestSpec, *, at: dt.datetime) -> StampRequestRow:
    """Record a clerk's request (the document is checked and kept); idempotent per key."""
    key = spec.idempotency_key.strip() or secrets.token_hex(16)
    if len(key) > 128:
        raise InputError("幂等键过长。", "Idempotency key too long.", field="idempotency_key")
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
        _require_clerk(actor, seal)
        _require_active(seal)
        item = resolve_item(session, seal.township, spec.item)
        reason = _check_text(spec.reason, "reason", "事由", 500)
        title = _check_text(spec.title or DocumentType(spec.document_type).value, "title", "文书标题", 200)
        doc_type = _document_type(spec.document_type)
        level = _level(spec.level)
        info = inspect_pdf(data, password=spec.password, max_bytes=dep.settings.max_upload_bytes)
        placement_from_dict(spec.placement)  # refuses a malformed placement before anything is kept
        digest = _blobs(dep).put(data)
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
            pages=info.page_count,
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


def _document_type(value: str) -> DocumentType:
    try:
        return DocumentType(value)
    except ValueError:
        raise InputError(
            f"未知的文书类型“{value}”，可选：{'、'.join(t.value for t in DocumentType)}。",
            f"Unknown document type {value!r}.",
            code="bad_document_type",
            field="document_type",
        ) from None


def _level(value: str) -> PadesLevel:
    try:
        return PadesLevel(value.upper())
    except ValueError:
        raise InputError(
            f"未知的签名级别“{value}”，可选：B-B、B-T、B-LT、B-LTA。",
            f"Unknown PAdES level {value!r}.",
            code="bad_level",
            field="level",
        ) from None


def find_request(session: Session, request_id: int, actor: Actor) -> StampRequestRow:
    """A request visible to ``actor`` (its township's people and the reform office)."""
    row = session.get(StampRequestRow, request_id)
    if row is None:
        raise NotFoundError("用印申请不存在。", "No such stamp request.", code="stamp_request_not_found")
    authorize(actor, Permission.STAMP_VIEW, township_id=row.township_id)
    return row


def list_requests(session: Session, actor: Actor, *, status: str | None = None) -> list[StampRequestRow]:
    """Requests of the actor's township (all for the reform office), newest first."""
    authorize(actor, Permission.STAMP_VIEW)
    query = select(StampRequestRow).order_by(StampRequestRow.id.desc()).limit(500)
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
        _require_approver(actor, row)
        if row.status != PENDING:
            raise StateError("该申请已处理。", "The request was already decided.", code="request_decided")
        row.status = REJECTED
        row.approver_id = actor.person_id
        row.decision_reason = _check_text(reason, "reason", "不予批准的理由", 500)
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


def _outcome(dep: Deployment, row: StampRequestRow) -> StampOutcome:
    assert row.entry_id and row.output_sha256 and row.signed_at
    return StampOutcome(row.id, row.entry_id, row.output_sha256, row.signed_at, _verify_url(dep, row.entry_id))


def _verify_url(dep: Deployment, entry_id: str) -> str:
    return f"{dep.settings.base_url}/v/{entry_id}"


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
            return _outcome(dep, row)
        _require_approver(actor, row)
        if row.status != PENDING:
            raise StateError("该申请已处理。", "The request was already decided.", code="request_decided")
        _require_active(row.seal)
        seal, item = row.seal, row.item
        approver = session.get(Person, actor.person_id)
        assert approver is not None
        job = _Job.of(row, seal, item_name=item.item.name, item_number=str(item.number), approver=approver.name)
    data = _blobs(dep).get(job.input_sha256)
    return _stamp_and_commit(
        dep, engine, job, data, at=at, actor_name=actor.name, approver_id=actor.person_id, password=password
    )


@dataclass(frozen=True)
class _Job:
    request_id: int | None
    seal: Seal
    township_id: int
    township_name: str
    item_name: str
    item_number: str
    document_type: str
    title: str
    reason: str
    user: str
    approver: str
    placement: dict[str, Any]
    level: PadesLevel
    input_sha256: str
    location: str
    organisation: str
    certify: bool

    @classmethod
    def of(cls, row: StampRequestRow, seal: Seal, *, item_name: str, item_number: str, approver: str) -> _Job:
        return cls(
            request_id=row.id,
            seal=seal,
            township_id=row.township_id,
            township_name=row.township.name,
            item_name=item_name,
            item_number=item_number,
            document_type=row.document_type,
            title=row.document_title,
            reason=row.reason,
            user=row.clerk.name,
            approver=approver,
            placement=json.loads(row.placement),
            level=PadesLevel(row.level),
            input_sha256=row.input_sha256,
            location=row.township.address or f"{row.township.name}便民服务中心",
            organisation=organisation_name(row.township),
            certify=row.certify,
        )


def _stamp_and_commit(
    dep: Deployment,
    engine: StampEngine,
    job: _Job,
    data: bytes,
    *,
    at: dt.datetime,
    actor_name: str,
    approver_id: int | None,
    password: str | None = None,
) -> StampOutcome:
    entry_id = new_entry_id()
    url = _verify_url(dep, entry_id)
    output, signed_at, count = _sign(dep, engine, job, data, url, at=at, password=password)
    blobs = _blobs(dep)
    output_sha = blobs.put(output)
    try:
        with dep.transaction() as session:
            seal = session.get(Seal, job.seal.id)
            assert seal is not None
            _require_active(seal)  # revoked or suspended while we were signing: nothing is recorded
            row = session.get(StampRequestRow, job.request_id) if job.request_id is not None else None
            if row is not None and row.status != PENDING:
                raise StateError("该申请已处理。", "The request was already decided.", code="request_decided")
            entry = LedgerEntry(
                entry_id=entry_id,
                township_id=str(job.township_id),
                township_name=job.township_name,
                seal_id=str(seal.id),
                cert_serial=(seal.cert_serial or "0").lstrip("0") or "0",
                item_number=job.item_number,
                item_name=job.item_name,
                document_type=DocumentType(job.document_type),
                document_title=job.title,
                reason=job.reason,
                user=job.user,
                approver=job.approver,
                count=count,
                input_sha256=hashlib.sha256(data).hexdigest(),
                output_sha256=output_sha,
                signed_at=signed_at,
            )
            append(session, entry, at=at)
            record_stamp_event(session, entry, at=at, verify_url=url)  # 审管联动 outbox, same transaction
            if row is not None:
                row.status, row.entry_id, row.output_sha256 = STAMPED, entry_id, output_sha
                row.signed_at, row.decided_at, row.approver_id = signed_at, at, approver_id
            record_event(
                session,
                actor=actor_name,
                action="stamp.apply",
                target=f"entry:{entry_id}",
                at=at,
                township_id=job.township_id,
                detail=job.title,
            )
    except BaseException:
        blobs.discard(output_sha)
        raise
    checkpoint_if_due(dep, at=at)
    return StampOutcome(job.request_id or 0, entry_id, output_sha, signed_at, url)


def checkpoint_if_due(dep: Deployment, *, at: dt.datetime, force: bool = False) -> None:
    """Sign a checkpoint of the register when the policy says so (every 100 entries or 5 minutes).

    Runs in a transaction of its own after a stamp committed; a failure here never undoes a stamp.
    """
    try:
        with dep.transaction() as session:
            ledger = SqlLedger(session)
            if force:
                make_checkpoint(ledger, signer=dep.ledger_signer, at=at, force=True)
            else:
                maybe_checkpoint(ledger, signer=dep.ledger_signer, policy=CheckpointPolicy(), at=at)
    except EsignError:
        _log.exception("could not checkpoint the usage register")


def _sign(
    dep: Deployment,
    engine: StampEngine,
    job: _Job,
    data: bytes,
    url: str,
    *,
    at: dt.datetime,
    password: str | None,
) -> tuple[bytes, dt.datetime, int]:
    material = engine.material(job.seal)
    placed = plan_stamp(
        data,
        placement_from_dict(job.placement, default_text=default_keywords(job.township_name, job.organisation)),
        seal=material.seal,
        qr=lambda: engine.qr(url),
        password=password,
    )
    spec = SignatureSpec(
        field_name=placed.field_name or f"esign-{job.seal.code}-{secrets.token_hex(4)}",
        existing_field=placed.field_name is not None,
        widget=placed.widget,
        extra=placed.extra,
        level=job.level,
        certify=job.certify,
        reason=f"{job.item_name}：{job.reason}",
        location=job.location,
        name=job.seal.name,
    )
    validation = engine.validation(job.seal, at=at) if job.level.long_term else None
    timestamper = engine.timestamper() if job.level.timestamped else None
    output = sign_pdf(
        data, material.credentials, spec, timestamper=timestamper, validation=validation, password=password
    )
    signed_at = engine.take_last_timestamp_time() or at
    return output, signed_at, placed.impressions


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
        _audit_refusal(dep, boss, "stamp.approve", f"stamp_request:{row.id}", exc, at=at)
        raise exc
    return approve_request(dep, engine, boss, row.id, at=at, password=spec.password)


def preview_request(dep: Deployment, engine: StampEngine, actor: Actor, request_id: int, *, dpi: int = 60) -> bytes:
    """A PNG of the page that carries the seal: drawn where it will go (pending), or as stamped."""
    from esign.stamp.preview import preview_png, render_page

    with dep.transaction() as session:
        row = find_request(session, request_id, actor)
        seal = row.seal
        placement = json.loads(row.placement)
        township_name, organisation = row.township.name, organisation_name(row.township)
        input_sha, output_sha = row.input_sha256, row.output_sha256
    blobs = _blobs(dep)
    data = blobs.get(input_sha)
    material = engine.material(seal)
    plan = plan_stamp(
        data,
        placement_from_dict(placement, default_text=default_keywords(township_name, organisation)),
        seal=material.seal,
        qr=lambda: engine.qr(f"{dep.settings.base_url}/v/preview"),
    )
    if output_sha is not None:  # stamping adds no pages: the same page of the stamped file
        return render_page(blobs.get(output_sha), plan.widget.page_index, dpi=dpi)
    return preview_png(data, plan, dpi=dpi)
