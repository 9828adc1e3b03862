"""CSV and XLSX of the county's register: the township register's columns, with 乡镇 in front.

A township's own export is :func:`esign.ledger.export.register_csv` / ``register_xlsx`` unchanged;
the county-wide one needs to say which township each line belongs to, so it prepends that column
and otherwise writes the same cells (:func:`esign.ledger.export.register_values`), the same
spreadsheet-formula guard and the same UTF-8 BOM.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from esign.ledger.export import REGISTER_COLUMNS, register_values
from esign.oversight.api import OversightRow

__all__ = ["OVERSIGHT_COLUMNS", "oversight_csv", "oversight_values", "oversight_xlsx"]

#: 乡镇, then the register's columns (日期, 事由, 批准人, 使用人, 使用数, 事项, 文书类型, 文书标题, 登记编号).
OVERSIGHT_COLUMNS = ("乡镇", *REGISTER_COLUMNS)


def _safe(value: str | int) -> str | int:
    # A cell starting with = + - @ would run as a formula in a spreadsheet: quote it.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def oversight_values(row: OversightRow) -> tuple[str | int, ...]:
    """One row's cells in :data:`OVERSIGHT_COLUMNS` order."""
    return (row.township_name, *register_values(row.line))


def oversight_csv(rows: Iterable[OversightRow]) -> bytes:
    """UTF-8 CSV with a BOM (Excel shows the Chinese headers)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(OVERSIGHT_COLUMNS)
    for row in rows:
        writer.writerow([_safe(v) for v in oversight_values(row)])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def oversight_xlsx(rows: Iterable[OversightRow], *, title: str) -> bytes:
    """An XLSX workbook with one sheet named ``title`` (max 31 characters), bold header, frozen first row."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title[:31] or "用印登记台账"
    ws.append(list(OVERSIGHT_COLUMNS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for row in rows:
        ws.append([_safe(v) for v in oversight_values(row)])
    for col, width in zip("ABCDEFGHIJ", (10, 17, 30, 12, 12, 8, 36, 16, 30, 26), strict=True):
        ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
