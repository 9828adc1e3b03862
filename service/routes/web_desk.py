"""The township desk (Chinese pages): the clerk uploads and asks, the approver approves or rejects."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from esign.errors import EsignError, InputError
from esign.ledger import DocumentType
from esign.registry import Role
from esign.stamp import Placement, placement_from_dict
from esign.workflow import (
    StampRequestSpec,
    approve_batch,
    approve_request,
    desk_form,
    get_request,
    list_batches,
    list_requests,
    own_seal,
    preview_document,
    preview_request,
    reject_batch,
    reject_request,
    show_batch,
    submit_request,
)
from service.auth import CurrentActor
from service.clock import now
from service.deps import Dep
from service.routes.api_batch import batch_out, upload_batch, worker_of
from service.routes.api_stamp import engine_of, request_out
from service.uploads import read_upload
from service.web import back, render
from service.work import run_work

__all__ = ["router"]

router = APIRouter(prefix="/desk", include_in_schema=False)

STATUS_ZH = {"pending": "待批准", "stamped": "已盖章", "rejected": "不予批准", "failed": "无法盖章"}
BATCH_STATUS_ZH = {"open": "上传中", "pending": "待批准", "running": "盖章中", "done": "已完成", "rejected": "不予批准"}
ITEM_STATUS_ZH = {
    "refused": "未受理",
    "pending": "待盖章",
    "stamped": "已盖章",
    "failed": "盖章失败",
    "rejected": "不予批准",
}


def _login() -> RedirectResponse:
    return RedirectResponse("/admin/login", status_code=303)


def _refused(url: str, what: str, exc: EsignError) -> Response:
    """Back to ``url`` saying ``what`` did not happen and why (the use case that refused recorded it)."""
    return back(url, f"{what}：{exc.message_zh}", error=True)


@router.get("/new", response_class=HTMLResponse)
def new_request(request: Request, actor: CurrentActor, dep: Dep) -> Response:
    if actor.role is None:
        return _login()
    try:
        form = desk_form(dep, actor, at=now())
    except EsignError as exc:
        return back("/desk/requests", exc.message_zh, error=True)
    return render(
        request,
        "desk/new.html",
        actor,
        items=form.items,
        document_types=form.document_types,
        seal_name=form.seal_name,
        seal_status_zh=form.seal_status_zh,
    )


def _placement(mode: str, keyword: str, page_no: str, x_mm: str, y_mm: str, riding: bool) -> Placement:
    """The form's choice; ValueError when a number is not one."""
    if mode == "position":
        return placement_from_dict(
            {
                "mode": "position",
                "page": int(page_no.strip() or -1),
                "x_mm": float(x_mm),
                "y_mm": float(y_mm),
                "riding_seal": riding,
            }
        )
    out: dict[str, Any] = {"mode": "keyword", "riding_seal": riding}
    if keyword.strip():
        out["text"] = keyword.strip()
    return placement_from_dict(out)


