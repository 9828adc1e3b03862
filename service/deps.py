"""FastAPI dependencies: the deployment. Routes hold no database session: each use case owns its transaction."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from esign.deployment import Deployment

__all__ = ["Dep", "get_deployment"]


def get_deployment(request: Request) -> Deployment:
    """The deployment opened by the app factory."""
    dep: Deployment = request.app.state.deployment
    return dep


Dep = Annotated[Deployment, Depends(get_deployment)]
