"""The one place where errors become HTTP responses.

Every error body has the same shape: ``{"error": {"code", "message_zh", "message_en", ...}}``.
No traceback ever reaches a client.
"""

from __future__ import annotations

import datetime as dt
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from esign.errors import EsignError
from esign.registry import REFUSALS as registry_refusals
from esign.registry import record_refusal, refusal_recorded

__all__ = ["error_body", "install_error_handlers", "record_refusal_of"]

_log = logging.getLogger(__name__)

_HTTP_MESSAGES = {
    404: ("not_found", "未找到请求的资源。", "Not found."),
    405: ("method_not_allowed", "不支持该请求方法。", "Method not allowed."),
    413: ("too_large", "上传内容过大。", "Request body too large."),
    415: ("unsupported_media_type", "不支持的内容类型。", "Unsupported media type."),
    429: ("rate_limited", "请求过于频繁，请稍后再试。", "Too many requests, try again later."),
}


#: Refusals that are recorded as audit events (bad input and missing objects are not).
REFUSALS = registry_refusals


def record_refusal_of(request: Request, exc: EsignError) -> None:
    """Record a refused attempt, committed before the answer goes out, unless the use case that refused
    recorded it in its own transaction (:func:`esign.registry.audited_transaction`, the rule for use cases:
    this is the fallback for routes that still own a session or call the library step by step).

    The request's own session, when it is still open (a page that answers the refusal itself), is
    the one owner of the transaction: its refused work is rolled back and the refusal written and
    committed in it. Otherwise (the route's session is already closed) in a transaction of its own.
    A second session beside an open one would wait for its write lock on SQLite and lose the record.
    """
    if refusal_recorded(exc):  # by the use case that refused, in its own transaction
        return
    actor = getattr(request.state, "actor", None)
    route = request.scope.get("route")
    action = f"{request.method} {getattr(route, 'path', request.url.path)}"

    def write(session: Session) -> None:
        record_refusal(
            session,
            actor=actor.name if actor else "public",
            action=action,
            target=request.url.path,
            error=exc,
            at=dt.datetime.now(dt.UTC),
            township_id=actor.township_id if actor else None,
        )

    try:
        open_session: Session | None = getattr(request.state, "db", None)
        if open_session is not None:
            open_session.rollback()
            write(open_session)
            open_session.commit()
        else:
            with request.app.state.deployment.transaction() as session:
                write(session)
    except Exception:  # the refusal itself must still reach the client
        _log.exception("could not record a refused attempt")


def error_body(code: str, zh: str, en: str, **extra: object) -> dict[str, object]:
    """The error model shared by every route."""
    return {"error": {"code": code, "message_zh": zh, "message_en": en, **extra}}


def install_error_handlers(app: FastAPI) -> None:
    """Map esign errors, validation errors and unexpected failures to structured JSON."""

    @app.exception_handler(EsignError)
    async def _esign(request: Request, exc: EsignError) -> JSONResponse:
        if isinstance(exc, REFUSALS):
            record_refusal_of(request, exc)
        return JSONResponse({"error": exc.to_dict()}, status_code=exc.http_status)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [".".join(str(p) for p in err.get("loc", ())) for err in exc.errors()]
        return JSONResponse(
            error_body(
                "invalid_request",
                "请求参数不正确：" + "，".join(fields),
                "Invalid request parameters: " + ", ".join(fields),
                fields=fields,
            ),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, zh, en = _HTTP_MESSAGES.get(exc.status_code, ("http_error", "请求无法处理。", str(exc.detail)))
        return JSONResponse(error_body(code, zh, en), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        _log.exception("unexpected error")
        return JSONResponse(
            error_body("internal_error", "服务内部错误，已记录，请联系管理员。", "Internal error; it has been logged."),
            status_code=500,
        )
