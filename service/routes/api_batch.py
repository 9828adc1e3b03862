"""/api/v1/stamp-batches: several PDFs with shared metadata (clerk) -> one approval (approver) -> a
background job stamps each document, and the batch reports its progress file by file."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Header, Request, UploadFile
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from esign.deployment import Deployment
from esign.errors import EsignError, InputError
from esign.registry import Actor
from esign.stamp import placement_from_json
from esign.workflow import (
    BATCH_OPEN,
    MAX_BATCH_FILES,
    BatchSummary,
    BatchView,
    BatchWorker,
    StampRequestSpec,
    add_file,
    add_refused,
    approve_batch,
    close_batch,
    list_batches,
    open_batch,
    reject_batch,
    show_batch,
)
from service.auth import CurrentActor
from service.clock import now
from service.deps import Dep
from service.schemas import BatchItemOut, BatchOut
from service.uploads import read_upload

__all__ = ["batch_out", "router", "upload_batch", "worker_of"]

router = APIRouter(prefix="/api/v1/stamp-batches", tags=["stamping"])


class RejectIn(BaseModel):
    reason: str


def worker_of(request: Request) -> BatchWorker:
    """The app's batch worker (one per process)."""
    worker: BatchWorker = request.app.state.batch_worker
    return worker


def batch_out(view: BatchView) -> BatchOut:
    """The batch on the wire: its view, each file with where its stamped document is downloaded."""
    items = tuple(
        BatchItemOut(**vars(i), result_url=f"/api/v1/stamp-requests/{i.request_id}/result.pdf" if i.entry_id else None)
        for i in view.items
    )
    return BatchOut(**{**vars(view), "items": items})


def _show(dep: Dep, actor: CurrentActor, batch_id: int) -> BatchOut:
    return batch_out(show_batch(dep, actor, batch_id, at=now()))


@router.post("", response_model=BatchOut, status_code=201, summary="批量提交用印申请 / submit a stamp batch")
async def submit(
    actor: CurrentActor,
    dep: Dep,
    seal: Annotated[str, Form(description="印章 id、编码或乡镇名称")],
    item: Annotated[str, Form(description="事项：职权清单序号或名称")],
    reason: Annotated[str, Form(description="事由（各文件相同）")],
    files: Annotated[list[UploadFile] | None, File(description=f"PDF，可多个（至多 {MAX_BATCH_FILES} 个）")] = None,
    document_type: Annotated[str, Form()] = "受理通知书",
    title: Annotated[str, Form(description="文书标题，默认为文书类型")] = "",
    placement: Annotated[str, Form(description='JSON, e.g. {"mode":"keyword"}')] = '{"mode": "keyword"}',
    level: Annotated[str, Form()] = "B-LT",
    certify: Annotated[bool, Form(description="认证签名（DocMDP）")] = False,
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key")] = "",
) -> BatchOut:
    """Each file becomes a stamp request; a file that cannot be one (not a PDF, encrypted, too large)
    is reported in ``items`` with its error and the others go on. Shared metadata that is wrong (seal,
    item, reason, placement …) refuses the whole batch with a 4xx."""
    spec = StampRequestSpec(
        seal=seal,
        item=item,
        reason=reason,
        document_type=document_type,
        title=title,
        placement=placement_from_json(placement),
        level=level,
        idempotency_key=idempotency_key,
        certify=certify,
    )
    return _show(dep, actor, await upload_batch(dep, actor, spec, files or []))


async def upload_batch(dep: Deployment, actor: Actor, spec: StampRequestSpec, files: list[UploadFile]) -> int:
    """Open the batch, add the files one by one (each refused on its own) and close it; its id."""
    if not files:
        raise InputError(
            "请上传 PDF 文件（表单字段 files，可多个）。",
            "Upload PDFs in the form field 'files' (repeated).",
            code="file_required",
            field="files",
        )
    if len(files) > MAX_BATCH_FILES:
        raise InputError(
            f"一个批次至多 {MAX_BATCH_FILES} 个文件。",
            f"A batch holds at most {MAX_BATCH_FILES} files.",
            code="too_many_files",
            field="files",
            limit=MAX_BATCH_FILES,
        )
    batch = await run_in_threadpool(open_batch, dep, actor, spec, at=now())
    if batch.status == BATCH_OPEN:  # a retry of a finished upload (same key) returns the batch as it is
        for position, upload in enumerate(files, start=1):
            name = upload.filename or ""
            try:  # one file at a time: a batch never sits in memory whole
                data = await read_upload(upload, limit=dep.settings.max_upload_bytes)
            except EsignError as exc:
                await run_in_threadpool(add_refused, dep, actor, batch.id, position, name, exc)
            else:
                await run_in_threadpool(add_file, dep, actor, batch.id, position, name, data, at=now())
        await run_in_threadpool(close_batch, dep, actor, batch.id, at=now())
    return batch.id


@router.get("", response_model=list[BatchSummary], summary="批量用印申请列表 / stamp batches")
def batches(actor: CurrentActor, dep: Dep, status: str | None = None) -> list[BatchSummary]:
    return list_batches(dep, actor, at=now(), status=status)


@router.get("/{batch_id}", response_model=BatchOut, summary="批次进度 / one batch with its progress")
def show(batch_id: int, actor: CurrentActor, dep: Dep) -> BatchOut:
    return _show(dep, actor, batch_id)


@router.post(
    "/{batch_id}/approve", response_model=BatchOut, status_code=202, summary="批准整批并在后台盖章 / approve the batch"
)
def approve(batch_id: int, request: Request, actor: CurrentActor, dep: Dep) -> BatchOut:
    """Stamping runs in the background: poll ``GET /api/v1/stamp-batches/{id}`` until ``status`` is
    ``done``. Approving again resumes an interrupted job and retries failed documents; a stamped
    document is never stamped twice."""
    if approve_batch(dep, actor, batch_id, at=now()):
        worker_of(request).submit(batch_id)
    return _show(dep, actor, batch_id)


@router.post("/{batch_id}/reject", response_model=BatchOut, summary="整批不予批准 / reject the batch")
def reject(batch_id: int, body: RejectIn, actor: CurrentActor, dep: Dep) -> BatchOut:
    reject_batch(dep, actor, batch_id, body.reason, at=now())
    return _show(dep, actor, batch_id)
