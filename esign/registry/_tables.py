"""Reading tabular uploads (JSON, CSV, XLSX) into header-mapped raw rows.

Internal to :mod:`esign.registry.catalog`: this module knows file formats and column headers, not
what a valid item is. Errors about the file as a whole (unreadable, no header, too large) are
raised here; errors about single rows are the caller's.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from esign.errors import InputError, TooLargeError

__all__ = ["FIELDS", "FORMAT", "HEADERS", "MAX_BYTES", "MAX_ROWS", "RawRow", "read_rows"]

#: The item fields, in column order.
FIELDS = ("number", "name", "type", "mode", "level", "department", "code", "published")

#: Accepted column headers (compared without white space, case-insensitively) and their field.
HEADERS: dict[str, str] = {
    "序号": "number",
    "number": "number",
    "事项名称": "name",
    "name": "name",
    "事项类型": "type",
    "type": "type",
    "办理方式": "mode",
    "mode": "mode",
    "层级": "level",
    "办理层级": "level",
    "level": "level",
    "实施部门": "department",
    "县区主管部门": "department",
    "主管部门": "department",
    "department": "department",
    "事项编码": "code",
    "编码": "code",
    "code": "code",
    "是否政务服务网公布": "published",
    "是否政务服务网公布事项": "published",
    "published": "published",
}
_REQUIRED = ("number", "name", "type")
_HEADER_SCAN = 10  # a title row or two may sit above the header in spreadsheets people make

MAX_BYTES = 10 * 1024 * 1024
"""Largest upload read; a township catalog is a few hundred rows."""

MAX_ROWS = 10_000
"""Most data rows read from one upload."""

FORMAT = "esign-catalog/1"
"""The JSON catalog format's name, written as its ``format`` key."""


@dataclass(frozen=True)
class RawRow:
    """One non-empty data row with its cells keyed by field name."""

    row: int
    """Where it is: the line (CSV) or sheet row (XLSX) from 1, or the item's index from 1 (JSON)."""

    cells: dict[str, Any]
    """Field name to value: stripped text for CSV/XLSX; the JSON value as decoded for JSON."""


def read_rows(data: bytes, *, filename: str) -> tuple[str, list[RawRow]]:
    """Decode an upload: returns ``("json" | "csv" | "xlsx", rows)``.

    The format comes from the file name's extension, or from the content when the extension is
    unknown. Unknown columns are ignored; the columns 序号, 事项名称 and 事项类型 are required.
    """
    if len(data) > MAX_BYTES:
        raise TooLargeError(
            f"目录文件超过 {MAX_BYTES // (1024 * 1024)} MB",
            f"the catalog file is larger than {MAX_BYTES // (1024 * 1024)} MB",
            field="catalog",
        )
    fmt = _detect(data, filename)
    if fmt == "json":
        rows = _json_rows(data, filename)
    elif fmt == "csv":
        rows = _table_rows(_csv_records(data, filename), filename)
    else:
        rows = _table_rows(_xlsx_records(data, filename), filename)
    if len(rows) > MAX_ROWS:
        raise TooLargeError(f"目录超过 {MAX_ROWS} 行", f"the catalog has more than {MAX_ROWS} rows", field="catalog")
    return fmt, rows


def _invalid(zh: str, en: str) -> InputError:
    return InputError(zh, en, code="catalog_invalid", field="catalog")


