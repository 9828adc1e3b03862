"""The service's outer check of every URL: no control characters, no number past 64 bits.

One place, before any route runs (so before any SQL): a path or query string holding a control
character (``%00`` above all: PostgreSQL's ``text`` cannot hold a NUL, and psycopg refuses to send
one) is answered ``400 invalid_text``; a path segment made only of digits that does not fit a signed
64-bit integer is answered ``400 number_out_of_range``. Row ids are narrower (32-bit): a larger one
finds nothing (:func:`esign.text.as_id`). Query values are not checked for size here (a certificate
serial may be longer); integer query parameters carry their own bounds. Text in bodies and forms is
checked by :func:`esign.text.clean_text` where it is used.
"""

from __future__ import annotations

import json
import unicodedata
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from esign.text import MAX_INT64

__all__ = ["InputGuard", "url_problem"]

_CONTROLS = frozenset({"Cc", "Cs"})


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in _CONTROLS for ch in text)


def url_problem(path: str, query_string: bytes) -> tuple[str, str, str] | None:
    """``(code, message_zh, message_en)`` of what is wrong with a request URL, or None."""
    query = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    if _has_control(path) or any(_has_control(k) or _has_control(v) for k, v in query):
        return (
            "invalid_text",
            "请求地址含有不允许的控制字符。",
            "The URL contains a control character.",
        )
    for segment in path.split("/"):
        if segment.isascii() and segment.isdigit() and int(segment) > MAX_INT64:
            return (
                "number_out_of_range",
                f"编号 {segment[:30]} 超出范围。",
                f"The number {segment[:30]} is out of range.",
            )
    return None


class InputGuard:
    """ASGI middleware refusing URLs that :func:`url_problem` finds wrong, in the shared error shape."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            problem = url_problem(scope.get("path", ""), scope.get("query_string", b""))
            if problem is not None:
                code, zh, en = problem
                body = json.dumps(
                    {"error": {"code": code, "message_zh": zh, "message_en": en}}, ensure_ascii=False
                ).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 400,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
