"""FastAPI dependencies: the deployment. Routes hold no database session: each use case owns its transaction."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from esign.deployment import Deployment

__all__ = ["Dep", "get_deployment"]


async def get_deployment(request: Request) -> Deployment:
    """The deployment opened by the app factory.

    ``async`` although it awaits nothing: FastAPI runs a plain ``def`` dependency in its thread pool,
    a thread hop (and a turn at the GIL beside the documents in work) for one attribute read, on
    every request that names :data:`Dep`.
    """
    dep: Deployment = request.app.state.deployment
    return dep


Dep = Annotated[Deployment, Depends(get_deployment)]
