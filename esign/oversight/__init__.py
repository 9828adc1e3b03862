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

from typing import TYPE_CHECKING

from esign.lazy import lazy_face

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

#: Where each name of the face lives (loaded on first use).
__getattr__, __dir__ = lazy_face(
    __name__,
    __all__,
    {
        "api": (
            "BEIJING",
            "Cursor",
            "OversightPage",
            "OversightRow",
            "RegisterFilter",
            "Scope",
            "beijing_day_start",
            "month_bounds",
            "parse_day",
        ),
        "audit": ("check_projection",),
        "charts": ("donut", "hbars", "stacked_bars"),
        "export": ("oversight_csv", "oversight_xlsx"),
        "monthly": ("monthly_register",),
        "pdf": ("MonthlyRegister", "monthly_register_pdf", "register_title"),
        "register": ("iter_register", "query_register", "sync_projection"),
        "report": ("AnomalyReport", "anomaly_report"),
        "rules": ("AnomalySettings", "Finding", "RefusalRow", "Rule", "UsageRow", "run_rules"),
        "scope": ("scope_for",),
        "stats": ("Dashboard", "MonthCount", "NamedCount", "dashboard"),
        "usecases": (
            "DEFAULT_ANOMALY_PERIOD",
            "DashboardView",
            "RegisterArgs",
            "RegisterExport",
            "RegisterView",
            "TownshipMonth",
            "TownshipRef",
            "county_anomalies",
            "county_dashboard",
            "export_register",
            "read_register",
            "township_month",
        ),
    },
)
