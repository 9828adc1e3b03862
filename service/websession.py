"""The web pages' session cookie and the CSRF token that every cookie-authenticated POST carries.

Following the OWASP Cross-Site Request Forgery Prevention Cheat Sheet:

- The session cookie ``esign_session`` holds a session id of its own (see
  :mod:`esign.registry.signin`), never an API token. It is ``HttpOnly``, ``SameSite=Strict``, and
  ``Secure`` whenever the browser reaches the service over HTTPS: the request's scheme (behind a
  reverse proxy uvicorn takes it from ``X-Forwarded-Proto`` sent by the addresses in
  ``FORWARDED_ALLOW_IPS``, default 127.0.0.1) or an ``https://`` ``ESIGN_PUBLIC_BASE_URL``.
- Synchronizer token: the CSRF token of a signed-in browser is derived from its session id
  (SHA-256 with a label), so it is bound to the session, unknown to other sites, and reveals
  nothing of the id. Every state-changing request authenticated by the cookie (any method but
  GET, HEAD, OPTIONS) must carry it, as the form field ``csrf_token`` or the header
  ``X-CSRF-Token``; otherwise it is refused (403, ``csrf_failed``). Bearer-token requests carry
  no cookie authority and need none.
- Login CSRF: before sign-in the token is derived from a random pre-session cookie
  (``esign_csrf``) that the sign-in page sets, so a cross-site form cannot sign the victim in to
  the attacker's account.
- As defence in depth, a request the browser labels ``Sec-Fetch-Site: cross-site`` is refused too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from fastapi import Request, Response
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from esign.errors import ForbiddenError
from esign.registry import SESSION_LIFETIME, Actor, record_edge_refusal
from service.clock import now

__all__ = [
    "CSRF_FIELD",
    "SESSION_COOKIE",
    "UNSAFE_METHODS",
    "check_csrf",
    "check_login_csrf",
    "clear_session_cookie",
    "csrf_input",
    "finish_page",
    "prepare_csrf",
    "set_session_cookie",
    "submitted_csrf_token",
]

SESSION_COOKIE = "esign_session"
_PRESESSION_COOKIE = "esign_csrf"
CSRF_FIELD = "csrf_token"
_CSRF_HEADER = "x-csrf-token"
#: Methods that change state and so need the token when the cookie authenticates them.
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _token(secret: str) -> str:
    digest = hashlib.sha256(b"esign-csrf\0" + secret.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _secure(request: Request) -> bool:
    base_url: str = request.app.state.deployment.settings.base_url
    return request.url.scheme == "https" or base_url.startswith("https://")


def _refused() -> ForbiddenError:
    return ForbiddenError(
        "请求来源校验失败（CSRF），请刷新页面后重试。",
        "Cross-site request check failed (CSRF token missing or wrong); reload the page and try again.",
        code="csrf_failed",
    )


def prepare_csrf(request: Request) -> str:
    """The token to put in this page's forms; remembers a new pre-session secret for
    :func:`finish_page` when the browser has neither cookie yet."""
    session_id = request.cookies.get(SESSION_COOKIE, "")
    if session_id:
        return _token(session_id)
    secret = request.cookies.get(_PRESESSION_COOKIE, "") or getattr(request.state, "new_csrf_secret", "")
    if not secret:
        secret = secrets.token_urlsafe(32)
        request.state.new_csrf_secret = secret
    return _token(secret)


def finish_page(request: Request, response: Response) -> None:
    """Set the pre-session cookie that :func:`prepare_csrf` made up, if any."""
    secret = getattr(request.state, "new_csrf_secret", None)
    if secret:
        response.set_cookie(
            _PRESESSION_COOKIE, secret, httponly=True, samesite="strict", secure=_secure(request), path="/"
        )


@pass_context
def csrf_input(context: Context) -> Markup:
    """Jinja global: ``{{ csrf_input() }}`` inside every ``<form method="post">``. Only a page with
    such a form gives an anonymous browser the pre-session cookie (see :func:`finish_page`)."""
    token = prepare_csrf(context["request"])
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, escape(token))


async def submitted_csrf_token(request: Request) -> str:
    """The token sent with this request: the header, or the form field of a form post (the form
    FastAPI has already parsed for the route is reused, not read twice)."""
    token = request.headers.get(_CSRF_HEADER, "")
    content_type = request.headers.get("content-type", "")
    if not token and content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(CSRF_FIELD)
        token = value if isinstance(value, str) else ""
    return token


def _recorded(request: Request) -> ForbiddenError:
    """The CSRF refusal of this request, recorded once, here (action ``web.csrf``): no use case ran."""
    error = _refused()
    actor: Actor = getattr(request.state, "actor", None) or Actor.public()
    deployment = request.app.state.deployment
    record_edge_refusal(deployment, actor, error, action="web.csrf", target=request.url.path, at=now())
    return error


def check_csrf(request: Request, session_id: str, submitted: str) -> None:
    """Refuse (and record) a cookie-authenticated unsafe request without the token of its session."""
    if request.headers.get("sec-fetch-site") == "cross-site" or not submitted:
        raise _recorded(request)
    if not hmac.compare_digest(submitted.encode(), _token(session_id).encode()):
        raise _recorded(request)


def check_login_csrf(request: Request, submitted: str) -> None:
    """Refuse a sign-in form that does not come from our own sign-in page (login CSRF): its token
    must match the browser's pre-session cookie, or its current session cookie."""
    if request.headers.get("sec-fetch-site") == "cross-site" or not submitted:
        raise _recorded(request)
    held = [request.cookies.get(SESSION_COOKIE, ""), request.cookies.get(_PRESESSION_COOKIE, "")]
    if not any(s and hmac.compare_digest(submitted.encode(), _token(s).encode()) for s in held):
        raise _recorded(request)


def set_session_cookie(request: Request, response: Response, session_id: str) -> None:
    """Hand the browser its new session id."""
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/",
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    """Remove the session cookie (the session itself is ended in the database)."""
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="strict", secure=_secure(request), path="/")
