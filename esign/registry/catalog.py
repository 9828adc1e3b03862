"""Service-item catalogs (政务服务事项清单/目录): the items a township's special seal may serve.

The reform's rule (新县 2023, 蒲县 2023) is that the 行政审批服务专用章 is used only for items in the
township's list, so the list is data the service keeps per township. This module holds the item
model, its validation, :func:`load_catalog` (JSON, CSV, XLSX) and the JSON/CSV writers used for
``samples/catalogs``.

What :class:`CatalogItem` guarantees: a positive number, a non-empty one-line name, a type made of
known item types (``"公共服务"`` or a compound as the 勉县 list writes it, ``"公共服务（行政给付）"``),
a known level if any, and an item code of upper-case letters and digits if any. It does not check
that the code exists in any provincial register, nor that numbers or codes are unique (that is
a property of a whole catalog; :func:`load_catalog` checks that numbers are unique).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from esign.errors import InputError
from esign.registry._tables import FIELDS, FORMAT, read_rows

__all__ = [
    "ITEM_TYPES",
    "LEVELS",
    "CatalogItem",
    "ItemType",
    "dump_catalog_csv",
    "dump_catalog_json",
    "item_problems",
    "load_catalog",
    "normalize_item_type",
]


class ItemType(StrEnum):
    """The kinds of administrative power and service an item may be (事项类型)."""

    LICENSING = "行政许可"
    PENALTY = "行政处罚"
    COERCION = "行政强制"
    LEVY = "行政征收"
    REQUISITION = "行政征用"
    BENEFIT = "行政给付"
    INSPECTION = "行政检查"
    CONFIRMATION = "行政确认"
    REWARD = "行政奖励"
    ADJUDICATION = "行政裁决"
    OTHER_POWER = "其他行政权力"
    OTHER_POWER_SHORT = "其他权力"
    PUBLIC_SERVICE = "公共服务"
    CONVENIENCE_SERVICE = "便民服务"
    REVIEW_AND_FORWARD = "其他类审核转报"


#: The Chinese names of :class:`ItemType`: the only words a type may be made of.
ITEM_TYPES: frozenset[str] = frozenset(t.value for t in ItemType)

#: Handling levels (层级) a catalog may name.
LEVELS: frozenset[str] = frozenset(
    {"国家级", "省级", "市级", "县级", "乡级", "镇级", "乡镇级", "乡（镇）级"}
    | {"街道级", "村级", "社区级", "村（社区）级"}
)

_CODE_RE = re.compile(r"[0-9A-Z]{1,64}")
_TYPE_RE = re.compile(r"([^（）]+)(?:（([^（）]+)）)?")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_MAX_NAME = 200
_MAX_TEXT = 100
_MAX_NUMBER = 100_000


@dataclass(frozen=True)
class CatalogItem:
    """One row of a service-item catalog, validated on construction."""

    number: int
    """The row's number in its catalog (序号), from 1."""

    name: str
    """The item's name (事项名称) exactly as the catalog writes it."""

    type: str
    """The item type (事项类型): a name from :data:`ITEM_TYPES`, or ``"A（B）"`` with both known."""

    mode: str = ""
    """How the township handles it (办理方式), e.g. ``"受理、审核"``, ``"初审或帮办代办"``; empty if not given."""

    level: str = ""
    """The handling level (层级/办理层级) from :data:`LEVELS`, e.g. ``"乡级"``; empty if not given."""

    department: str = ""
    """The responsible county department (实施部门/县区主管部门); empty if not given."""

    code: str = ""
    """The item code (事项编码), upper-case letters and digits, e.g. ``"000123020000"``; empty if none."""

    published: bool | None = None
    """Whether the item is published on the provincial service network (是否政务服务网公布); None if not given."""

    def __post_init__(self) -> None:
        problems = item_problems(vars(self))
        if any(en.startswith("unknown item type") for _, en in problems):
            known = sorted(ITEM_TYPES)
            problems.append((f"已知事项类型：{'、'.join(known)}", f"known types: {', '.join(known)}"))
        if problems:
            raise InputError(
                f"事项（序号 {self.number!r}）无效：" + "；".join(zh for zh, _ in problems),
                f"catalog item (number {self.number!r}) is invalid: " + "; ".join(en for _, en in problems),
                code="catalog_item_invalid",
                field="catalog",
                number=self.number if isinstance(self.number, int) else None,
            )

    @property
    def types(self) -> tuple[ItemType, ...]:
        """The item's type(s): one, or two for a compound such as ``"公共服务（行政给付）"``."""
        return _split_type(self.type) or ()

    def to_dict(self) -> dict[str, Any]:
        """The item as the JSON catalog format stores it (English keys, every field present)."""
        return asdict(self)


