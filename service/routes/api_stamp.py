"""/api/v1/stamp-requests: upload and ask (clerk) -> approve or reject (approver) -> download."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Header, Request, UploadFile
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from esign.errors import InputError
from esign.workflow.commit import blobs_of
from esign.workflow.engine import StampEngine
from esign.workflow.models import StampRequestRow
from esign.workflow.requests import (
    StampRequestSpec,
    approve_request,
    find_request,
    list_requests,
    reject_request,
    submit_request,
)
from service.auth import CurrentActor
from service.clock import now
from service.deps import Dep
from service.uploads import read_upload

__all__ = ["StampRequestOut", "engine_of", "placement_json", "request_out", "router"]

router = APIRouter(prefix="/api/v1/stamp-requests", tags=["stamping"])


class StampRequestOut(BaseModel):
    id: int
    status: str = Field(description="pending | stamped | rejected | failed（文件无法盖章，原因见 decision_reason）")
    township: str
    seal_code: str
    item: str
    document_type: str
    document_title: str
    reason: str
    clerk: str
    approver: str | None
    level: str
    pages: int
    input_sha256: str
    created_at: dt.datetime
    decided_at: dt.datetime | None
    decision_reason: str = Field(description="不予批准的理由，或无法盖章（failed）的原因")
    failure_code: str | None = Field(description="status 为 failed 时的错误代码，如 keyword_not_found")
    entry_id: str | None
    output_sha256: str | None
    signed_at: dt.datetime | None
    verify_url: str | None
    result_url: str | None
    notes: list[str] = Field(
        default_factory=list,
        description="盖章时对原文件的修正（如不合法的 XMP 元数据），仅在批准的应答中 / what stamping mended",
    )


class RejectIn(BaseModel):
    reason: str


def request_out(row: StampRequestRow, base_url: str) -> StampRequestOut:
    return StampRequestOut(
        id=row.id,
        status=row.status,
        township=row.township.name,
        seal_code=row.seal.code,
        item=f"{row.item.number}. {row.item.item.name}",
        document_type=row.document_type,
        document_title=row.document_title,
        reason=row.reason,
        clerk=row.clerk.name,
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
        result_url=f"/api/v1/stamp-requests/{row.id}/result.pdf" if row.entry_id else None,
    )


def placement_json(text: str) -> dict[str, Any]:
    """The placement form field: a JSON object (checked in depth when the request is recorded)."""
    try:
        value: dict[str, Any] = json.loads(text)
        if not isinstance(value, dict):
            raise ValueError
    except (ValueError, RecursionError):  # RecursionError: JSON nested too deep to read
        raise InputError(
            "placement 必须是 JSON 对象。", "placement must be a JSON object.", code="bad_placement", field="placement"
        ) from None
    return value


def engine_of(request: Request) -> StampEngine:
    """The app's stamping engine (one per process)."""
    engine: StampEngine = request.app.state.stamp_engine
    return engine


@router.post("", response_model=StampRequestOut, status_code=201, summary="提交用印申请 / submit a stamp request")
async def submit(
    actor: CurrentActor,
    dep: Dep,
    seal: Annotated[str, Form(description="印章 id、编码或乡镇名称")],
    item: Annotated[str, Form(description="事项：职权清单序号或名称")],
    reason: Annotated[str, Form(description="事由")],
    file: Annotated[UploadFile | None, File(description="PDF 或 OFD")] = None,
    document_type: Annotated[str, Form()] = "受理通知书",
    title: Annotated[str, Form()] = "",
    placement: Annotated[str, Form(description='JSON, e.g. {"mode":"keyword"}')] = '{"mode": "keyword"}',
    level: Annotated[str, Form()] = "B-LT",
    password: Annotated[str | None, Form()] = None,
    certify: Annotated[bool, Form(description="认证签名（DocMDP）")] = False,
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key")] = "",
) -> StampRequestOut:
    data = await read_upload(file, limit=dep.settings.max_upload_bytes)
    placement_dict = placement_json(placement)
    spec = StampRequestSpec(
        seal=seal,
        item=item,
        reason=reason,
        document_type=document_type,
        title=title,
        placement=placement_dict,
        level=level,
        idempotency_key=idempotency_key,
        password=password,
        certify=certify,
    )
    row = await run_in_threadpool(submit_request, dep, actor, data, spec, at=now())
    with dep.transaction() as session:
        return request_out(find_request(session, row.id, actor), dep.settings.base_url)


@router.get("", response_model=list[StampRequestOut], summary="用印申请列表 / stamp requests")
def requests(actor: CurrentActor, dep: Dep, status: str | None = None) -> list[StampRequestOut]:
    with dep.transaction() as session:
        return [request_out(r, dep.settings.base_url) for r in list_requests(session, actor, status=status)]


@router.get("/{request_id}", response_model=StampRequestOut, summary="用印申请详情 / one request")
def show(request_id: int, actor: CurrentActor, dep: Dep) -> StampRequestOut:
    with dep.transaction() as session:
        return request_out(find_request(session, request_id, actor), dep.settings.base_url)


@router.post("/{request_id}/approve", response_model=StampRequestOut, summary="批准并盖章 / approve and stamp")
async def approve(request_id: int, request: Request, actor: CurrentActor, dep: Dep) -> StampRequestOut:
    outcome = await run_in_threadpool(approve_request, dep, engine_of(request), actor, request_id, at=now())
    with dep.transaction() as session:
        out = request_out(find_request(session, request_id, actor), dep.settings.base_url)
    return out.model_copy(update={"notes": list(outcome.notes)})


@router.post("/{request_id}/reject", response_model=StampRequestOut, summary="不予批准 / reject")
def reject(request_id: int, body: RejectIn, actor: CurrentActor, dep: Dep) -> StampRequestOut:
    reject_request(dep, actor, request_id, body.reason, at=now())
    with dep.transaction() as session:
        return request_out(find_request(session, request_id, actor), dep.settings.base_url)


def _document(dep: Dep, actor: CurrentActor, request_id: int, which: str) -> Response:
    with dep.transaction() as session:
        row = find_request(session, request_id, actor)
        digest = row.output_sha256 if which == "result" else row.input_sha256
    if digest is None:
        raise InputError("该申请尚未盖章。", "The request has not been stamped yet.", code="not_stamped")
    path = blobs_of(dep).path(digest)
    with path.open("rb") as fh:  # an OFD (a ZIP package) is served as one, whatever the URL says
        ofd = fh.read(4) == b"PK\x03\x04"
    return FileResponse(  # streamed from the store, not loaded
        path,
        media_type="application/ofd" if ofd else "application/pdf",
        filename=f"{which}-{request_id}.{'ofd' if ofd else 'pdf'}",
    )


@router.get("/{request_id}/result.pdf", summary="下载盖章文件 / download the stamped PDF")
def result(request_id: int, actor: CurrentActor, dep: Dep) -> Response:
    return _document(dep, actor, request_id, "result")


@router.get("/{request_id}/input.pdf", summary="下载原文件 / download the submitted PDF")
def original(request_id: int, actor: CurrentActor, dep: Dep) -> Response:
    return _document(dep, actor, request_id, "input")
