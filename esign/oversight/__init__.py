"""Oversight by the county reform office: the county's usage register with filters and exports,
the printable monthly register, the dashboard and the anomaly report.

The register is read through a projection of the append-only log (:mod:`~esign.oversight.models`,
:mod:`~esign.oversight.register`); what each actor sees is decided by :mod:`esign.registry.authz`
(:mod:`~esign.oversight.scope`); the anomaly rules are pure functions (:mod:`~esign.oversight.rules`).
"""

from esign.oversight.api import (
    BEIJING,
    Cursor,
    OversightPage,
    OversightRow,
    RegisterFilter,
    Scope,
    beijing_day_start,
    month_bounds,
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

__all__ = [
    "BEIJING",
    "AnomalyReport",
    "AnomalySettings",
    "Cursor",
    "Dashboard",
    "Finding",
    "MonthCount",
    "MonthlyRegister",
    "NamedCount",
    "OversightPage",
    "OversightRow",
    "RefusalRow",
    "RegisterFilter",
    "Rule",
    "Scope",
    "UsageRow",
    "anomaly_report",
    "beijing_day_start",
    "check_projection",
    "dashboard",
    "donut",
    "hbars",
    "iter_register",
    "month_bounds",
    "monthly_register",
    "monthly_register_pdf",
    "oversight_csv",
    "oversight_xlsx",
    "query_register",
    "register_title",
    "run_rules",
    "scope_for",
    "stacked_bars",
    "sync_projection",
]
