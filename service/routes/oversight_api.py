"""/api/v1/oversight: the county's usage register (filters, paging, CSV/XLSX), each township's
monthly register as PDF, the dashboard's numbers (JSON and CSV) and the anomaly report."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from esign.errors import InputError, NotFoundError
from esign.ledger import register_csv, register_xlsx
from esign.oversight import (
    BEIJING,
    AnomalyReport,
    AnomalySettings,
    Dashboard,
    DashboardView,
    Finding,
    county_anomalies,
    county_dashboard,
    export_register,
    monthly_register_pdf,
    oversight_csv,
    oversight_xlsx,
    parse_day,
    read_register,
    township_month,
)
from service.auth import CurrentActor
from service.clock import now
from service.deps import Dep
from service.labels import ERROR_ZH, error_zh
from service.routes.oversight_common import RegisterQuery, Since, Until, page_json

__all__ = [
    "DATASETS",
    "anomaly_rows",
    "dashboard_json",
    "dataset_rows",
    "load_anomalies",
    "load_dashboard",
    "router",
]

router = APIRouter(tags=["oversight"])

_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(data: bytes, media_type: str, filename: str) -> Response:
    # RFC 6266/5987: an ASCII fallback name and the Chinese one.
    ascii_name = filename.encode("ascii", "ignore").decode() or "download"
    return Response(
        data,
        media_type=media_type,
        headers={"Content-Disposition": f"attachment; filename={ascii_name}; filename*=UTF-8''{quote(filename)}"},
    )


def _register(query: RegisterQuery, actor: CurrentActor, dep: Dep, *, township: str | None, own: bool) -> Any:
    """The register as JSON, CSV or XLSX; ``own``: one township's own register, exported exactly as the
    ledger exports a township's (its columns, no township column)."""
    args = query.paged(township=township)
    if query.format == "json":
        view = read_register(dep.transaction, actor, args, at=now())
        return {"township": view.township.name if view.township else None, **page_json(view.page)}
    export = export_register(dep.transaction, actor, args, at=now())
    name = f"{export.township.name if export.township else '全县'}用印登记台账"
    if own:
        lines = [r.line for r in export.rows]
        if query.format == "csv":
            return _download(register_csv(lines), "text/csv; charset=utf-8", f"{name}.csv")
        return _download(register_xlsx(lines, title=name), _XLSX, f"{name}.xlsx")
    if query.format == "csv":
        return _download(oversight_csv(export.rows), "text/csv; charset=utf-8", f"{name}.csv")
    return _download(oversight_xlsx(export.rows, title=name), _XLSX, f"{name}.xlsx")


_Query = Annotated[RegisterQuery, Depends()]


@router.get("/api/v1/oversight/register", summary="全县用印登记台账 / the county's usage register")
def county_register(
    actor: CurrentActor,
    dep: Dep,
    query: _Query,
    township: Annotated[str | None, Query(description="乡镇名称或编号")] = None,
) -> Any:
    return _register(query, actor, dep, township=township, own=False)


@router.get("/api/v1/oversight/townships/{ref}/register", summary="乡镇用印登记台账 / one township's register")
def township_register(ref: str, actor: CurrentActor, dep: Dep, query: _Query) -> Any:
    return _register(query, actor, dep, township=ref, own=True)


@router.get(
    "/api/v1/oversight/townships/{ref}/register/{month}.pdf",
    summary="乡镇月度用印登记台账（PDF，可打印） / a township's monthly register as PDF",
)
def township_month_pdf(ref: str, month: str, actor: CurrentActor, dep: Dep) -> Response:
    made = township_month(dep.transaction, actor, ref, month, at=now())
    pdf = monthly_register_pdf(made.register)
    return _download(pdf, "application/pdf", f"{made.township.name}用印登记台账{month}.pdf")


# -- dashboard ---------------------------------------------------------------------------------------

#: The dashboard's data sets: name → (Chinese title, CSV header).
DATASETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "per-month": ("各乡镇每月用印次数", ("月份", "乡镇", "用印次数", "使用数")),
    "top-items": ("用印最多的事项", ("事项", "用印次数")),
    "by-type": ("按事项类型统计", ("事项类型", "用印次数")),
    "refusals": ("被拒绝的用印尝试（按原因）", ("原因代码", "原因", "次数")),
}

#: Chinese names of the refusal codes the workflow and the authorization give.
REFUSAL_REASONS = ERROR_ZH


def dataset_rows(board: Dashboard, name: str) -> list[Sequence[str | int]]:
    """The rows behind one chart, in its CSV header's order."""
    if name == "per-month":
        return [(m.month, m.township, m.stamps, m.impressions) for m in board.per_month]
    if name == "top-items":
        return [(c.name, c.count) for c in board.top_items]
    if name == "by-type":
        return [(c.name, c.count) for c in board.by_type]
    if name == "refusals":
        return [(c.name, error_zh(c.name), c.count) for c in board.refusals]
    raise NotFoundError(f"没有数据集“{name}”。", f"No data set {name!r}.", code="dataset_not_found")


def dashboard_json(board: Dashboard) -> dict[str, Any]:
    """The dashboard's numbers on the wire."""
    return {
        "months": list(board.months),
        "townships": list(board.townships),
        **{
            name: [dict(zip(header, row, strict=True)) for row in dataset_rows(board, name)]
            for name, (_title, header) in DATASETS.items()
        },
        "show_refusals": board.show_refusals,
    }