def _detect(data: bytes, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext in ("json", "csv", "xlsx"):
        return ext
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head in (b"{", b"["):
        return "json"
    if ext in ("txt", ""):
        return "csv"
    raise _invalid(
        f"无法识别目录文件“{filename}”的格式（支持 JSON、CSV、XLSX）",
        f"cannot tell the format of catalog file {filename!r} (JSON, CSV and XLSX are supported)",
    )


def _decode(data: bytes, filename: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise _invalid(
            f"目录文件“{filename}”不是 UTF-8 编码（第 {e.start + 1} 字节）；请另存为 UTF-8",
            f"catalog file {filename!r} is not UTF-8 (byte {e.start + 1}); save it as UTF-8",
        ) from e


def _json_rows(data: bytes, filename: str) -> list[RawRow]:
    try:
        doc = json.loads(_decode(data, filename))
    except json.JSONDecodeError as e:
        raise _invalid(
            f"目录文件“{filename}”不是有效的 JSON：第 {e.lineno} 行 {e.colno} 列",
            f"catalog file {filename!r} is not valid JSON: line {e.lineno} column {e.colno}",
        ) from e
    if isinstance(doc, dict):
        if doc.get("format", FORMAT) != FORMAT:
            raise _invalid(
                f"不支持的目录格式“{doc.get('format')}”", f"unsupported catalog format {doc.get('format')!r}"
            )
        doc = doc.get("items")
    if not isinstance(doc, list):
        raise _invalid(
            "JSON 目录应为事项数组，或含 items 数组的对象",
            "a JSON catalog is a list of items or an object with an 'items' list",
        )
    rows = []
    for index, entry in enumerate(doc, start=1):
        if not isinstance(entry, dict):
            rows.append(RawRow(index, {"_error": entry}))
            continue
        cells: dict[str, Any] = {}
        for key, value in entry.items():
            field = HEADERS.get(_header_key(key))
            if field is not None:
                cells[field] = value.strip() if isinstance(value, str) else value
        rows.append(RawRow(index, cells))
    return rows


def _csv_records(data: bytes, filename: str) -> Iterable[tuple[int, Sequence[Any]]]:
    reader = csv.reader(io.StringIO(_decode(data, filename), newline=""))
    try:
        for record in reader:
            yield reader.line_num, record
    except csv.Error as e:
        raise _invalid(
            f"目录文件“{filename}”第 {reader.line_num} 行不是有效的 CSV：{e}",
            f"catalog file {filename!r} line {reader.line_num} is not valid CSV: {e}",
        ) from e


def _xlsx_records(data: bytes, filename: str) -> Iterable[tuple[int, Sequence[Any]]]:
    import openpyxl  # only this path needs it; keeps the import cost off JSON/CSV users
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as e:
        raise _invalid(
            f"目录文件“{filename}”不是有效的 XLSX 工作簿", f"catalog file {filename!r} is not a valid XLSX workbook"
        ) from e
    try:
        if not wb.worksheets:
            return
        yield from enumerate(wb.worksheets[0].iter_rows(values_only=True), start=1)
    finally:
        wb.close()


def _table_rows(records: Iterable[tuple[int, Sequence[Any]]], filename: str) -> list[RawRow]:
    columns: dict[int, str] | None = None
    rows: list[RawRow] = []
    for scanned, (number, record) in enumerate(records, start=1):
        texts = [_cell_text(v) for v in record]
        if not any(texts):
            continue
        if columns is None:
            columns = _header(texts, number, filename)
            if columns is None and scanned >= _HEADER_SCAN:
                break
            continue
        rows.append(RawRow(number, {f: texts[i] if i < len(texts) else "" for i, f in columns.items()}))
        if len(rows) > MAX_ROWS:
            break
    if columns is None:
        raise _invalid(
            f"目录文件“{filename}”的前 {_HEADER_SCAN} 行中找不到表头（需要 序号、事项名称、事项类型 列）",
            f"no header row in the first {_HEADER_SCAN} rows of {filename!r} (need columns 序号, 事项名称, 事项类型)",
        )
    return rows


def _header(texts: list[str], number: int, filename: str) -> dict[int, str] | None:
    columns: dict[int, str] = {}
    for i, text in enumerate(texts):
        field = HEADERS.get(_header_key(text))
        if field is None:
            continue
        if field in columns.values():
            raise _invalid(
                f"目录文件“{filename}”第 {number} 行：表头“{text}”重复",
                f"{filename!r} row {number}: duplicate column {text!r}",
            )
        columns[i] = field
    if "number" not in columns.values() or "name" not in columns.values():
        return None
    missing = [f for f in _REQUIRED if f not in columns.values()]
    if missing:
        raise _invalid(
            f"目录文件“{filename}”第 {number} 行的表头缺少“事项类型”列",
            f"{filename!r} row {number}: the header lacks the column 事项类型 (type)",
        )
    return columns


def _header_key(text: object) -> str:
    return "".join(str(text).split()).replace("\ufeff", "").rstrip("*").lower()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip().strip("\u3000\ufeff").strip()