@router.post("/preview.png")
async def preview_draft(
    request: Request,
    actor: CurrentActor,
    dep: Dep,
    file: Annotated[UploadFile | None, File()] = None,
    mode: Annotated[str, Form()] = "keyword",
    keyword: Annotated[str, Form()] = "",
    page_no: Annotated[str, Form(alias="page")] = "",
    x_mm: Annotated[str, Form()] = "",
    y_mm: Annotated[str, Form()] = "",
    riding_seal: Annotated[str, Form()] = "",
) -> Response:
    """Where the seal and its QR code will go on the chosen file, before it is submitted (the same
    checks as submitting; errors are JSON with a Chinese message for the form to show)."""
    data = await read_upload(file, limit=dep.settings.max_upload_bytes)
    try:
        placement = _placement(mode, keyword, page_no, x_mm, y_mm, bool(riding_seal))
    except ValueError:
        raise InputError(
            "盖章位置须填写数字（毫米）。", "The position must be numbers (mm).", code="bad_placement"
        ) from None
    seal_ref = own_seal(dep, actor) if actor.township_id else ""
    png = await run_work(preview_document, dep, engine_of(request), actor, seal_ref, data, placement, at=now())
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.post("/requests")
async def create_request(
    request: Request,
    actor: CurrentActor,
    dep: Dep,
    item: Annotated[str, Form()],
    reason: Annotated[str, Form()],
    file: Annotated[UploadFile | None, File()] = None,
    document_type: Annotated[str, Form()] = DocumentType.ACCEPTANCE_NOTICE.value,
    title: Annotated[str, Form()] = "",
    mode: Annotated[str, Form()] = "keyword",
    keyword: Annotated[str, Form()] = "",
    page_no: Annotated[str, Form(alias="page")] = "",
    x_mm: Annotated[str, Form()] = "",
    y_mm: Annotated[str, Form()] = "",
    riding_seal: Annotated[str, Form()] = "",
    level: Annotated[str, Form()] = "B-LT",
) -> Response:
    if actor.role is None:
        return _login()
    try:
        data = await read_upload(file, limit=dep.settings.max_upload_bytes)
        try:
            placement = _placement(mode, keyword, page_no, x_mm, y_mm, bool(riding_seal))
        except ValueError:
            return back("/desk/new", "盖章位置须填写数字（毫米）。", error=True)
        seal_ref = own_seal(dep, actor)
        spec = StampRequestSpec(
            seal=seal_ref,
            item=item,
            reason=reason,
            document_type=document_type,
            title=title,
            placement=placement,
            level=level,
        )
        view = await run_work(submit_request, dep, actor, data, spec, at=now())
    except EsignError as exc:
        return _refused("/desk/new", "未能提交", exc)
    return back(f"/desk/requests/{view.id}", "已提交，等待批准人批准。")


@router.get("/requests", response_class=HTMLResponse)
def requests_page(request: Request, actor: CurrentActor, dep: Dep) -> Response:
    if actor.role is None:
        return _login()
    pending_only = actor.role is Role.APPROVER
    try:
        views = list_requests(dep, actor, at=now(), status="pending" if pending_only else None, single_only=True)
    except EsignError as exc:
        return render(
            request,
            "desk/list.html",
            actor,
            rows=[],
            heading="用印申请",
            status_zh=STATUS_ZH,
            flash=exc.message_zh,
            flash_kind="error",
        )
    rows = [request_out(v) for v in views]
    batches = list_batches(dep, actor, at=now(), status="pending" if pending_only else None, limit=50)
    return render(
        request,
        "desk/list.html",
        actor,
        rows=rows,
        heading="待批准的用印申请" if pending_only else "用印申请",
        status_zh=STATUS_ZH,
        batches=batches,
        batch_status_zh=BATCH_STATUS_ZH,
    )


@router.get("/requests/{request_id}", response_class=HTMLResponse)
def request_page(request: Request, request_id: int, actor: CurrentActor, dep: Dep) -> Response:
    if actor.role is None:
        return _login()
    try:
        view = get_request(dep, actor, request_id, at=now())
    except EsignError as exc:
        return back("/desk/requests", exc.message_zh, error=True)
    can_decide = actor.role is Role.APPROVER and view.status == "pending" and view.clerk_id != actor.person_id
    return render(
        request,
        "desk/request.html",
        actor,
        r=request_out(view),
        status_zh=STATUS_ZH[view.status],
        can_decide=can_decide,
        seal_name=view.seal_name,
    )


@router.get("/requests/{request_id}/preview.png")
async def preview(request: Request, request_id: int, actor: CurrentActor, dep: Dep) -> Response:
    png = await run_work(preview_request, dep, engine_of(request), actor, request_id, at=now())
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=60"})