def _csv(header: Sequence[str], rows: Iterable[Sequence[str | int]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    for row in rows:
        w.writerow(["'" + v if isinstance(v, str) and v[:1] in "=+-@" else v for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def load_dashboard(actor: CurrentActor, dep: Dep, township: str | None, months: int) -> DashboardView:
    """The dashboard of the actor's scope, optionally narrowed to one township (shared with the page)."""
    return county_dashboard(dep.transaction, actor, at=now(), months=months, township=township)


_Months = Annotated[int, Query(ge=1, le=24, description="显示最近几个月")]


@router.get("/api/v1/oversight/dashboard", summary="监管看板数据 / the dashboard's numbers")
def dashboard_api(actor: CurrentActor, dep: Dep, township: str | None = None, months: _Months = 6) -> dict[str, Any]:
    view = load_dashboard(actor, dep, township, months)
    return {"township": view.township.name if view.township else None, **dashboard_json(view.board)}


@router.get("/api/v1/oversight/dashboard/{name}.csv", summary="看板图表数据（CSV） / the numbers behind a chart")
def dashboard_csv(
    name: str, actor: CurrentActor, dep: Dep, township: str | None = None, months: _Months = 6
) -> Response:
    if name not in DATASETS:
        raise NotFoundError(f"没有数据集“{name}”。", f"No data set {name!r}.", code="dataset_not_found")
    board = load_dashboard(actor, dep, township, months).board
    title, header = DATASETS[name]
    return _download(_csv(header, dataset_rows(board, name)), "text/csv; charset=utf-8", f"{title}.csv")


# -- anomalies ---------------------------------------------------------------------------------------


def _clock(value: str, field: str) -> dt.time:
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        raise InputError(f"时间格式应为 HH:MM：{value}", f"Times are HH:MM: {value!r}", field=field) from None


def load_anomalies(
    actor: CurrentActor,
    dep: Dep,
    *,
    since: str | None,
    until: str | None,
    work_start: str,
    work_end: str,
    burst_factor: float,
    refusal_threshold: int,
) -> AnomalyReport:
    """The anomaly report for the actor (shared with the page); the default period is the last 30 days."""
    end = parse_day(until, "until", end=True)
    start = parse_day(since, "since")
    settings = AnomalySettings(
        work_start=_clock(work_start, "work_start"),
        work_end=_clock(work_end, "work_end"),
        burst_factor=burst_factor,
        refusal_threshold=refusal_threshold,
    )
    return county_anomalies(dep.transaction, actor, at=now(), since=start, until=end, settings=settings)


def _finding_json(f: Finding, report: AnomalyReport) -> dict[str, Any]:
    return {
        "rule": f.rule.value,
        "rule_zh": f.rule.zh,
        "at": f.at.isoformat(),
        "summary": f.summary_zh,
        "township": report.townships.get(f.township_id) if f.township_id is not None else None,
        "actor": f.actor,
        "count": f.count,
        "entry_ids": list(f.entry_ids),
        "entry_links": [f"/v/{e}" for e in f.entry_ids],
        "audit_events": [
            {
                "id": report.refusals[i].id,
                "at": report.refusals[i].at.isoformat(),
                "actor": report.refusals[i].actor,
                "action": report.refusals[i].action,
                "target": report.refusals[i].target,
                "code": report.refusals[i].code,
                "detail": report.refusals[i].detail,
            }
            for i in f.audit_event_ids
            if i in report.refusals
        ],
        "data": f.data,
    }


def anomaly_rows(report: AnomalyReport) -> list[tuple[str, str, str, str, str, int, str]]:
    """CSV rows: 规则, 时间, 乡镇, 人员, 说明, 记录数, 登记编号或审计事件."""
    out = []
    for f in report.findings:
        refs = " ".join(f.entry_ids) or " ".join(f"audit:{i}" for i in f.audit_event_ids)
        township = report.townships.get(f.township_id, "") if f.township_id is not None else ""
        when = f.at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
        out.append((f.rule.zh, when, township, f.actor, f.summary_zh, f.count, refs))
    return out


@router.get("/api/v1/oversight/anomalies", summary="用印异常报告 / anomaly report (reform office)")
def anomalies(
    actor: CurrentActor,
    dep: Dep,
    since: Since = None,
    until: Until = None,
    work_start: Annotated[str, Query(description="工作时间开始 HH:MM（北京时间）")] = "08:00",
    work_end: Annotated[str, Query(description="工作时间结束 HH:MM")] = "18:00",
    burst_factor: Annotated[float, Query(gt=1, le=100)] = 3.0,
    refusal_threshold: Annotated[int, Query(ge=2, le=1000)] = 5,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> Any:
    report = load_anomalies(
        actor,
        dep,
        since=since,
        until=until,
        work_start=work_start,
        work_end=work_end,
        burst_factor=burst_factor,
        refusal_threshold=refusal_threshold,
    )
    if format == "csv":
        header = ("规则", "时间", "乡镇", "人员", "说明", "记录数", "登记编号或审计事件")
        return _download(_csv(header, anomaly_rows(report)), "text/csv; charset=utf-8", "用印异常报告.csv")
    return {
        "since": report.since.isoformat(),
        "until": report.until.isoformat(),
        "findings": [_finding_json(f, report) for f in report.findings],
    }
