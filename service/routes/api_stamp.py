"""/api/v1/stamp-requests: upload and ask (clerk) -> approve or reject (approver) -> download."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, File, Form, Header, Request, UploadFile
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field

from esign.stamp import placement_from_json
from esign.workflow import (
    StampEngine,
    StampRequestSpec,
    StampRequestView,
    approve_and_show,
    get_request,
    list_requests,
    reject_request,
    request_document,
    submit_request,
)
from service.auth import CurrentActor
from service.clock import now
from service.deps import Dep
from service.uploads import read_upload
from service.work import run_work

__all__ = ["StampRequestOut", "engine_of", "request_out", "router"]

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


def request_out(view: StampRequestView) -> StampRequestOut:
    return StampRequestOut(
        id=view.id,
        status=view.status,
        township=view.township,
        seal_code=view.seal_code,
        item=view.item,
        document_type=view.document_type,
        document_title=view.document_title,
        reason=view.reason,
        clerk=view.clerk,
        approver=view.approver,
        level=view.level,
        pages=view.pages,
        input_sha256=view.input_sha256,
        created_at=view.created_at,
        decided_at=view.decided_at,
        decision_reason=view.decision_reason,
        failure_code=view.failure_code,
        entry_id=view.entry_id,
        output_sha256=view.output_sha256,
        signed_at=view.signed_at,
        verify_url=view.verify_url,
        result_url=f"/api/v1/stamp-requests/{view.id}/result.pdf" if view.entry_id else None,
    )


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
    spec = StampRequestSpec(
        seal=seal,
        item=item,
        reason=reason,
        document_type=document_type,
        title=title,
        placement=placement_from_json(placement),
        level=level,
        idempotency_key=idempotency_key,
        password=password,
        certify=certify,
    )
    return request_out(await run_work(submit_request, dep, actor, data, spec, at=now()))


@router.get("", response_model=list[StampRequestOut], summary="用印申请列表 / stamp requests")
def requests(actor: CurrentActor, dep: Dep, status: str | None = None) -> list[StampRequestOut]:
    return [request_out(v) for v in list_requests(dep, actor, at=now(), status=status)]


@router.get("/{request_id}", response_model=StampRequestOut, summary="用印申请详情 / one request")
def show(request_id: int, actor: CurrentActor, dep: Dep) -> StampRequestOut:
    return request_out(get_request(dep, actor, request_id, at=now()))


@router.post("/{request_id}/approve", response_model=StampRequestOut, summary="批准并盖章 / approve and stamp")
async def approve(request_id: int, request: Request, actor: CurrentActor, dep: Dep) -> StampRequestOut:
    outcome, view = await run_work(approve_and_show, dep, engine_of(request), actor, request_id, at=now())
    return request_out(view).model_copy(update={"notes": list(outcome.notes)})


@router.post("/{request_id}/reject", response_model=StampRequestOut, summary="不予批准 / reject")
def reject(request_id: int, body: RejectIn, actor: CurrentActor, dep: Dep) -> StampRequestOut:
    return request_out(reject_request(dep, actor, request_id, body.reason, at=now()))


def _document(dep: Dep, actor: CurrentActor, request_id: int, which: str) -> Response:
    doc = request_document(dep, actor, request_id, which, at=now())
    # streamed from the store, not loaded
    return FileResponse(doc.path, media_type=doc.media_type, filename=f"{which}-{request_id}.{doc.extension}")


@router.get("/{request_id}/result.pdf", summary="下载盖章文件 / download the stamped PDF")
def result(request_id: int, actor: CurrentActor, dep: Dep) -> Response:
    return _document(dep, actor, request_id, "result")


@router.get("/{request_id}/input.pdf", summary="下载原文件 / download the submitted PDF")
def original(request_id: int, actor: CurrentActor, dep: Dep) -> Response:
    return _document(dep, actor, request_id, "input")
