"""Who is calling: a bearer token (API) or the signed-in web session; otherwise the public."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Depends, Request

from esign.registry import Actor, authenticate_token
from service.deps import Dep

__all__ = ["CurrentActor", "get_actor"]


def get_actor(request: Request, dep: Dep) -> Actor:
    """The actor of this request; an invalid token is an error, no token means the public."""
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else request.cookies.get("esign_token", "")
    actor = Actor.public()
    if token:
        with dep.transaction() as session:
            actor = authenticate_token(session, token, at=dt.datetime.now(dt.UTC))
    request.state.actor = actor
    return actor


CurrentActor = Annotated[Actor, Depends(get_actor)]
