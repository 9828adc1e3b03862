"""CSV and XLSX of the county's register: the township register's columns, with 乡镇 in front.

A township's own export is :func:`esign.ledger.export.register_csv` / ``register_xlsx`` unchanged;
the county-wide one needs to say which township each line belongs to, so it prepends that column
and otherwise writes the same cells (:func:`esign.ledger.export.register_values`), the same
spreadsheet-formula guard and the same UTF-8 BOM.
"""

from __future__ import annotations

from collections.abc import Iterable

from esign.ledger.export import REGISTER_COLUMNS, REGISTER_WIDTHS, register_values, table_csv, table_xlsx
from esign.oversight.api import OversightRow

__all__ = ["OVERSIGHT_COLUMNS", "oversight_csv", "oversight_values", "oversight_xlsx"]

#: 乡镇, then the register's columns (日期, 事由, 批准人, 使用人, 使用数, 事项, 文书类型, 文书标题, 登记编号).
OVERSIGHT_COLUMNS = ("乡镇", *REGISTER_COLUMNS)


def oversight_values(row: OversightRow) -> tuple[str | int, ...]:
    """One row's cells in :data:`OVERSIGHT_COLUMNS` order."""
    return (row.township_name, *register_values(row.line))


def oversight_csv(rows: Iterable[OversightRow]) -> bytes:
    """UTF-8 CSV with a BOM (Excel shows the Chinese headers)."""
    return table_csv(OVERSIGHT_COLUMNS, (oversight_values(r) for r in rows))


def oversight_xlsx(rows: Iterable[OversightRow], *, title: str) -> bytes:
    """An XLSX workbook with one sheet named ``title`` (max 31 characters), bold header, frozen first row."""
    return table_xlsx(
        OVERSIGHT_COLUMNS, (oversight_values(r) for r in rows), title=title, widths=(10, *REGISTER_WIDTHS)
    )
