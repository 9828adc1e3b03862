"""The local operator's batch (``esign stamp-batch``): files of this host stamped with named accounts by
the same batches and the same engine as the API's (:mod:`esign.workflow.batches`,
:class:`esign.workflow.batch_runner.BatchPool`), on all cores.

The files are grouped by what is asked for them (item, reason, document type, placement); each group
is a batch that the named clerk opens and the named approver approves, with the rules of the API,
then the engine stamps it. Each file's stamp request has the caller's idempotency key (the CLI: the
file's path), so running over the same files again finds their requests: a stamped one is reported
with its register entry and not stamped again, one left pending by an interrupted run is stamped now.

Every refusal is reported for the files it concerns, as a result, and the others go on: a file that
is not a stampable PDF or OFD, a group whose item is not in the township's list, and, for every file,
accounts or a seal that do not qualify.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from esign.deployment import Deployment
from esign.errors import EsignError, ForbiddenError, InputError
from esign.ledger import DocumentType
from esign.registry import Actor, Role, audited_transaction, find_person
from esign.stamp import AtKeyword, Placement, placement_from_dict
from esign.workflow.batch_pool import BatchPool, ProgressFn, Upload
from esign.workflow.batch_views import BatchItemError
from esign.workflow.batches import approve_batch, close_batch, open_batch, show_batch
from esign.workflow.commit import STAMPED, blobs_of
from esign.workflow.models import StampBatchItemRow, StampRequestRow
from esign.workflow.spec import StampRequestSpec

__all__ = ["LocalFile", "LocalResult", "files_in_folder", "files_in_manifest", "stamp_files"]


@dataclass(frozen=True)
class LocalFile:
    """One document of the operator's batch and what is asked for it."""

    #: The name reported in the results (and the stamped file's, for the CLI).
    name: str
    #: Reads the document, in a worker process: it must pickle (``functools.partial(Path.read_bytes, path)``).
    load: Callable[[], bytes]
    #: The idempotency key of its stamp request (the same file run again finds its request).
    key: str
    #: The catalog item: its number in the township's authority list, or its name.
    item: str
    #: 事由.
    reason: str
    #: Document title.
    title: str
    #: Document type.
    document_type: str = DocumentType.ACCEPTANCE_NOTICE.value
    #: Where the seal goes.
    placement: Placement = field(default_factory=AtKeyword)


@dataclass(frozen=True)
class LocalResult:
    """What became of one file."""

    #: The file's :attr:`LocalFile.name`.
    name: str
    #: The register entry, when stamped.
    entry_id: str | None
    #: SHA-256 of the stamped document, when stamped.
    output_sha256: str | None
    #: Where the stamped document is in the deployment's store (copy it from there), when stamped.
    output: Path | None
    #: Why it was not stamped.
    error: BatchItemError | None


def stamp_files(
    dep: Deployment,
    files: Sequence[LocalFile],
    *,
    seal: str,
    user: str,
    approver: str,
    level: str,
    workers: int,
    clock: Callable[[], dt.datetime],
    progress: ProgressFn | None = None,
) -> tuple[LocalResult, ...]:
    """Stamp ``files`` with ``seal``, asked by the clerk ``user`` and approved by ``approver``; one result per
    file, in order. ``workers`` and ``clock`` are :class:`~esign.workflow.batch_runner.BatchPool`'s."""
    failed: dict[int, EsignError] = {}
    groups: dict[tuple[str, str, str, Placement], list[int]] = {}
    for n, f in enumerate(files):
        groups.setdefault((f.item, f.reason, f.document_type, f.placement), []).append(n)
    try:
        clerk, boss = _accounts(dep, user, approver, at=clock())
    except EsignError as exc:
        return tuple(_refused(f.name, exc) for f in files)
    batches: dict[int, list[int]] = {}
    for (item, reason, document_type, placement), members in groups.items():
        spec = StampRequestSpec(
            seal=seal, item=item, reason=reason, document_type=document_type, placement=placement, level=level
        )
        try:
            batches[open_batch(dep, clerk, spec, at=clock()).id] = members  # a fresh key: a batch of its own
        except EsignError as exc:
            failed.update(dict.fromkeys(members, exc))
    uploads = [
        Upload(batch_id, position, files[n].name, files[n].load, files[n].key, files[n].title)
        for batch_id, members in batches.items()
        for position, n in enumerate(members, start=1)
    ]
    with BatchPool(dep, workers=workers, clock=clock) as pool:
        pool.add_files(clerk, uploads, progress)
        approved = []
        for batch_id, members in batches.items():
            close_batch(dep, clerk, batch_id, at=clock())
            try:
                if approve_batch(dep, boss, batch_id, at=clock()):
                    approved.append(batch_id)
            except EsignError as exc:
                failed.update(dict.fromkeys(members, exc))
        pool.run(approved, progress)
    results = _outcomes(dep, clerk, files, batches, at=clock())
    return tuple(
        _refused(f.name, failed[n])
        if n in failed
        else results.get(n, LocalResult(f.name, None, None, None, _NOT_STAMPED))
        for n, f in enumerate(files)
    )


