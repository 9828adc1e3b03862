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


def get_session(dep: Annotated[Deployment, Depends(get_deployment)]) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back on error."""
    with dep.transaction() as session:
        yield session


Dep = Annotated[Deployment, Depends(get_deployment)]
DbSession = Annotated[Session, Depends(get_session)]
