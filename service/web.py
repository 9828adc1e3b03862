"""Shared pieces of the Chinese web pages: templates, the page renderer, redirects with a message."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from esign.localtime import DEFAULT_ZONE, local_text, zone_label
from esign.registry import Actor, Permission, Role, county_name
from service import labels
from service.websession import csrf_input, finish_page

__all__ = ["MENUS", "back", "menu_for", "render", "templates"]

templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))
templates.env.globals.update(
    csrf_input=csrf_input,  # {{ csrf_input() }} in every form that posts
    error_zh=labels.error_zh,
    action_zh=labels.action_zh,
    level_zh=labels.level_zh,
    page_zh=labels.page_zh,
    changes_zh=labels.CHANGES_ZH,
    subindication_zh=labels.SUBINDICATION_ZH,
)


#: Each role's menu: the pages it uses, each with the permission it needs (checked by the tests
#: against :data:`esign.registry.authz.PERMISSIONS`, so no menu leads to a refusal).
MENUS: dict[Role, tuple[tuple[str, str, Permission], ...]] = {
    Role.CLERK: (
        ("/desk/new", "申请用印", Permission.STAMP_REQUEST),
        ("/desk/requests", "我的用印申请", Permission.STAMP_VIEW),
    ),
    Role.APPROVER: (
        ("/desk/requests", "待批准", Permission.STAMP_APPROVE),
        ("/oversight/register", "用印台账", Permission.OVERSIGHT_REGISTER),
    ),
    Role.CUSTODIAN: (
        ("/desk/requests", "用印申请", Permission.STAMP_VIEW),
        ("/admin/seals", "印章", Permission.SEAL_VIEW),
        ("/oversight/register", "用印台账", Permission.OVERSIGHT_REGISTER),
    ),
    Role.DEPARTMENT: (
        ("/oversight/register", "用印台账", Permission.OVERSIGHT_REGISTER),
        ("/oversight/dashboard", "监管看板", Permission.OVERSIGHT_DASHBOARD),
    ),
    Role.REFORM_ADMIN: (
        ("/admin/seals", "印章", Permission.SEAL_DECIDE),
        ("/admin/townships", "乡镇", Permission.TOWNSHIP_MANAGE),
        ("/desk/requests", "用印申请", Permission.STAMP_VIEW),
        ("/oversight/register", "用印台账", Permission.OVERSIGHT_REGISTER),
        ("/oversight/dashboard", "监管看板", Permission.OVERSIGHT_DASHBOARD),
        ("/oversight/anomalies", "异常报告", Permission.OVERSIGHT_ANOMALIES),
    ),
}


def menu_for(actor: Actor) -> list[tuple[str, str]]:
    """``(href, label)`` of the pages ``actor``'s role uses; none for the public."""
    return [(href, label) for href, label, _ in MENUS.get(actor.role, ())] if actor.role else []


def render(request: Request, name: str, actor: Actor, *, status_code: int = 200, **context: object) -> HTMLResponse:
    """Render ``name`` with the county, the actor, a flash message taken from the query string and
    ``local(at)``, which writes an instant in the deployment's zone (``tz`` names it: 北京时间); a
    page with a form that posts sets the pre-session cookie its CSRF token needs. The county's name
    is read by its own use case: the route holds no database session."""
    county = county_name(request.app.state.deployment) or ""
    return _respond(request, county, name, actor, status_code=status_code, **context)


def _respond(
    request: Request, county: str, name: str, actor: Actor, *, status_code: int, **context: object
) -> HTMLResponse:
    zone = _zone(request)
    base = {
        "actor": actor,
        "menu": menu_for(actor),
        "county": county,
        "flash": request.query_params.get("msg"),
        "flash_kind": "error" if request.query_params.get("kind") == "error" else "ok",
        "local": partial(local_text, zone=zone),
        "tz": zone_label(zone),
    }
    response = templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)
    finish_page(request, response)
    return response


def _zone(request: Request) -> str:
    deployment = getattr(request.app.state, "deployment", None)
    return deployment.settings.timezone if deployment is not None else DEFAULT_ZONE


def back(path: str, message: str, *, error: bool = False) -> RedirectResponse:
    """Redirect (303) to ``path`` showing ``message``."""
    kind = "&kind=error" if error else ""
    return RedirectResponse(f"{path}?msg={quote(message)}{kind}", status_code=303)
