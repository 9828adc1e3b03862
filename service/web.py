"""Shared pieces of the Chinese web pages: templates, the page renderer, redirects with a message."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from esign.errors import EsignError
from esign.registry import Actor, get_county

__all__ = ["back", "page", "templates"]

templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))


def page(
    request: Request, session: Session, name: str, actor: Actor, *, status_code: int = 200, **context: object
) -> HTMLResponse:
    """Render ``name`` with the county, the actor and a flash message taken from the query string."""
    try:
        county = get_county(session).name
    except EsignError:
        county = ""
    base = {
        "actor": actor,
        "county": county,
        "flash": request.query_params.get("msg"),
        "flash_kind": "error" if request.query_params.get("kind") == "error" else "ok",
    }
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)


def back(path: str, message: str, *, error: bool = False) -> RedirectResponse:
    """Redirect (303) to ``path`` showing ``message``."""
    kind = "&kind=error" if error else ""
    return RedirectResponse(f"{path}?msg={quote(message)}{kind}", status_code=303)
