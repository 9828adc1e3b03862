"""The oversight web pages (Chinese): 用印登记台账, 监管看板, 用印异常报告.

The pages call the same use cases as ``/api/v1/oversight`` (which record a refusal themselves) and
link their downloads (CSV, XLSX, PDF) to it; the browser's sign-in cookie authenticates those links.
The routes hold no database session.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from esign.errors import EsignError
from esign.ledger import DocumentType
from esign.oversight import BEIJING, Dashboard, Rule, donut, hbars, read_register, stacked_bars
from esign.registry import Actor
from service.auth import CurrentActor
from service.clock import now
from service.deps import Dep
from service.labels import error_zh
from service.routes.oversight_api import load_anomalies, load_dashboard
from service.routes.oversight_common import RegisterFilters, page_json
from service.web import render

__all__ = ["router"]

router = APIRouter(prefix="/oversight", include_in_schema=False)


def _refused(request: Request, actor: Actor, exc: EsignError, title: str) -> Response:
    """The page answering a refusal (the use case that refused has recorded it)."""
    return render(
        request,
        "oversight/refused.html",
        actor,
        status_code=exc.http_status,
        title=title,
        flash=exc.message_zh,
        flash_kind="error",
    )


@router.get("", include_in_schema=False)
def home() -> Response:
    return RedirectResponse("/oversight/register", status_code=303)


@router.get("/register", response_class=HTMLResponse)
def register_page(
    request: Request,
    actor: CurrentActor,
    dep: Dep,
    given: Annotated[RegisterFilters, Depends()],
    township: str = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Response:
    if actor.role is None:
        return RedirectResponse("/admin/login", status_code=303)
    try:
        args = given.args(township=township, limit=limit, newest_first=True)
        view = read_register(dep.transaction, actor, args, at=now())
    except EsignError as exc:
        return _refused(request, actor, exc, "用印登记台账")
    result, chosen = view.page, view.township
    filters = given.present(township=township)
    query = urlencode(filters)
    api = f"/api/v1/oversight/townships/{chosen.id}/register" if chosen else "/api/v1/oversight/register"
    this_month = dt.datetime.now(BEIJING).strftime("%Y-%m")
    return render(
        request,
        "oversight/register.html",
        actor,
        rows=page_json(result)["rows"],
        total=result.total,
        next_link=(
            "/oversight/register?" + urlencode({**filters, "cursor": result.next_cursor.encode(), "limit": limit})
            if result.next_cursor
            else None
        ),
        first_link="/oversight/register?" + urlencode(filters) if given.cursor else None,
        csv_link=f"{api}?{urlencode({**filters, 'format': 'csv'})}",
        xlsx_link=f"{api}?{urlencode({**filters, 'format': 'xlsx'})}",
        f=filters,
        query=query,
        townships=view.townships,
        chosen=chosen,
        document_types=[d.value for d in DocumentType],
        this_month=this_month,
        department_limited=view.department_limited,
    )


@router.get("/register/monthly")
def monthly_pdf(township: int, month: str) -> Response:
    """The month picker's target: the PDF route of the API (which checks who may read it)."""
    return RedirectResponse(f"/api/v1/oversight/townships/{township}/register/{month[:7]}.pdf", status_code=303)


def _charts(board: Dashboard) -> dict[str, str]:
    per = {(m.month, m.township): m.stamps for m in board.per_month}
    series = [(t, [per.get((mo, t), 0) for mo in board.months]) for t in board.townships]
    months = [f"{int(m[5:])}月" if m[5:] != "01" else f"{m[:4]}年1月" for m in board.months]
    return {
        "per_month": stacked_bars(months, series, title="各乡镇每月用印次数"),
        "top_items": hbars([(c.name, c.count) for c in board.top_items], title="用印最多的事项", width=560),
        "by_type": donut([(c.name, c.count) for c in board.by_type], title="按事项类型统计", width=560),
        "refusals": hbars(
            [(error_zh(c.name), c.count) for c in board.refusals],
            title="被拒绝的用印尝试（按原因）",
            color="#8a5a00",
            label_width=200,
            width=560,
        ),
    }


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(
    request: Request,
    actor: CurrentActor,
    dep: Dep,
    township: str = "",
    months: Annotated[int, Query(ge=1, le=24)] = 6,
) -> Response:
    if actor.role is None:
        return RedirectResponse("/admin/login", status_code=303)
    try:
        view = load_dashboard(actor, dep, township or None, months)
    except EsignError as exc:
        return _refused(request, actor, exc, "监管看板")
    board = view.board
    params = urlencode({k: v for k, v in {"township": township, "months": months}.items() if v})
    stamps = sum(m.stamps for m in board.per_month)
    impressions = sum(m.impressions for m in board.per_month)
    refused = sum(c.count for c in board.refusals)
    active = len({m.township for m in board.per_month})
    return render(
        request,
        "oversight/dashboard.html",
        actor,
        board=board,
        charts=_charts(board),
        params=params,
        township=view.township.name if view.township else None,
        months=months,
        townships=view.townships,
        kpis=[
            ("用印次数", stamps),
            ("使用数合计", impressions),
            ("有用印的乡镇", f"{active} / {len(board.townships)}"),
            *([("被拒绝的尝试", refused)] if board.show_refusals else []),
        ],
        period=f"{board.months[0]} 至 {board.months[-1]}",
    )


@router.get("/anomalies", response_class=HTMLResponse)
def anomalies_page(
    request: Request,
    actor: CurrentActor,
    dep: Dep,
    since: str = "",
    until: str = "",
    work_start: str = "08:00",
    work_end: str = "18:00",
) -> Response:
    if actor.role is None:
        return RedirectResponse("/admin/login", status_code=303)
    try:
        report = load_anomalies(
            actor,
            dep,
            since=since or None,
            until=until or None,
            work_start=work_start,
            work_end=work_end,
            burst_factor=3.0,
            refusal_threshold=5,
        )
    except EsignError as exc:
        return _refused(request, actor, exc, "用印异常报告")
    counts = {rule: sum(1 for f in report.findings if f.rule is rule) for rule in Rule}
    params = urlencode(
        {k: v for k, v in {"since": since, "until": until, "work_start": work_start, "work_end": work_end}.items() if v}
    )
    return render(
        request,
        "oversight/anomalies.html",
        actor,
        report=report,
        counts=counts,
        rules=list(Rule),
        beijing=BEIJING,
        since=since or report.since.astimezone(BEIJING).date().isoformat(),
        until=until or (report.until.astimezone(BEIJING) - dt.timedelta(seconds=1)).date().isoformat(),
        work_start=work_start,
        work_end=work_end,
        csv_link="/api/v1/oversight/anomalies?" + urlencode({"format": "csv"}) + ("&" + params if params else ""),
    )
