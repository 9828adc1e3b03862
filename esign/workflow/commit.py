"""Signing a request and committing it: the stamped file first, then the register entry, the
department feed event and the request's outcome in ONE transaction; if anything fails nothing is
recorded and the stamped file is discarded. Also the register's checkpoint policy after a stamp.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session, lazyload

from esign.deployment import Deployment
from esign.errors import EsignError, StateError
from esign.feed.events import record_stamp_event
from esign.hosts import BlobStore, file_sha256
from esign.ledger import (
    CheckpointPolicy,
    DocumentType,
    LedgerEntry,
    SqlLedger,
    append,
    checkpoint_due,
    make_checkpoint,
    maybe_checkpoint,
    new_entry_id,
)
from esign.registry import Actor, OnRefusal, Permission, audited_transaction, authorized_transaction, record_event
from esign.registry.models import Seal
from esign.registry.townships import organisation_name
from esign.stamp import Placement, default_keywords, placement_from_json, with_keywords
from esign.stamp.inputs import describe, open_reader
from esign.stamp.plan import plan_stamp
from esign.stamp.signing import SignatureSpec, ValidationMaterial, sign_pdf
from esign.verify import PadesLevel
from esign.workflow.engine import StampEngine
from esign.workflow.models import StampRequestRow
from esign.workflow.ofd_job import is_ofd, sign_ofd
from esign.workflow.rules import require_active

__all__ = [
    "PENDING",
    "REJECTED",
    "STAMPED",
    "StampJob",
    "StampOutcome",
    "blobs_of",
    "checkpoint_if_due",
    "outcome_of",
    "sign_checkpoint_now",
    "sign_job",
    "stamp_and_commit",
    "verify_url",
]

PENDING, STAMPED, REJECTED = "pending", "stamped", "rejected"

_log = logging.getLogger(__name__)

#: The register's checkpoint policy: every 100 entries or 5 minutes.
_POLICY = CheckpointPolicy()


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
    #: What was mended in the input while stamping (Chinese / English), e.g. malformed XMP metadata.
    notes: tuple[str, ...] = ()


def blobs_of(dep: Deployment) -> BlobStore:
    """The deployment's document store (a folder, or the database: :func:`esign.hosts.store_for`)."""
    from esign.hosts.docstore import store_for

    return store_for(dep)


class _Stamped(Protocol):
    """What an outcome is made of: a stamped request's row (an ORM row, or the columns read of it)."""

    @property
    def id(self) -> int: ...

    @property
    def entry_id(self) -> str | None: ...

    @property
    def output_sha256(self) -> str | None: ...

    @property
    def signed_at(self) -> dt.datetime | None: ...


class _LockedRequest(_Stamped, Protocol):
    @property
    def status(self) -> str: ...


_REQUESTS = cast(Table, StampRequestRow.__table__)
# The record transaction's own statements on the request row: the lock (and what it reads), the outcome.
_LOCK_REQUEST = (
    select(_REQUESTS.c.id, _REQUESTS.c.status, _REQUESTS.c.entry_id, _REQUESTS.c.output_sha256, _REQUESTS.c.signed_at)
    .where(_REQUESTS.c.id == bindparam("id_"))
    .with_for_update()
)
_UPDATE_REQUEST = _REQUESTS.update().where(_REQUESTS.c.id == bindparam("id_"))


def outcome_of(dep: Deployment, row: _Stamped) -> StampOutcome:
    assert row.entry_id and row.output_sha256 and row.signed_at
    return StampOutcome(row.id, row.entry_id, row.output_sha256, row.signed_at, verify_url(dep, row.entry_id))


def verify_url(dep: Deployment, entry_id: str) -> str:
    return f"{dep.settings.base_url}/v/{entry_id}"


@dataclass(frozen=True)
class StampJob:
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
    placement: Placement
    level: PadesLevel
    input_sha256: str
    location: str
    organisation: str
    certify: bool

    @classmethod
    def of(cls, row: StampRequestRow, seal: Seal, *, item_name: str, item_number: str, approver: str) -> StampJob:
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
            placement=placement_from_json(row.placement),
            level=PadesLevel(row.level),
            input_sha256=row.input_sha256,
            location=row.township.address or f"{row.township.name}便民服务中心",
            organisation=organisation_name(row.township),
            certify=row.certify,
        )