@router.post("/requests/{request_id}/approve")
async def approve(request: Request, request_id: int, actor: CurrentActor, dep: Dep) -> Response:
    if actor.role is None:
        return _login()
    try:
        await run_work(approve_request, dep, engine_of(request), actor, request_id, at=now())
    except EsignError as exc:
        return _refused(f"/desk/requests/{request_id}", "未能盖章", exc)
    return back(f"/desk/requests/{request_id}", "已批准并加盖电子印章。")


@router.post("/requests/{request_id}/reject")
def reject(
    request: Request, request_id: int, actor: CurrentActor, dep: Dep, reason: Annotated[str, Form()] = ""
) -> Response:
    if actor.role is None:
        return _login()
    try:
        reject_request(dep, actor, request_id, reason, at=now())
    except EsignError as exc:
        return _refused(f"/desk/requests/{request_id}", "操作未执行", exc)
    return back(f"/desk/requests/{request_id}", "已不予批准。")


@router.post("/batches")
async def create_batch(
    request: Request,
    actor: CurrentActor,
    dep: Dep,
    item: Annotated[str, Form()],
    reason: Annotated[str, Form()],
    files: Annotated[list[UploadFile] | None, File()] = None,
    document_type: Annotated[str, Form()] = DocumentType.ACCEPTANCE_NOTICE.value,
    keyword: Annotated[str, Form()] = "",
    level: Annotated[str, Form()] = "B-LT",
) -> Response:
    if actor.role is None:
        return _login()
    try:
        seal_ref = own_seal(dep, actor)
        spec = StampRequestSpec(
            seal=seal_ref,
            item=item,
            reason=reason,
            document_type=document_type,
            placement=_placement("keyword", keyword, "-1", "", "", False),
            level=level,
        )
        batch_id = await upload_batch(dep, actor, spec, [f for f in files or [] if f.filename])
    except EsignError as exc:
        return _refused("/desk/new", "未能提交", exc)
    return back(f"/desk/batches/{batch_id}", "已提交，等待批准人批准。")


@router.get("/batches/{batch_id}", response_class=HTMLResponse)
def batch_page(request: Request, batch_id: int, actor: CurrentActor, dep: Dep) -> Response:
    if actor.role is None:
        return _login()
    try:
        b = batch_out(show_batch(dep, actor, batch_id, at=now()))
    except EsignError as exc:
        return back("/desk/requests", exc.message_zh, error=True)
    can_decide = actor.role is Role.APPROVER and b.clerk_id != actor.person_id
    return render(
        request,
        "desk/batch.html",
        actor,
        b=b,
        status_zh=BATCH_STATUS_ZH[b.status],
        item_status_zh=ITEM_STATUS_ZH,
        can_approve=can_decide and b.status in ("pending", "running", "done") and b.pending + b.failed > 0,
        can_reject=can_decide and b.status == "pending",
        seal_name=b.seal_name,
    )


@router.post("/batches/{batch_id}/approve")
def approve_batch_page(request: Request, batch_id: int, actor: CurrentActor, dep: Dep) -> Response:
    if actor.role is None:
        return _login()
    try:
        if approve_batch(dep, actor, batch_id, at=now()):
            worker_of(request).submit(batch_id)
    except EsignError as exc:
        return _refused(f"/desk/batches/{batch_id}", "未能批准", exc)
    return back(f"/desk/batches/{batch_id}", "已批准，正在逐份加盖电子印章。")


@router.post("/batches/{batch_id}/reject")
def reject_batch_page(
    request: Request, batch_id: int, actor: CurrentActor, dep: Dep, reason: Annotated[str, Form()] = ""
) -> Response:
    if actor.role is None:
        return _login()
    try:
        reject_batch(dep, actor, batch_id, reason, at=now())
    except EsignError as exc:
        return _refused(f"/desk/batches/{batch_id}", "操作未执行", exc)
    return back(f"/desk/batches/{batch_id}", "整批不予批准。")