def normalize_item_type(text: str) -> str:
    """The canonical spelling of an item type as sources write it.

    Drops white space, writes parentheses full-width and the variant ``其它`` as ``其他`` (the 勉县
    list has ``其它行政权力``). Does not decide whether the result is known; :class:`CatalogItem` does.
    """
    out = re.sub(r"\s+", "", text).replace("(", "（").replace(")", "）")
    return out.replace("其它", "其他")


def item_problems(fields: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Everything wrong with an item's fields (keyed as :class:`CatalogItem`'s), as (Chinese, English) pairs."""
    item = _Fields(fields)
    p: list[tuple[str, str]] = []
    n = item.number
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= _MAX_NUMBER:
        p.append((f"序号“{n}”应为 1–{_MAX_NUMBER} 的整数", f"number {n!r} must be an integer 1-{_MAX_NUMBER}"))
    _text(p, item.name, "事项名称", "name", _MAX_NAME, required=True)
    if not isinstance(item.type, str) or _split_type(item.type) is None:
        p.append((f"事项类型“{item.type}”未知", f"unknown item type {item.type!r}"))
    _text(p, item.mode, "办理方式", "mode", _MAX_TEXT)
    _text(p, item.department, "实施部门", "department", _MAX_TEXT)
    if not isinstance(item.level, str) or (item.level and item.level not in LEVELS):
        p.append((f"层级“{item.level}”未知", f"unknown level {item.level!r}"))
    if not isinstance(item.code, str) or (item.code and not _CODE_RE.fullmatch(item.code)):
        p.append(
            (
                f"事项编码“{item.code}”应为大写字母和数字（至多 64 位）",
                f"item code {item.code!r} must be upper-case letters and digits (at most 64)",
            )
        )
    if item.published is not None and not isinstance(item.published, bool):
        p.append((f"是否公布“{item.published}”应为是/否", f"published {item.published!r} must be yes/no"))
    return p


class _Fields:
    def __init__(self, fields: Mapping[str, Any]) -> None:
        self.number = fields.get("number")
        self.name = fields.get("name", "")
        self.type = fields.get("type", "")
        self.mode = fields.get("mode", "")
        self.level = fields.get("level", "")
        self.department = fields.get("department", "")
        self.code = fields.get("code", "")
        self.published = fields.get("published")


def _text(p: list[tuple[str, str]], value: object, zh: str, en: str, limit: int, *, required: bool = False) -> None:
    if not isinstance(value, str):
        p.append((f"{zh}应为文本", f"{en} must be text"))
    elif required and not value:
        p.append((f"{zh}为空", f"{en} is empty"))
    elif value != value.strip() or _CONTROL_RE.search(value):
        p.append(
            (f"{zh}“{value}”含首尾空白或控制字符", f"{en} {value!r} has surrounding white space or control characters")
        )
    elif len(value) > limit:
        p.append((f"{zh}超过 {limit} 字", f"{en} is longer than {limit} characters"))


def _split_type(text: object) -> tuple[ItemType, ...] | None:
    if not isinstance(text, str):
        return None
    m = _TYPE_RE.fullmatch(text)
    if m is None:
        return None
    parts = [g for g in m.groups() if g is not None]
    if not all(part in ITEM_TYPES for part in parts):
        return None
    return tuple(ItemType(part) for part in parts)


_MAX_LISTED = 20
_PUBLISHED = {"是": True, "否": False, "true": True, "false": False, "yes": True, "no": False, "y": True, "n": False}
_CSV_HEADER = ("序号", "事项名称", "事项类型", "办理方式", "层级", "实施部门", "事项编码", "是否政务服务网公布")


def load_catalog(data: bytes, *, filename: str) -> list[CatalogItem]:
    """Read a catalog from JSON (the ``samples/catalogs`` format), CSV or XLSX bytes.

    CSV is UTF-8 with or without BOM. CSV and XLSX (first sheet) need a header row among the first
    ten rows, in Chinese or English: 序号/number, 事项名称/name, 事项类型/type (required), and
    办理方式/mode, 层级/level, 实施部门/department, 事项编码/code, 是否政务服务网公布/published; other
    columns are ignored, empty rows skipped. Types are normalised (:func:`normalize_item_type`) and
    codes upper-cased before validation. Numbers must be unique.

    Every row is checked; if any is wrong, one :class:`~esign.errors.InputError` with code
    ``catalog_row_invalid`` lists them (the first 20) with their row numbers: the line (CSV) or
    sheet row (XLSX) counted from 1 with the header, or the item's index from 1 (JSON). A file that
    cannot be read at all raises ``catalog_invalid`` (or ``too_large``).
    """
    fmt, rows = read_rows(data, filename=filename)
    items: list[CatalogItem] = []
    errors: list[tuple[int, list[tuple[str, str]]]] = []
    first_row: dict[int, int] = {}
    for raw in rows:
        fields = _coerce(raw.cells)
        problems = item_problems(fields) if "_error" not in raw.cells else [("不是对象", "not an object")]
        number = fields.get("number")
        if not problems and isinstance(number, int) and number in first_row:
            earlier = first_row[number]
            problems = [(f"序号 {number} 与第 {earlier} 行重复", f"number {number} repeats row {earlier}")]
        if problems:
            errors.append((raw.row, problems))
            continue
        item = CatalogItem(**fields)
        first_row[item.number] = raw.row
        items.append(item)
    if errors:
        raise _row_error(filename, fmt, errors)
    if not items:
        raise InputError(
            f"目录“{filename}”没有事项", f"catalog {filename!r} has no items", code="catalog_invalid", field="catalog"
        )
    return items


def dump_catalog_json(items: Sequence[CatalogItem], *, meta: Mapping[str, Any] | None = None) -> bytes:
    """The JSON catalog format: ``{"format": "esign-catalog/1", ...meta, "count": n, "items": [...]}``.

    UTF-8, Chinese kept as is, two-space indent, a final newline; the same items give the same bytes.
    """
    doc: dict[str, Any] = {"format": FORMAT, **(meta or {})}
    doc["count"] = len(items)
    doc["items"] = [item.to_dict() for item in items]
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def dump_catalog_csv(items: Sequence[CatalogItem]) -> bytes:
    """CSV with Chinese headers, UTF-8 with BOM (so that Excel opens it as UTF-8), CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_CSV_HEADER)
    for it in items:
        published = "" if it.published is None else ("是" if it.published else "否")
        writer.writerow((it.number, it.name, it.type, it.mode, it.level, it.department, it.code, published))
    return out.getvalue().encode("utf-8-sig")


