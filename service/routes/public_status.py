"""Public seal status service (电子印章状态查询): API and page."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from esign.errors import EsignError, InputError
from esign.registry import Actor, seal_status_of
from service.deps import Dep
from service.web import render

__all__ = ["router"]

router = APIRouter(tags=["verification"])


def _at(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
        if parsed.tzinfo is None:  # a bare local time is Beijing time, as people enter it
            parsed = parsed.replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))
        return parsed.astimezone(dt.UTC)
    except (ValueError, OverflowError):  # OverflowError: 0001-01-01 in a zone east of UTC
        raise InputError("时间格式应为 ISO 8601。", "The time must be ISO 8601.", field="at") from None


@router.get("/api/v1/seal-status", summary="电子印章状态查询 / seal status (by seal code or certificate serial)")
def status_api(
    request: Request,
    dep: Dep,
    seal: Annotated[str | None, Query(description="印章编码或乡镇名称")] = None,
    serial: Annotated[str | None, Query(description="证书序列号（十六进制）")] = None,
    at: Annotated[str | None, Query(description="查询时间 ISO 8601；无时区按北京时间")] = None,
) -> dict[str, Any]:
    request.app.state.public_limiter.check(request)
    answer = seal_status_of(dep, seal=seal, serial=serial, at=_at(at))
    return {
        "code": answer.code,
        "name": answer.name,
        "township": answer.township,
        "cert_serial": answer.cert_serial,
        "status": answer.status.value,
        "status_zh": answer.status.zh,
        "since": answer.since.isoformat(),
        "reason": answer.reason,
        "at": answer.at.isoformat() if answer.at else None,
        "status_at": answer.status_at.value if answer.status_at else None,
        "valid_at": answer.valid_at,
    }


@router.get("/status", response_class=HTMLResponse, include_in_schema=False)
def status_page(
    request: Request, dep: Dep, seal: str | None = None, serial: str | None = None, at: str | None = None
) -> Response:
    answer, error = None, None
    if seal or serial:
        try:
            request.app.state.public_limiter.check(request)
            answer = seal_status_of(dep, seal=seal, serial=serial, at=_at(at))
        except EsignError as exc:
            error = exc
    return render(
        request,
        "public/status.html",
        Actor.public(),
        answer=answer,
        seal=seal or "",
        serial=serial or "",
        at=at or "",
        flash=error.message_zh if error else None,
        flash_kind="error",
        status_code=error.http_status if error else 200,
    )