def stamp_and_commit(
    dep: Deployment,
    engine: StampEngine,
    job: StampJob,
    *,
    at: dt.datetime,
    actor: Actor,
    approver_id: int | None,
    password: str | None = None,
    validation: ValidationMaterial | None = None,
    on_refusal: OnRefusal | None = None,
) -> StampOutcome:
    """Stamp the job's stored input, store the result, and record it (see the module docstring).

    No transaction is held while signing. The record is one transaction
    (:func:`esign.registry.audited_transaction`, action ``stamp.approve``): the register entry, the feed
    event, the request's outcome, the audit event and, when due, the register's checkpoint; or, when
    signing or the record was refused, that refusal and what ``on_refusal`` does (the request ends as
    ``failed``). ``validation`` is what :meth:`StampEngine.prepare` read for B-LT and above.
    """
    entry_id = new_entry_id()
    url = verify_url(dep, entry_id)
    refused: EsignError | None = None
    output_sha = ""
    try:
        source = blobs_of(dep).path(job.input_sha256)  # asked once: a database store reads a row for it
        if _is_ofd_file(source):
            notes: tuple[str, ...] = ()
            output_sha, signed_at, count = sign_ofd(
                dep,
                blobs_of(dep),
                seal=job.seal,
                input_sha256=job.input_sha256,
                placement=job.placement,
                township_name=job.township_name,
                organisation=job.organisation,
                qr_png=engine.qr(url).png(dpi=300),
                entry_id=entry_id,
                url=url,
                at=at,
            )
        else:
            output_sha, signed_at, count, notes = sign_job(
                dep, engine, job, source, url, at=at, password=password, validation=validation
            )
    except EsignError as exc:  # recorded as the approval's refusal below
        refused = exc
    blobs = blobs_of(dep)
    already: StampOutcome | None = None
    target = f"stamp_request:{job.request_id}" if job.request_id is not None else f"seal:{job.seal.id}"
    try:
        with audited_transaction(
            dep.transaction, actor, "stamp.approve", target, at=at, on_refusal=on_refusal
        ) as session:
            if refused is not None:
                raise refused
            # The request row is locked first: two approvals of one request at the same moment
            # (a double click, two approvers) wait for each other here, and the second finds it stamped.
            # Only what this step reads of it: the job holds the rest.
            row = (
                session.connection().execute(_LOCK_REQUEST, {"id_": job.request_id}).first()
                if job.request_id is not None
                else None
            )
            if row is not None and row.status == STAMPED:
                already = outcome_of(dep, row)
            elif row is not None and row.status != PENDING:
                raise StateError("该申请已处理。", "The request was already decided.", code="request_decided")
            else:
                size = _record(
                    session, job, row, entry_id, output_sha, signed_at, count, url, at, actor.name, approver_id
                )
                _checkpoint_if_due(dep, session, at=at, size=size)
    except BaseException:
        if output_sha:
            blobs.discard(output_sha)
        raise
    if already is not None:  # stamped by the other approval: ours is not kept, nothing is recorded twice
        blobs.discard(output_sha)
        return already
    return StampOutcome(job.request_id or 0, entry_id, output_sha, signed_at, url, notes)


def _record(
    session: Session,
    job: StampJob,
    row: _LockedRequest | None,
    entry_id: str,
    output_sha: str,
    signed_at: dt.datetime,
    count: int,
    url: str,
    at: dt.datetime,
    actor_name: str,
    approver_id: int | None,
) -> int:
    """The register entry, the department feed event, the request's outcome and the audit event; the
    register's size after the entry."""
    # the seal's own columns, read again in this transaction (its township is the job's)
    seal = session.get(Seal, job.seal.id, options=[lazyload(Seal.township)])
    assert seal is not None
    require_active(seal)  # revoked or suspended while we were signing: nothing is recorded
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
        input_sha256=job.input_sha256,
        output_sha256=output_sha,
        signed_at=signed_at,
    )
    receipt = append(session, entry, at=at)
    record_stamp_event(session, entry, at=at, verify_url=url, receipt=receipt)  # 审管联动 outbox, same transaction
    if row is not None:
        values = {"status": STAMPED, "entry_id": entry_id, "output_sha256": output_sha, "signed_at": signed_at}
        moved = session.connection().execute(
            _UPDATE_REQUEST, {**values, "decided_at": at, "approver_id": approver_id, "id_": row.id}
        )
        if moved.rowcount != 1:  # pragma: no cover - the row is locked by this transaction
            raise StateError("该申请已处理。", "The request was already decided.", code="request_decided")
    record_event(
        session,
        actor=actor_name,
        action="stamp.apply",
        target=f"entry:{entry_id}",
        at=at,
        township_id=job.township_id,
        detail=job.title,
    )
    return receipt.tree_size


