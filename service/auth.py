"""Who is calling: a bearer token (API) or the signed-in web session; otherwise the public.

A request authenticated by the session cookie that changes state must carry the session's CSRF
token (see :mod:`service.websession`); an unknown, expired or ended session is the public.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from esign.deployment import Deployment
from esign.errors import AuthError
from esign.registry import Actor, token_actor, web_session_actor
from service.clock import now
from service.deps import Dep
from service.websession import SESSION_COOKIE, UNSAFE_METHODS, check_csrf, submitted_csrf_token

__all__ = ["CurrentActor", "get_actor"]


def _token_actor(dep: Deployment, token: str) -> Actor:
    return token_actor(dep, token, at=now())


def _session_actor(dep: Deployment, session_id: str) -> Actor:
    try:
        return web_session_actor(dep, session_id, at=now())
    except AuthError:  # signed out or expired: the pages send the browser to sign in again
        return Actor.public()


async def get_actor(request: Request, dep: Dep) -> Actor:
    """The actor of this request; an invalid bearer token is an error, no credentials mean the public."""
    header = request.headers.get("authorization", "")
    actor = Actor.public()
    if header.lower().startswith("bearer "):
        if token := header[7:].strip():
            actor = await run_in_threadpool(_token_actor, dep, token)
    elif session_id := request.cookies.get(SESSION_COOKIE, ""):
        actor = await run_in_threadpool(_session_actor, dep, session_id)
        request.state.actor = actor
        if actor.role is not None and request.method in UNSAFE_METHODS:
            check_csrf(request, session_id, await submitted_csrf_token(request))
    request.state.actor = actor
    return actor


CurrentActor = Annotated[Actor, Depends(get_actor)]
