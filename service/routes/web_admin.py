"""The reform office's web pages (Chinese): sign in, seals with lifecycle actions, townships."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from esign.errors import EsignError, TooManyAttemptsError
from esign.registry import (
    Actor,
    Role,
    SealAction,
    seal_change,
    seal_list,
    township_list,
    web_sign_in,
    web_sign_out,
)
from service.auth import CurrentActor
from service.clock import now
from service.deps import Dep
from service.web import back, render
from service.websession import (
    SESSION_COOKIE,
    check_csrf,
    check_login_csrf,
    clear_session_cookie,
    set_session_cookie,
)

__all__ = ["router"]

router = APIRouter(prefix="/admin", include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def loginpage(request: Request) -> HTMLResponse:
    return render(request, "admin/login.html", Actor.public())


_HOME = {
    "clerk": "/desk/new",
    "approver": "/desk/requests",
    "custodian": "/desk/requests",
    "department": "/oversight/register",
    "reform_admin": "/admin/seals",
}


@router.post("/login")
def login(
    request: Request,
    dep: Dep,
    name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    token: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Sign in with a password or an API token; the browser gets a session id of its own."""
    check_login_csrf(request, csrf_token)
    address = request.client.host if request.client else "unknown"
    try:  # a failed attempt is counted (and committed) before the refusal comes back
        signed_in = web_sign_in(dep, name=name, password=password, token=token, address=address, at=now())
    except TooManyAttemptsError as exc:
        return _throttled(request, exc)
    except EsignError as exc:
        return back("/admin/login", f"登录失败：{exc.message_zh}", error=True)
    role = signed_in.actor.role
    response = RedirectResponse(_HOME.get(role.value if role else "", "/admin/seals"), status_code=303)
    set_session_cookie(request, response, signed_in.session_id)
    return response


def _throttled(request: Request, exc: TooManyAttemptsError) -> Response:
    """429 with the sign-in page for a browser, the error model for any other client."""
    headers = {"Retry-After": str(exc.data.get("retry_after", 60))}
    if "text/html" in request.headers.get("accept", ""):
        message = f"登录失败：{exc.message_zh} / {exc.message_en}"
        response = render(
            request, "admin/login.html", Actor.public(), status_code=429, flash=message, flash_kind="error"
        )
        response.headers.update(headers)
        return response
    return JSONResponse({"error": exc.to_dict()}, status_code=exc.http_status, headers=headers)


@router.post("/logout")
def logout(request: Request, dep: Dep, csrf_token: Annotated[str, Form()] = "") -> Response:
    """Sign out: the session is ended in the database, not only forgotten by this browser."""
    session_id = request.cookies.get(SESSION_COOKIE, "")
    if session_id:
        check_csrf(request, session_id, csrf_token)
        web_sign_out(dep, session_id, at=now())
    response = RedirectResponse("/admin/login", status_code=303)
    clear_session_cookie(request, response)
    return response


@router.get("/seals", response_class=HTMLResponse)
def sealspage(request: Request, actor: CurrentActor, dep: Dep) -> Response:
    if actor.role is None:
        return RedirectResponse("/admin/login", status_code=303)
    try:
        seals = seal_list(dep, actor, at=now())
    except EsignError as exc:
        return render(
            request, "admin/seals.html", actor, seals=[], can_decide=False, flash=exc.message_zh, flash_kind="error"
        )
    return render(request, "admin/seals.html", actor, seals=seals, can_decide=actor.role is Role.REFORM_ADMIN)


@router.post("/seals/{seal_id}/{action}")
def seal_action(
    request: Request,
    seal_id: int,
    action: SealAction,
    actor: CurrentActor,
    dep: Dep,
    reason: Annotated[str, Form()] = "",
) -> Response:
    if actor.role is None:
        return RedirectResponse("/admin/login", status_code=303)
    try:
        result = seal_change(dep, actor, seal_id, action, reason=reason, at=now())
    except EsignError as exc:  # seal_change recorded a refusal in its own transaction
        return back("/admin/seals", f"操作未执行：{exc.message_zh}", error=True)
    return back("/admin/seals", f"已{action.zh}：{result.name}（{result.status.zh}）")


@router.get("/townships", response_class=HTMLResponse)
def townshipspage(request: Request, actor: CurrentActor, dep: Dep) -> Response:
    if actor.role is None:
        return RedirectResponse("/admin/login", status_code=303)
    return render(request, "admin/townships.html", actor, townships=township_list(dep, actor, at=now()))