def _accounts(dep: Deployment, user: str, approver: str, *, at: dt.datetime) -> tuple[Actor, Actor]:
    """The named clerk and approver (as :func:`esign.workflow.requests.stamp_directly` finds them)."""
    cli = Actor(person_id=None, name=user, role=None)
    with audited_transaction(dep.transaction, cli, "stamp.batch.request", "stamp_batches", at=at) as session:
        clerk = Actor.from_person(find_person(session, user))
        boss = Actor.from_person(find_person(session, approver))
    if boss.role is not Role.APPROVER:
        with audited_transaction(dep.transaction, boss, "stamp.batch.approve", "stamp_batches", at=at):
            raise ForbiddenError(
                f"“{approver}”不是批准人。", f"{approver!r} is not an approver.", code="approver_required"
            )
    return clerk, boss


def _outcomes(
    dep: Deployment, clerk: Actor, files: Sequence[LocalFile], batches: dict[int, list[int]], *, at: dt.datetime
) -> dict[int, LocalResult]:
    out: dict[int, LocalResult] = {}
    blobs = blobs_of(dep)
    for batch_id, members in batches.items():
        view = show_batch(dep, clerk, batch_id, at=at)
        with dep.transaction() as session:
            stamped = session.execute(
                select(StampBatchItemRow.position, StampRequestRow.output_sha256)
                .join(StampRequestRow, StampRequestRow.id == StampBatchItemRow.request_id)
                .where(StampBatchItemRow.batch_id == batch_id, StampRequestRow.status == STAMPED)
            )
            outputs = {position: sha for position, sha in stamped}
        for item in view.items:
            n = members[item.position - 1]
            error = item.error
            if item.entry_id is None and error is None:  # neither stamped nor refused: left pending or rejected
                error = _NOT_STAMPED
            sha = outputs.get(item.position)
            out[n] = LocalResult(files[n].name, item.entry_id, sha, blobs.path(sha) if sha else None, error)
    return out


_NOT_STAMPED = BatchItemError("not_stamped", "未盖章。", "Not stamped.")


def _refused(name: str, exc: EsignError) -> LocalResult:
    return LocalResult(name, None, None, None, BatchItemError(exc.code, exc.message_zh, exc.message_en))


def files_in_folder(folder: Path, *, item: str | None, reason: str | None) -> list[LocalFile]:
    """The PDFs and OFDs of ``folder``, by name, with ``item`` and ``reason`` (both required), the file's
    stem as title and the township's keywords as placement; each keyed by its path."""
    if not item or not reason:
        raise InputError(
            "按文件夹批量盖章时须给出 --item 和 --reason。",
            "Give --item and --reason when stamping a folder.",
            code="batch_defaults_required",
        )
    paths = sorted([*folder.glob("*.pdf"), *folder.glob("*.ofd")])
    return [LocalFile(p.name, _reader(p), f"batch:{p}", item, reason, p.stem) for p in paths]


def files_in_manifest(manifest: Path, *, item: str | None, reason: str | None) -> list[LocalFile]:
    """The files a CSV manifest lists (UTF-8, with a header): ``file`` (or ``文件``, relative to the
    manifest's folder), and optionally ``item``, ``reason`` (else the defaults given), ``title`` (else
    the file's stem), ``document_type``, ``keyword``, or ``page``, ``x_mm`` and ``y_mm`` together.
    A malformed row refuses the whole manifest (``manifest_row_invalid``, or the placement's code)."""
    rows = csv.DictReader(io.StringIO(manifest.read_text(encoding="utf-8-sig"), newline=""))
    return [_manifest_row(manifest.parent, n, rec, item, reason) for n, rec in enumerate(rows, start=2)]


def _manifest_row(folder: Path, n: int, rec: dict[str, str], item: str | None, reason: str | None) -> LocalFile:
    file = rec.get("file") or rec.get("文件")
    if not file:
        raise InputError(f"清单第 {n} 行缺少 file 列。", f"Manifest row {n} has no file.", code="manifest_row_invalid")
    where: dict[str, object] = {"mode": "keyword"}
    if rec.get("keyword"):
        where["text"] = rec["keyword"]
    if rec.get("page") and rec.get("x_mm") and rec.get("y_mm"):
        try:
            where = {
                "mode": "position",
                "page": int(rec["page"]),
                "x_mm": float(rec["x_mm"]),
                "y_mm": float(rec["y_mm"]),
            }
        except ValueError:
            raise InputError(
                f"清单第 {n} 行的 page、x_mm、y_mm 应为数字。",
                f"Manifest row {n}: page, x_mm and y_mm must be numbers.",
                code="manifest_row_invalid",
            ) from None
    try:
        placement = placement_from_dict(where)
    except InputError as exc:
        raise InputError(
            f"清单第 {n} 行：{exc.message_zh}", f"Manifest row {n}: {exc.message_en}", code=exc.code
        ) from exc
    path = (folder / file).resolve()
    return LocalFile(
        path.name,
        _reader(path),
        f"batch:{path}",
        rec.get("item") or item or "",
        rec.get("reason") or reason or "",
        rec.get("title") or Path(file).stem,
        rec.get("document_type") or DocumentType.ACCEPTANCE_NOTICE.value,
        placement,
    )


def _reader(path: Path) -> Callable[[], bytes]:
    return functools.partial(Path.read_bytes, path)