def _is_ofd_file(path: Path) -> bool:
    """Whether the stored input at ``path`` is an OFD (by content: a PDF never starts with a ZIP header)."""
    with path.open("rb") as fh:
        if fh.read(4) != b"PK\x03\x04":
            return False
    return is_ofd(path.read_bytes())


def checkpoint_if_due(dep: Deployment, *, at: dt.datetime, force: bool = False) -> None:
    """Sign a checkpoint of the register when the policy says so (every 100 entries or 5 minutes), or
    now (``force``), in a transaction of its own; a failure is logged, never raised."""
    try:
        with dep.transaction() as session:
            _checkpoint(dep, session, at=at, force=force)
    except EsignError:
        _log.exception("could not checkpoint the usage register")


def sign_checkpoint_now(dep: Deployment, actor: Actor, *, at: dt.datetime) -> None:
    """Sign a checkpoint of the register now, at ``at``, for ``actor``, who must have ``AUDIT_VIEW``: asked
    in this one transaction, which records a refusal once (:func:`esign.registry.authorized_transaction`).
    A failure to sign (a missing register key) is logged, never raised, as by :func:`checkpoint_if_due`."""
    with authorized_transaction(dep.transaction, actor, Permission.AUDIT_VIEW, "ledger:checkpoint", at=at) as session:
        try:
            with session.begin_nested():
                _checkpoint(dep, session, at=at, force=True)
        except EsignError:
            _log.exception("could not checkpoint the usage register")


def _checkpoint_if_due(dep: Deployment, session: Session, *, at: dt.datetime, size: int) -> None:
    """The checkpoint policy after an append, in the stamp's own transaction, which holds the register's
    head lock and knows its ``size`` from the append. The policy is asked first (one read: the latest
    checkpoint); only a checkpoint that is due is made, in a savepoint, so that a failure there (a missing
    register key) is logged and never undoes the stamp."""
    ledger = SqlLedger(session)
    if not checkpoint_due(_POLICY, ledger.latest_checkpoint(), size, at):
        return
    try:
        with session.begin_nested():
            make_checkpoint(ledger, signer=dep.ledger_signer, at=at, policy=_POLICY)
    except EsignError:
        _log.exception("could not checkpoint the usage register")


def _checkpoint(dep: Deployment, session: Session, *, at: dt.datetime, force: bool) -> None:
    ledger = SqlLedger(session)
    if force:
        make_checkpoint(ledger, signer=dep.ledger_signer, at=at, force=True)
    else:
        maybe_checkpoint(ledger, signer=dep.ledger_signer, policy=_POLICY, at=at)


def sign_job(
    dep: Deployment,
    engine: StampEngine,
    job: StampJob,
    source: Path,
    url: str,
    *,
    at: dt.datetime,
    password: str | None,
    validation: ValidationMaterial | None = None,
) -> tuple[str, dt.datetime, int, tuple[str, ...]]:
    """Stamp the stored input (at ``source``, the store's path of ``job.input_sha256``) into a new stored
    file; returns its SHA-256, the signing time, the number of pages that carry the seal and notes on
    what was mended in the input. The documents are streamed, not held in memory, and the input is
    parsed once for the placement and the signature."""
    material = engine.material(job.seal)
    blobs = blobs_of(dep)
    with source.open("rb") as fh, blobs.pending() as out:
        if file_sha256(fh) != job.input_sha256:
            raise StateError(
                "存储的待盖章文件已被改动，不能盖章。",
                "The stored document no longer matches its hash; it is not stamped.",
                code="document_altered",
            )
        placement = with_keywords(job.placement, default_keywords(job.township_name, job.organisation))
        reader = open_reader(fh, password=password, max_bytes=dep.settings.max_upload_bytes)
        info = describe(reader)
        placed = plan_stamp(
            source,
            placement,
            seal=material.seal,
            qr=lambda: engine.qr(url),
            password=password,
            info=info,
            reader=reader,
            digest=job.input_sha256,
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
        if validation is None and job.level.long_term:
            validation = engine.validation(job.seal, at=at)
        timestamper = engine.timestamper() if job.level.timestamped else None
        notes = sign_pdf(
            reader,
            material.credentials,
            spec,
            output=out.file,
            timestamper=timestamper,
            validation=validation,
            password=password,
            page_ids=[p.object_id for p in info.pages],
        )
        output_sha = out.commit()
    signed_at = engine.take_last_timestamp_time() or at
    return output_sha, signed_at, placed.impressions, notes
