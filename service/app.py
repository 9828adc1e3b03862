"""The app factory: settings in, a FastAPI app out."""

from __future__ import annotations

import datetime as dt

from fastapi import FastAPI

from esign import __version__
from esign.config import Settings
from esign.deployment import Deployment
from esign.workflow.engine import StampEngine
from service.errors import install_error_handlers
from service.ratelimit import RateLimiter
from service.routes import (
    api_ledger,
    api_registry,
    api_stamp,
    health,
    pki,
    public_status,
    public_verify,
    web_admin,
    web_desk,
)

__all__ = ["create_app"]


def create_app(settings: Settings | None = None, *, deployment: Deployment | None = None) -> FastAPI:
    """Build the service for one data home. ``deployment`` may be passed in by tests."""
    dep = deployment or Deployment.open(settings)
    app = FastAPI(
        title="esign 乡镇行政审批服务专用章电子印章服务",
        description="County PKI, PAdES stamping, verification and the usage register for township seals.",
        version=__version__,
    )
    app.state.deployment = dep
    app.state.public_limiter = RateLimiter(dep.settings.public_rate_per_minute)
    app.state.stamp_engine = StampEngine(dep, clock=lambda: dt.datetime.now(dt.UTC))
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(pki.router)
    app.include_router(api_registry.router)
    app.include_router(api_stamp.router)
    app.include_router(api_ledger.router)
    app.include_router(web_admin.router)
    app.include_router(web_desk.router)
    app.include_router(public_verify.router)
    app.include_router(public_status.router)
    return app


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory service.app:app_from_env`` (workers read ESIGN_* from the environment)."""
    return create_app(Settings())