def _coerce(cells: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in FIELDS:
        value = cells.get(field)
        if field == "published":
            if isinstance(value, str):
                value = _PUBLISHED.get(value.lower(), value) if value else None
        elif field == "number":
            if isinstance(value, str) and value.isascii() and value.isdigit():
                value = int(value)
        elif value is None:
            value = ""
        elif field == "type" and isinstance(value, str):
            value = normalize_item_type(value)
        elif field == "code" and isinstance(value, str):
            value = value.upper()
        out[field] = value
    return out


def _row_error(filename: str, fmt: str, errors: list[tuple[int, list[tuple[str, str]]]]) -> InputError:
    unit_zh, unit_en = ("项", "item") if fmt == "json" else ("行", "row")
    shown = errors[:_MAX_LISTED]
    zh = "；".join(f"第 {row} {unit_zh}：" + "，".join(z for z, _ in ps) for row, ps in shown)
    en = "; ".join(f"{unit_en} {row}: " + ", ".join(e for _, e in ps) for row, ps in shown)
    if len(errors) > _MAX_LISTED:
        zh += f"；另有 {len(errors) - _MAX_LISTED} {unit_zh}有误未列出"
        en += f"; {len(errors) - _MAX_LISTED} more not listed"
    if any(e.startswith("unknown item type") for _, ps in errors for _, e in ps):
        zh += f"。已知事项类型：{'、'.join(sorted(ITEM_TYPES))}"
        en += f". Known item types: {', '.join(sorted(ITEM_TYPES))}"
    return InputError(
        f"目录“{filename}”有 {len(errors)} {unit_zh}有误：{zh}",
        f"catalog {filename!r} has {len(errors)} invalid {unit_en}(s): {en}",
        code="catalog_row_invalid",
        field="catalog",
        count=len(errors),
        rows=[row for row, _ in errors],
    )
