"""The reform office's web pages (Chinese): sign in, seals with lifecycle actions, townships."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from esign.errors import EsignError, TooManyAttemptsError
from esign.registry import (
    Actor,
    Permission,
    SealAction,
    SealStatus,
    authorize,
    change_seal,
    find_seal,
    list_seals,
    list_townships,
    township_summary,
    visible_township_ids,
)
from esign.registry.lifecycle import _TRANSITIONS
from esign.registry.seals import seal_data_validity
from esign.registry.signin import end_session, session_actor, sign_in_with_password, sign_in_with_token
from service.auth import CurrentActor
from service.clock import now
from service.deps import DbSession, Dep
from service.errors import REFUSALS, record_refusal_of
from service.web import back, page
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
def loginpage(request: Request, session: DbSession) -> HTMLResponse:
    return page(request, session, "admin/login.html", Actor.public())


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
    at, address = now(), request.client.host if request.client else "unknown"
    with dep.transaction() as session:  # a failure is recorded (and committed) with the refusal
        try:
            if token.strip():
                session_id = sign_in_with_token(session, token, address=address, at=at)
            else:
                session_id = sign_in_with_password(session, name, password, address=address, at=at)
            actor = session_actor(session, session_id, at=at)
        except TooManyAttemptsError as exc:
            return _throttled(request, session, exc)
        except EsignError as exc:
            return back("/admin/login", f"登录失败：{exc.message_zh}", error=True)
    response = RedirectResponse(_HOME.get(actor.role.value if actor.role else "", "/admin/seals"), status_code=303)
    set_session_cookie(request, response, session_id)
    return response


def _throttled(request: Request, session: Session, exc: TooManyAttemptsError) -> Response:
    """429 with the sign-in page for a browser, the error model for any other client."""
    headers = {"Retry-After": str(exc.data.get("retry_after", 60))}
    if "text/html" in request.headers.get("accept", ""):
        message = f"登录失败：{exc.message_zh} / {exc.message_en}"
        response = page(
            request, session, "admin/login.html", Actor.public(), status_code=429, flash=message, flash_kind="error"
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
        with dep.transaction() as session:
            end_session(session, session_id, at=now())
    response = RedirectResponse("/admin/login", status_code=303)
    clear_session_cookie(request, response)
    return response


@router.get("/seals", response_class=HTMLResponse)
def sealspage(request: Request, actor: CurrentActor, session: DbSession) -> Response:
    if actor.role is None:
        return RedirectResponse("/admin/login", status_code=303)
    try:
        authorize(actor, Permission.SEAL_VIEW)
    except EsignError as exc:
        return page(
            request,
            session,
            "admin/seals.html",
            actor,
            seals=[],
            can_decide=False,
            flash=exc.message_zh,
            flash_kind="error",
        )
    rows = []
    seals = list_seals(session, only_townships=visible_township_ids(actor))
    esl = seal_data_validity(session, [s.id for s in seals])
    for seal in seals:
        status = SealStatus(seal.status)
        rows.append(
            {
                "id": seal.id,
                "name": seal.name,
                "code": seal.code,
                "township": seal.township.name,
                "status": status.value,
                "status_zh": status.zh,
                "status_since": seal.status_since,
                "replaces_id": seal.replaces_id,
                "esl": esl.get(seal.id),
                "actions": [a for (s, a) in _TRANSITIONS if s is status],
            }
        )
    can_decide = actor.role is not None and actor.role.value == "reform_admin"
    return page(request, session, "admin/seals.html", actor, seals=rows, can_decide=can_decide)


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
    at = now()
    try:
        with dep.transaction() as session:
            seal = find_seal(session, seal_id)
            authorize(actor, Permission.SEAL_DECIDE, township_id=seal.township_id)
            result = change_seal(session, seal, action, actor=actor.name, reason=reason, at=at, ca=dep.seal_ca)
            message = f"已{action.zh}：{result.name}（{SealStatus(result.status).zh}）"
    except EsignError as exc:
        if isinstance(exc, REFUSALS):
            record_refusal_of(request, exc)
        return back("/admin/seals", f"操作未执行：{exc.message_zh}", error=True)
    return back("/admin/seals", message)


@router.get("/townships", response_class=HTMLResponse)
def townshipspage(request: Request, actor: CurrentActor, session: DbSession) -> Response:
    if actor.role is None:
        return RedirectResponse("/admin/login", status_code=303)
    authorize(actor, Permission.TOWNSHIP_VIEW)
    rows = [township_summary(session, t) for t in list_townships(session, only=visible_township_ids(actor))]
    return page(request, session, "admin/townships.html", actor, townships=rows)
