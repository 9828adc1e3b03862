"""Oversight by the county reform office: the county's usage register with filters and exports,
the printable monthly register, the dashboard and the anomaly report.

The register is read through a projection of the append-only log (:mod:`~esign.oversight.models`,
:mod:`~esign.oversight.register`); what each actor sees is decided by :mod:`esign.registry.authz`
(:mod:`~esign.oversight.scope`); the anomaly rules are pure functions (:mod:`~esign.oversight.rules`).
The edges call the use cases (:mod:`~esign.oversight.usecases`), each reading in one transaction.

The names are loaded on first use (PEP 562): :mod:`esign.models` imports :mod:`esign.oversight.models`
for migrations, which runs this module, and that must not load the printable register (fontTools,
Pillow), the spreadsheet export or the charts.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from esign.oversight.api import (
        BEIJING,
        Cursor,
        OversightPage,
        OversightRow,
        RegisterFilter,
        Scope,
        beijing_day_start,
        month_bounds,
        parse_day,
    )
    from esign.oversight.audit import check_projection
    from esign.oversight.charts import donut, hbars, stacked_bars
    from esign.oversight.export import oversight_csv, oversight_xlsx
    from esign.oversight.monthly import monthly_register
    from esign.oversight.pdf import MonthlyRegister, monthly_register_pdf, register_title
    from esign.oversight.register import iter_register, query_register, sync_projection
    from esign.oversight.report import AnomalyReport, anomaly_report
    from esign.oversight.rules import AnomalySettings, Finding, RefusalRow, Rule, UsageRow, run_rules
    from esign.oversight.scope import scope_for
    from esign.oversight.stats import Dashboard, MonthCount, NamedCount, dashboard
    from esign.oversight.usecases import (
        DEFAULT_ANOMALY_PERIOD,
        DashboardView,
        RegisterArgs,
        RegisterExport,
        RegisterView,
        TownshipMonth,
        TownshipRef,
        county_anomalies,
        county_dashboard,
        export_register,
        read_register,
        township_month,
    )

__all__ = [
    "BEIJING",
    "DEFAULT_ANOMALY_PERIOD",
    "AnomalyReport",
    "AnomalySettings",
    "Cursor",
    "Dashboard",
    "DashboardView",
    "Finding",
    "MonthCount",
    "MonthlyRegister",
    "NamedCount",
    "OversightPage",
    "OversightRow",
    "RefusalRow",
    "RegisterArgs",
    "RegisterExport",
    "RegisterFilter",
    "RegisterView",
    "Rule",
    "Scope",
    "TownshipMonth",
    "TownshipRef",
    "UsageRow",
    "anomaly_report",
    "beijing_day_start",
    "check_projection",
    "county_anomalies",
    "county_dashboard",
    "dashboard",
    "donut",
    "export_register",
    "hbars",
    "iter_register",
    "month_bounds",
    "monthly_register",
    "monthly_register_pdf",
    "oversight_csv",
    "oversight_xlsx",
    "parse_day",
    "query_register",
    "read_register",
    "register_title",
    "run_rules",
    "scope_for",
    "stacked_bars",
    "sync_projection",
    "township_month",
]

#: Where each name of the face lives.
_HOMES = {
    "BEIJING": "api",
    "Cursor": "api",
    "OversightPage": "api",
    "OversightRow": "api",
    "RegisterFilter": "api",
    "Scope": "api",
    "beijing_day_start": "api",
    "month_bounds": "api",
    "parse_day": "api",
    "check_projection": "audit",
    "donut": "charts",
    "hbars": "charts",
    "stacked_bars": "charts",
    "oversight_csv": "export",
    "oversight_xlsx": "export",
    "monthly_register": "monthly",
    "MonthlyRegister": "pdf",
    "monthly_register_pdf": "pdf",
    "register_title": "pdf",
    "iter_register": "register",
    "query_register": "register",
    "sync_projection": "register",
    "AnomalyReport": "report",
    "anomaly_report": "report",
    "AnomalySettings": "rules",
    "Finding": "rules",
    "RefusalRow": "rules",
    "Rule": "rules",
    "UsageRow": "rules",
    "run_rules": "rules",
    "scope_for": "scope",
    "Dashboard": "stats",
    "MonthCount": "stats",
    "NamedCount": "stats",
    "dashboard": "stats",
    "DEFAULT_ANOMALY_PERIOD": "usecases",
    "DashboardView": "usecases",
    "RegisterArgs": "usecases",
    "RegisterExport": "usecases",
    "RegisterView": "usecases",
    "TownshipMonth": "usecases",
    "TownshipRef": "usecases",
    "county_anomalies": "usecases",
    "county_dashboard": "usecases",
    "export_register": "usecases",
    "read_register": "usecases",
    "township_month": "usecases",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
