"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from esign import __version__
from service.deps import Dep

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="健康检查 / health")
def health(dep: Dep) -> dict[str, object]:
    """Process is up, database answers, whether the county PKI exists."""
    with dep.engine.connect() as conn:
        conn.execute(text("select 1"))
    return {"status": "ok", "version": __version__, "pki": dep.has_pki}
