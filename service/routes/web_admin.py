"""The reform office's web pages (Chinese): sign in, seals with lifecycle actions, townships."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from esign.errors import EsignError
from esign.registry import (
    Actor,
    Permission,
    SealAction,
    SealStatus,
    authenticate_password,
    authenticate_token,
    authorize,
    change_seal,
    find_person,
    find_seal,
    issue_token,
    list_seals,
    list_townships,
    township_summary,
    visible_township_ids,
)
from esign.registry.lifecycle import _TRANSITIONS
from esign.registry.seals import seal_data_validity
from service.auth import CurrentActor
from service.deps import DbSession, Dep
from service.errors import REFUSALS, record_refusal_of
from service.web import back, page

__all__ = ["router"]

router = APIRouter(prefix="/admin", include_in_schema=False)

_COOKIE = "esign_token"
_WEB_SESSION = dt.timedelta(hours=8)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@router.get("/login", response_class=HTMLResponse)
def loginpage(request: Request, session: DbSession) -> HTMLResponse:
    return page(request, session, "admin/login.html", Actor.public())


@router.post("/login")
def login(
    session: DbSession,
    name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    token: Annotated[str, Form()] = "",
) -> Response:
    at = _now()
    try:
        if token.strip():
            authenticate_token(session, token, at=at)
            value = token.strip()
        else:
            actor = authenticate_password(session, name, password)
            value = issue_token(
                session, find_person(session, actor.person_id or 0), at=at, valid_for=_WEB_SESSION, label="web"
            )
    except EsignError as exc:
        return back("/admin/login", f"登录失败：{exc.message_zh}", error=True)
    home = {
        "clerk": "/desk/new",
        "approver": "/desk/requests",
        "custodian": "/desk/requests",
        "department": "/oversight/register",
        "reform_admin": "/admin/seals",
    }
    with_role = authenticate_token(session, value, at=at)
    target = home.get(with_role.role.value if with_role.role else "", "/admin/seals")
    response = RedirectResponse(target, status_code=303)
    # SameSite=Strict keeps the cookie off cross-site form posts (CSRF); HttpOnly keeps it from scripts.
    response.set_cookie(_COOKIE, value, httponly=True, samesite="strict", max_age=int(_WEB_SESSION.total_seconds()))
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/admin/login", status_code=303)
    response.delete_cookie(_COOKIE)
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
    at = _now()
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
