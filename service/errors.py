"""The one place where errors become HTTP responses.

Every error body has the same shape: ``{"error": {"code", "message_zh", "message_en", ...}}``.
No traceback ever reaches a client. Nothing is recorded here: a use case records its own refusal in its
transaction (:func:`esign.registry.audited_transaction`), and the two refusals decided before any use case
runs are recorded where they are decided (a bearer token: :func:`esign.registry.token_actor`; a web form's
CSRF token: :mod:`service.websession`).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from esign.errors import EsignError

__all__ = ["error_body", "install_error_handlers"]

_log = logging.getLogger(__name__)

_HTTP_MESSAGES = {
    404: ("not_found", "未找到请求的资源。", "Not found."),
    405: ("method_not_allowed", "不支持该请求方法。", "Method not allowed."),
    413: ("too_large", "上传内容过大。", "Request body too large."),
    415: ("unsupported_media_type", "不支持的内容类型。", "Unsupported media type."),
    429: ("rate_limited", "请求过于频繁，请稍后再试。", "Too many requests, try again later."),
}


def error_body(code: str, zh: str, en: str, **extra: object) -> dict[str, object]:
    """The error model shared by every route."""
    return {"error": {"code": code, "message_zh": zh, "message_en": en, **extra}}


def install_error_handlers(app: FastAPI) -> None:
    """Map esign errors, validation errors and unexpected failures to structured JSON."""

    @app.exception_handler(EsignError)
    async def _esign(_request: Request, exc: EsignError) -> JSONResponse:
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
