"""FastAPI dependencies: the deployment and a database session per request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from esign.deployment import Deployment

__all__ = ["DbSession", "Dep", "get_deployment", "get_session"]


def get_deployment(request: Request) -> Deployment:
    """The deployment opened by the app factory."""
    dep: Deployment = request.app.state.deployment
    return dep


def get_session(request: Request, dep: Annotated[Deployment, Depends(get_deployment)]) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back on error.

    While it is open it is ``request.state.db``: a refusal the route answers itself is recorded in
    it (:func:`service.errors.record_refusal_of`), never in a second session that would wait for
    this one's write lock on SQLite.
    """
    with dep.transaction() as session:
        request.state.db = session
        try:
            yield session
        finally:
            request.state.db = None


Dep = Annotated[Deployment, Depends(get_deployment)]
DbSession = Annotated[Session, Depends(get_session)]
