"""The register as the paper 用印登记台账 has it: CSV and XLSX with the seed documents' column names.

Dates are shown in China Standard Time (UTC+8), as the townships read them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence

from esign.ledger.api import RegisterRow

__all__ = ["REGISTER_COLUMNS", "register_csv", "register_values", "register_xlsx"]

#: 日期, 事由, 批准人, 使用人, 使用数 (新县), then what identifies the document and the entry.
REGISTER_COLUMNS = ("日期", "事由", "批准人", "使用人", "使用数", "事项", "文书类型", "文书标题", "登记编号")

_CST = dt.timezone(dt.timedelta(hours=8), "CST")


def register_values(row: RegisterRow) -> tuple[str | int, ...]:
    """One row's cells in :data:`REGISTER_COLUMNS` order."""
    return (
        row.signed_at.astimezone(_CST).strftime("%Y-%m-%d %H:%M"),
        row.reason,
        row.approver,
        row.user,
        row.count,
        f"{row.item_number} {row.item_name}",
        row.document_type.value,
        row.document_title,
        row.entry_id,
    )


def _safe(value: str | int) -> str | int:
    # A cell starting with = + - @ would run as a formula in a spreadsheet: quote it.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def table_csv(columns: Sequence[str], rows: Iterable[Sequence[str | int]]) -> bytes:
    """UTF-8 CSV with a BOM (so that Excel shows the Chinese headers), formula cells quoted."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_safe(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def table_xlsx(
    columns: Sequence[str], rows: Iterable[Sequence[str | int]], *, title: str, widths: Sequence[float] = ()
) -> bytes:
    """An XLSX workbook with one sheet named ``title`` (max 31 characters), bold frozen header."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title[:31] or "用印登记台账"
    ws.append(list(columns))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for row in rows:
        ws.append([_safe(v) for v in row])
    for n, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(n)].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


#: Column widths of the register in a spreadsheet.
REGISTER_WIDTHS = (17, 30, 12, 12, 8, 36, 16, 30, 26)


def register_csv(rows: Iterable[RegisterRow]) -> bytes:
    """The register as CSV (:data:`REGISTER_COLUMNS`)."""
    return table_csv(REGISTER_COLUMNS, (register_values(r) for r in rows))


def register_xlsx(rows: Iterable[RegisterRow], *, title: str) -> bytes:
    """The register as an XLSX sheet named ``title``."""
    return table_xlsx(REGISTER_COLUMNS, (register_values(r) for r in rows), title=title, widths=REGISTER_WIDTHS)
