"""Public verification: POST /api/v1/verify, the /verify page and the QR landing page /v/{entry_id}.

No account is needed; requests are rate-limited per client address.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from esign.errors import EsignError
from esign.localtime import local_text
from esign.registry import Actor
from esign.verify import VerificationReport
from esign.workflow import entry_view, verify_document
from service.clock import now
from service.deps import Dep
from service.ratelimit import RateLimitedError
from service.uploads import read_upload
from service.web import render
from service.work import run_work

__all__ = ["router"]

router = APIRouter(tags=["verification"])

_INDICATION_ZH = {"TOTAL_PASSED": "有效", "TOTAL_FAILED": "无效", "INDETERMINATE": "无法确定"}
_CONDITION_ZH = {"met": "满足", "not_met": "不满足", "cannot_tell": "无法判断"}


def _limit(request: Request) -> None:
    request.app.state.public_limiter.check(request)


@router.post(
    "/api/v1/verify",
    response_model=dict[str, Any],
    summary="验证盖章文件 / verify a stamped PDF or OFD (multipart field 'file')",
)
async def verify_api(
    request: Request,
    dep: Dep,
    file: Annotated[UploadFile | None, File()] = None,
    entry_id: Annotated[str | None, Form()] = None,
    password: Annotated[str | None, Form(description="打开加密文件的密码 / the password of an encrypted PDF")] = None,
) -> Response:
    await request.app.state.public_limiter.admit(request)
    data = await read_upload(file, limit=dep.settings.max_upload_bytes)
    report = await run_work(verify_document, dep, data, at=now(), entry_id=entry_id, password=password or None)
    return JSONResponse(report.to_dict())  # already JSON values: no second validation by the response model


@router.get("/verify", response_class=HTMLResponse, include_in_schema=False)
def verify_page(request: Request) -> Response:
    return render(request, "public/verify.html", Actor.public(), report=None, entry=None)


@router.post("/verify", response_class=HTMLResponse, include_in_schema=False)
async def verify_upload(
    request: Request,
    dep: Dep,
    file: Annotated[UploadFile | None, File()] = None,
    entry_id: Annotated[str | None, Form()] = None,
    password: Annotated[str | None, Form()] = None,
) -> Response:
    report: VerificationReport | None = None
    entry: dict[str, Any] | None = None
    error: EsignError | None = None
    uploaded: dict[str, str] | None = None
    pictures: list[str | None] | None = None
    try:
        await request.app.state.public_limiter.admit(request)
        if file is not None or not entry_id:  # an entry number alone looks the entry up
            data = await read_upload(file, limit=dep.settings.max_upload_bytes)
            uploaded = {"name": (file.filename if file else "") or "", "sha256": hashlib.sha256(data).hexdigest()}
            report = await run_work(
                verify_document, dep, data, at=now(), entry_id=entry_id or None, password=password or None
            )
            pictures = await run_work(_seal_pictures, data)
    except EsignError as exc:
        error = exc
    if entry_id and not isinstance(error, RateLimitedError):
        try:  # an unknown entry is said on the page, in Chinese, like any other refusal
            entry = await run_in_threadpool(_entry_view, dep, entry_id)
        except EsignError as exc:
            error = error or exc
    return render(
        request,
        "public/verify.html",
        Actor.public(),
        report=_report_view(report.to_dict(), dep.settings.timezone) if report else None,
        uploaded=uploaded,
        seal_pictures=pictures,
        entry=entry,
        indication_zh=_INDICATION_ZH,
        condition_zh=_CONDITION_ZH,
        flash=error.message_zh if error else None,
        flash_kind="error",
        status_code=error.http_status if error else 200,
    )


_IMAGE_TYPES = {"PNG": "image/png", "JPG": "image/jpeg", "JPEG": "image/jpeg", "GIF": "image/gif"}


def _seal_pictures(data: bytes) -> list[str | None] | None:
    """The OFD seals' pictures (from each SES_Seal) as data URIs, one per signature; None for a PDF."""
    from esign.ofd import is_ofd, seal_pictures

    if not is_ofd(data):
        return None
    out: list[str | None] = []
    for pic in seal_pictures(data):
        mime = _IMAGE_TYPES.get(pic[0].upper()) if pic else None
        out.append(f"data:{mime};base64,{base64.b64encode(pic[1]).decode()}" if pic and mime else None)
    return out


def _report_view(report: dict[str, Any], zone: str) -> dict[str, Any]:
    """The JSON report with the times people read in the deployment's zone."""
    for sig in report["signatures"]:
        at = sig.get("trusted_signing_time")
        sig["trusted_signing_time_local"] = (
            local_text(dt.datetime.fromisoformat(at), zone, seconds=True) if at else None
        )
    return report


def _entry_view(dep: Dep, entry_id: str) -> dict[str, Any]:
    """The register entry for the page, with its signing time in the deployment's zone (reads only)."""
    view = entry_view(dep, entry_id)
    return {**dataclasses.asdict(view), "signed_at_local": local_text(view.signed_at, dep.settings.timezone)}


@router.get("/v/{entry_id}", response_class=HTMLResponse, include_in_schema=False)
def landing(request: Request, entry_id: str, dep: Dep) -> Response:
    _limit(request)
    try:
        entry = _entry_view(dep, entry_id)
    except EsignError as exc:
        return render(
            request,
            "public/verify.html",
            Actor.public(),
            report=None,
            entry=None,
            flash=exc.message_zh,
            flash_kind="error",
            status_code=exc.http_status,
        )
    return render(request, "public/verify.html", Actor.public(), report=None, entry=entry)
