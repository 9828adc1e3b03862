"""The front door: the landing page at ``/``, the favicon, and the API documentation served offline.

The API documentation pages (Swagger UI at ``/docs``, ReDoc at ``/redoc``) load their scripts and
styles from this service (the copies packaged in the ``fastapi-offline`` wheel, installed with
esign), never from a public CDN: a county intranet reaches no CDN. ReDoc's Google fonts are off for
the same reason.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from esign.registry import Actor
from service.web import render

__all__ = ["install_api_docs", "router"]

router = APIRouter(include_in_schema=False)

_ASSETS = "/assets/apidocs"


@router.get("/", response_class=HTMLResponse)
def landing(request: Request) -> HTMLResponse:
    """What this service is, and the four things a visitor comes for."""
    return render(request, "public/home.html", Actor.public())


@router.get("/favicon.ico")
def favicon() -> Response:
    return Response(_favicon(), media_type="image/x-icon", headers={"Cache-Control": "public, max-age=86400"})


@lru_cache(maxsize=1)
def _favicon() -> bytes:
    """A red seal ring with a five-pointed star, drawn once (no file to ship)."""
    import math

    from PIL import Image, ImageDraw

    size = 64
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    red = (179, 0, 27, 255)
    draw.ellipse((3, 3, size - 4, size - 4), outline=red, width=6)
    c, outer, inner = size / 2, 17.0, 7.0
    star = [
        (
            c + (outer if i % 2 == 0 else inner) * math.sin(i * math.pi / 5),
            c - (outer if i % 2 == 0 else inner) * math.cos(i * math.pi / 5),
        )
        for i in range(10)
    ]
    draw.polygon(star, fill=red)
    out = io.BytesIO()
    img.save(out, format="ICO", sizes=[(16, 16), (32, 32), (48, 48)])
    return out.getvalue()


def _assets_dir() -> Path:
    import fastapi_offline

    return Path(fastapi_offline.__file__).resolve().parent / "static"


def install_api_docs(app: FastAPI) -> None:
    """Serve ``/docs`` and ``/redoc`` with assets from this service (the app is made with
    ``docs_url=None, redoc_url=None``)."""
    app.mount(_ASSETS, StaticFiles(directory=_assets_dir()), name="apidocs")
    title = app.title

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{title} · API",
            swagger_js_url=f"{_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{_ASSETS}/swagger-ui.css",
            swagger_favicon_url="/favicon.ico",
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{title} · API",
            redoc_js_url=f"{_ASSETS}/redoc.standalone.js",
            redoc_favicon_url="/favicon.ico",
            with_google_fonts=False,
        )
