"""Stamp requests: a clerk submits, an approver of the same township approves, the seal is applied.

Rules checked before anything is signed (新县 and the issue's rules): the seal is active; the
user is a clerk of that seal's township; the item is in the township's authority list; an
approver of the same township, who is not the user, approved; the document is a readable PDF
within the size limit. The stamped file is produced first, then the register entry and the
request's outcome commit in one transaction; if anything fails nothing is recorded.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session, joinedload, lazyload
from sqlalchemy.orm.interfaces import ORMOption

from esign.appearance import Artwork, SealSpec
from esign.budget import release_free_memory
from esign.deployment import Deployment
from esign.errors import ConflictError, EsignError, ForbiddenError, InputError, NotFoundError, StateError
from esign.registry import (
    REFUSALS,
    Actor,
    Permission,
    Role,
    audited_read,
    audited_step,
    audited_transaction,
    authorize,
    find_seal,
    record_event,
    refusal_recorded,
)
from esign.registry.models import Person, Seal
from esign.registry.townships import organisation_name
from esign.stamp import AtKeyword, Placement, placement_from_json, resolve
from esign.stamp.inputs import PdfInfo, inspect_pdf, require_stampable
from esign.stamp.placement import check_budget
from esign.stamp.plan import plan_stamp
from esign.stamp.signing import ValidationMaterial
from esign.text import REASON_LIMIT, as_id
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
from esign.workflow.failures import ending
from esign.workflow.models import StampBatchItemRow, StampRequestRow
from esign.workflow.ofd_job import check_ofd_request, is_ofd
from esign.workflow.rules import check_text, require_active, require_approver, require_clerk
from esign.workflow.spec import StampRequestSpec, check_key, check_spec, township_placement
from esign.workflow.views import StampRequestView, StoredDocument, request_view, stamped_view

__all__ = [
    "StampOutcome",
    "StampRequestSpec",
    "approve_and_show",
    "approve_request",
    "check_placement",
    "checkpoint_if_due",
    "find_request",
    "get_request",
    "list_requests",
    "preview_document",
    "preview_request",
    "record_request",
    "reject_request",
    "request_document",
    "stamp_directly",
    "stamped_document",
    "submit_request",
]


def submit_request(
    dep: Deployment, actor: Actor, data: bytes, spec: StampRequestSpec, *, at: dt.datetime
) -> StampRequestView:
    """Record a clerk's request (the document is checked and kept); idempotent per key.

    One writing transaction; a refusal is recorded in it (:func:`esign.registry.audited_transaction`) and
    the document is not kept. A PDF's checks (most of the work) run before it, in a reading transaction
    (:func:`_precheck`), so that the write lock is held only to record the request.
    """
    blobs = blobs_of(dep)
    digest = hashlib.sha256(data).hexdigest()
    fresh = not blobs.exists(digest)
    try:
        checked_pdf = _precheck(dep, lambda _session: actor, data, spec)
        with audited_transaction(dep.transaction, actor, "stamp.request", f"seal:{spec.seal}", at=at) as session:
            row = record_request(session, dep, actor, data, spec, at=at, checked_pdf=checked_pdf)
            # the clerk is the actor (a repeated key finds only the actor's own request): not read again
            return request_view(row, dep.settings.base_url, clerk=actor.name)
    except BaseException:
        if fresh:  # the request was not recorded: do not keep its file either
            blobs.discard(digest)
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
    """Approve and stamp; a request that was already stamped returns its outcome again.

    Two transactions with signing between them, which holds none: the decision (the rules, and what
    signing reads: the seal's certificate and validation data; a reading transaction, unless it is
    refused or must write, see :func:`esign.registry.audited_read`), then the record
    (:func:`esign.workflow.commit.stamp_and_commit`). A refusal in either is recorded in it; one that
    shows the request can never be stamped (:mod:`esign.workflow.failures`) ends it as ``failed`` there.
    """
    return _approve(dep, engine, actor, request_id, at=at, password=password, show=False)[0]


def approve_and_show(
    dep: Deployment, engine: StampEngine, actor: Actor, request_id: int, *, at: dt.datetime
) -> tuple[StampOutcome, StampRequestView]:
    """:func:`approve_request`, and the request as the approval leaves it, without reading it again: the
    view is taken in the decision's transaction and given what the record wrote
    (:func:`esign.workflow.views.stamped_view`); a request already stamped is shown as it was read."""
    outcome, view = _approve(dep, engine, actor, request_id, at=at, password=None, show=True)
    assert view is not None
    return outcome, view


def _approve(
    dep: Deployment,
    engine: StampEngine,
    actor: Actor,
    request_id: int,
    *,
    at: dt.datetime,
    password: str | None,
    show: bool,
) -> tuple[StampOutcome, StampRequestView | None]:
    end = ending(actor, request_id, at=at)
    target = f"stamp_request:{request_id}"
    decided = audited_read(  # decided in a read, which holds off no other writer; a refusal is recorded
        dep.reading,
        dep.transaction,
        actor,
        "stamp.approve",
        target,
        lambda session: _decide(session, dep, engine, actor, request_id, at=at, show=show),
        at=at,
        on_refusal=end,
    )
    if decided.outcome is not None:
        return decided.outcome, decided.view
    assert decided.job is not None
    outcome = stamp_and_commit(
        dep,
        engine,
        decided.job,
        at=at,
        actor=actor,
        approver_id=actor.person_id,
        password=password,
        validation=decided.validation,
        on_refusal=end,
    )
    view = decided.view and stamped_view(decided.view, outcome, approver=actor.name, at=at)
    return outcome, view


def reject_request(dep: Deployment, actor: Actor, request_id: int, reason: str, *, at: dt.datetime) -> StampRequestView:
    """The approver refuses; nothing is stamped. One transaction; a refusal of the rejection itself is
    recorded in it."""
    target = f"stamp_request:{request_id}"
    with audited_transaction(dep.transaction, actor, "stamp.reject", target, at=at) as session:
        authorize(actor, Permission.STAMP_APPROVE)
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
        return request_view(row, dep.settings.base_url)


def get_request(dep: Deployment, actor: Actor, request_id: int, *, at: dt.datetime) -> StampRequestView:
    """A request visible to ``actor``; a refused look (another township) is recorded."""
    return audited_read(
        dep.reading,
        dep.transaction,
        actor,
        "stamp.view",
        f"stamp_request:{request_id}",
        lambda session: request_view(find_request(session, request_id, actor), dep.settings.base_url),
        at=at,
        refusals=REFUSALS,
    )


def list_requests(
    dep: Deployment, actor: Actor, *, at: dt.datetime, status: str | None = None, single_only: bool = False
) -> list[StampRequestView]:
    """Requests of the actor's township (all for the reform office), newest first; ``single_only``
    leaves out the documents of batches (listed, and approved, with their batch)."""
    with audited_transaction(
        dep.transaction, actor, "stamp.view", "stamp_requests", at=at, refusals=REFUSALS
    ) as session:
        rows = _list_requests(session, actor, status=status, single_only=single_only)
        return [request_view(r, dep.settings.base_url) for r in rows]


def request_document(dep: Deployment, actor: Actor, request_id: int, which: str, *, at: dt.datetime) -> StoredDocument:
    """The submitted (``which="input"``) or stamped (``"result"``) document of a request visible to
    ``actor``, to be streamed; ``not_stamped`` before the stamp."""
    target = f"stamp_request:{request_id}"
    with audited_transaction(dep.transaction, actor, "stamp.view", target, at=at, refusals=REFUSALS) as session:
        row = find_request(session, request_id, actor)
        digest = row.output_sha256 if which == "result" else row.input_sha256
    if digest is None:
        raise InputError("该申请尚未盖章。", "The request has not been stamped yet.", code="not_stamped")
    path = blobs_of(dep).path(digest)
    with path.open("rb") as fh:  # an OFD (a ZIP package) is served as one, whatever the URL says
        ofd = fh.read(4) == b"PK\x03\x04"
    return StoredDocument(path, "application/ofd" if ofd else "application/pdf", "ofd" if ofd else "pdf")


def stamped_document(dep: Deployment, outcome: StampOutcome) -> Path:
    """Where the stamped document of ``outcome`` is (the operator's copy is made from it)."""
    return blobs_of(dep).path(outcome.output_sha256)


@dataclass(frozen=True)
class _CheckedPdf:
    """What a PDF's checks found before the request's writing transaction (:func:`_precheck`)."""

    basis: tuple[object, ...]
    """What they depended on besides the bytes and the spec: the seal as read then (:func:`_pdf_basis`)."""
    pages: int
    """The document's page count."""


def _pdf_basis(seal: Seal) -> tuple[object, ...]:
    # what check_placement reads of the seal: its size (name, title, code) and its township's keywords
    township = seal.township
    return (seal.id, seal.title, seal.code, township.id, township.name, organisation_name(township))


#: From this many pages on, a PDF's checks hand the heap's free memory back once they end (about 0.1 ms).
_LARGE_DOCUMENT_PAGES = 50


def _check_pdf(data: bytes, spec: StampRequestSpec, seal: Seal, *, max_bytes: int) -> int:
    """A PDF request's document checks (readable, stampable, within the budget, the placement fits);
    its page count."""
    pages = 0
    try:
        info = inspect_pdf(data, password=spec.password, max_bytes=max_bytes)
        pages = info.page_count
        require_stampable(info)
        # a placement past the document's budget is refused before anything is kept
        check_budget(info, spec.placement)
        # and so is one this document does not allow (no keyword, a scan without text, a page it does
        # not have): the clerk learns why now, not after the approval
        check_placement(info, data, seal, spec.placement, password=spec.password)
        return info.page_count
    finally:
        # The parses left reference cycles (pyHanko's readers and the objects they resolved point at each
        # other) that only the cycle collector frees. The young generations are collected now, so that the
        # document's parse is not still held when signing parses it again: a 200-page decision's stamp
        # peaked 1.6 MB above its start with them, 1.3 MB without (bench section 2).
        gc.collect(1)
        if pages >= _LARGE_DOCUMENT_PAGES:
            # What PDFium freed (the keyword page's parse) goes back to the system before signing grows
            # beside it: the 200-page decision's stamp peaked 1.4 MB above its start, 1.2 MB with this.
            release_free_memory()


def _precheck(
    dep: Deployment, who: Callable[[Session], Actor], data: bytes, spec: StampRequestSpec
) -> _CheckedPdf | None:
    """A PDF request's checks in a reading transaction, before the writing one that records the request
    (SQLite lets one writer in at a time: parsing a document there would hold every other writer off).
    ``who`` gives the asking actor in that transaction. None for an OFD and for a request refused here:
    the writing transaction meets the refusal again and records it, as it would without this step."""
    if is_ofd(data):
        return None
    try:
        with dep.reading() as session:
            seal = check_spec(session, who(session), spec).seal
            return _CheckedPdf(_pdf_basis(seal), _check_pdf(data, spec, seal, max_bytes=dep.settings.max_upload_bytes))
    except EsignError:
        return None


def record_request(
    session: Session,
    dep: Deployment,
    actor: Actor,
    data: bytes,
    spec: StampRequestSpec,
    *,
    at: dt.datetime,
    checked_pdf: _CheckedPdf | None = None,
) -> StampRequestRow:
    """Record a clerk's request in ``session`` (the document is checked and kept); idempotent per key.

    The session-level step of :func:`submit_request`, for the use cases that record a request inside
    their own transaction (:func:`stamp_directly`, :func:`esign.workflow.batches.add_file`); the caller
    records its refusal and discards the kept document if its transaction does not commit. ``checked_pdf``
    (:func:`submit_request`'s) stands for the PDF checks when the seal is still as they read it."""
    key = check_key(spec.idempotency_key.strip() or secrets.token_hex(16), limit=128)
    blobs = blobs_of(dep)
    if actor.person_id is not None:
        # the key's request, if any: its id and document first (a fresh key, the usual case, loads nothing)
        found = session.connection().execute(_SELECT_BY_KEY, {"clerk_id_": actor.person_id, "key_": key}).first()
        if found is not None:
            if found.input_sha256 != hashlib.sha256(data).hexdigest():
                raise ConflictError(
                    "该幂等键已用于另一份文件。",
                    "This idempotency key was used for another document.",
                    code="idempotency_conflict",
                )
            existing = session.get(StampRequestRow, found.id)
            assert existing is not None
            return existing
    checked = check_spec(session, actor, spec)
    seal = checked.seal
    if is_ofd(data):  # by content, whatever the file is called
        page_count = check_ofd_request(dep, seal, data, spec.placement)
    elif checked_pdf is not None and checked_pdf.basis == _pdf_basis(seal):
        page_count = checked_pdf.pages
    else:
        page_count = _check_pdf(data, spec, seal, max_bytes=dep.settings.max_upload_bytes)
    digest = blobs.put(data, durable=False)
    row = StampRequestRow(
        idempotency_key=key,
        clerk_id=actor.person_id,
        **checked.columns(spec),
        # the rows the request names, as check_spec read them: an approval in this session finds them here
        seal=seal,
        township=seal.township,
        item=checked.item,
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
        detail=checked.title,
    )
    return row


_REQUESTS = cast(Table, StampRequestRow.__table__)
_SELECT_BY_KEY = select(_REQUESTS.c.id, _REQUESTS.c.input_sha256).where(
    _REQUESTS.c.clerk_id == bindparam("clerk_id_"), _REQUESTS.c.idempotency_key == bindparam("key_")
)


def check_placement(
    info: PdfInfo, data: bytes, seal: Seal, placement: Placement, *, password: str | None = None
) -> None:
    """Raise the placement's error (``keyword_not_found``, ``page_out_of_range`` …) unless the seal
    can go where ``placement`` says on this document (a keyword placement without text: the seal's
    township's keywords). What a keyword search finds is kept for these bytes (their SHA-256), for
    the approval's."""
    diameter = SealSpec(name=organisation_name(seal.township), title=seal.title, code=seal.code).diameter_mm
    digest = hashlib.sha256(data).hexdigest() if isinstance(placement, AtKeyword) else None
    resolve(
        info, township_placement(seal, placement), seal_size_mm=diameter, data=data, password=password, digest=digest
    )


def find_request(
    session: Session, request_id: int, actor: Actor, *, options: Sequence[ORMOption] = ()
) -> StampRequestRow:
    """A request visible to ``actor`` (its township's people and the reform office); ``options`` say
    how it is loaded when it is not in the session yet (by default with all its relationships)."""
    row_id = as_id(request_id)
    row = session.get(StampRequestRow, row_id, options=options) if row_id is not None else None
    if row is None:
        raise NotFoundError("用印申请不存在。", "No such stamp request.", code="stamp_request_not_found")
    authorize(actor, Permission.STAMP_VIEW, township_id=row.township_id)
    return row


def _list_requests(
    session: Session, actor: Actor, *, status: str | None = None, single_only: bool = False
) -> list[StampRequestRow]:
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


#: What the decision reads of a request: its seal, township and item, the clerk's name; not the approver
#: (none yet) nor the clerk's township.
_DECISION_LOADS: tuple[ORMOption, ...] = (
    lazyload(StampRequestRow.approver),
    joinedload(StampRequestRow.clerk).lazyload(Person.township),
)


@dataclass(frozen=True)
class _Decision:
    """What the approval's rules decided: the outcome of a request already stamped, or the job to sign
    and what signing reads from the database; with the request's view as read, when asked for."""

    outcome: StampOutcome | None = None
    job: StampJob | None = None
    validation: ValidationMaterial | None = None
    view: StampRequestView | None = None


def _decide(
    session: Session,
    dep: Deployment,
    engine: StampEngine,
    actor: Actor,
    request_id: int,
    *,
    at: dt.datetime,
    show: bool = False,
) -> _Decision:
    """The approval's rules in ``session`` (signing's reads: :meth:`StampEngine.prepare`)."""
    authorize(actor, Permission.STAMP_APPROVE)
    row = find_request(session, request_id, actor, options=_DECISION_LOADS)
    view = request_view(row, dep.settings.base_url) if show else None
    if row.status == STAMPED:
        return _Decision(outcome=outcome_of(dep, row), view=view)
    require_approver(actor, row)
    if row.status != PENDING:
        raise StateError("该申请已处理。", "The request was already decided.", code="request_decided")
    require_active(row.seal)
    seal, item = row.seal, row.item
    # the approver's name as the actor carries it (Actor.name: what audit events and the register record)
    job = StampJob.of(row, seal, item_name=item.item.name, item_number=str(item.number), approver=actor.name)
    return _Decision(job=job, validation=engine.prepare(seal, job.level, at=at, session=session), view=view)


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
    """The local operator's path (CLI on the server's data home): named accounts, same rules.

    The clerk's request and the approval are two steps of ONE transaction (each records its own refusal
    under its own action; a refused approval leaves the request pending, as when asked on the desk),
    which also reads what signing needs (the PDF's checks run before it, in a reading transaction, as
    for :func:`submit_request`); signing holds no transaction; the record is one more
    (:func:`esign.workflow.commit.stamp_and_commit`). In between, signing commits only what must outlive
    it: the time-stamp serial (B-T and above) and the seal's OCSP status read at the token's time
    (B-LT and above).
    """
    from esign.registry import find_person

    blobs = blobs_of(dep)
    digest = hashlib.sha256(data).hexdigest()
    fresh = not blobs.exists(digest)
    cli = Actor(person_id=None, name=user, role=None)
    request_id: int | None = None
    try:
        checked_pdf = _precheck(dep, lambda session: Actor.from_person(find_person(session, user)), data, spec)
        with audited_transaction(dep.transaction, cli, "stamp.request", f"seal:{spec.seal}", at=at) as session:
            # The people and the request are held until the approval below, which finds them (and the seal
            # and item the request names) in the session instead of reading them again.
            clerk_person, boss_person = find_person(session, user), find_person(session, approver)
            clerk, boss = Actor.from_person(clerk_person), Actor.from_person(boss_person)
            with audited_step(session, clerk, "stamp.request", f"seal:{spec.seal}", at=at):
                row = record_request(session, dep, clerk, data, spec, at=at, checked_pdf=checked_pdf)
                request_id = row.id
            end = ending(boss, request_id, at=at)
            target = f"stamp_request:{request_id}"
            with audited_step(session, boss, "stamp.approve", target, at=at, on_refusal=end):
                if boss.role is not Role.APPROVER:
                    raise ForbiddenError(
                        f"“{approver}”不是批准人。", f"{approver!r} is not an approver.", code="approver_required"
                    )
                decided = _decide(session, dep, engine, boss, request_id, at=at)
    except BaseException as exc:
        kept = request_id is not None and isinstance(exc, EsignError) and refusal_recorded(exc)
        if fresh and not kept:  # the request was not recorded: do not keep its file either
            blobs.discard(digest)
        raise
    if decided.outcome is not None:  # the same request asked again (its idempotency key)
        return decided.outcome
    assert decided.job is not None
    return stamp_and_commit(
        dep,
        engine,
        decided.job,
        at=at,
        actor=boss,
        approver_id=boss.person_id,
        password=spec.password,
        validation=decided.validation,
        on_refusal=end,
    )


def preview_request(
    dep: Deployment, engine: StampEngine, actor: Actor, request_id: int, *, at: dt.datetime, dpi: int = 60
) -> bytes:
    """A PNG of the page that carries the seal: drawn where it will go (pending), or as stamped. One
    transaction, which records a refused look."""
    from esign.stamp.preview import preview_png, render_page

    target = f"stamp_request:{request_id}"
    with audited_transaction(dep.transaction, actor, "stamp.view", target, at=at, refusals=REFUSALS) as session:
        row = find_request(session, request_id, actor)
        seal = row.seal
        placement = township_placement(seal, placement_from_json(row.placement))  # reads the township: in session
        input_sha, output_sha = row.input_sha256, row.output_sha256
        material = engine.material(seal, session=session)
    blobs = blobs_of(dep)
    data = blobs.get(input_sha)
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
    placement: Placement,
    *,
    at: dt.datetime,
    password: str | None = None,
    dpi: int = 60,
) -> bytes:
    """A PNG of where the seal and its QR code would go on ``data``, before the clerk submits it.

    The same checks as a submission (the clerk's township, a stampable PDF, a placement the document
    allows) raise the same errors; nothing is kept. One transaction, which records a refusal
    (permission, township).
    """
    from esign.stamp.preview import preview_png

    target = f"seal:{seal_ref}"
    with audited_transaction(dep.transaction, actor, "stamp.request", target, at=at, refusals=REFUSALS) as session:
        authorize(actor, Permission.STAMP_REQUEST)
        seal = find_seal(session, seal_ref)
        require_clerk(actor, seal)
        if is_ofd(data):
            check_ofd_request(dep, seal, data, placement)
            art = engine.material(seal, session=session).seal
            return _ofd_preview(dep, engine, art, data, township_placement(seal, placement), dpi)
        info = inspect_pdf(data, password=password, max_bytes=dep.settings.max_upload_bytes)
        require_stampable(info)
        where = township_placement(seal, placement)
        material = engine.material(seal, session=session)
    plan = plan_stamp(
        data,
        where,
        seal=material.seal,
        qr=lambda: engine.qr(f"{dep.settings.base_url}/v/preview"),
        password=password,
        info=info,
    )
    return preview_png(data, plan, dpi=dpi, password=password)
