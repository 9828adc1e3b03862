"""Parsing the service-item catalogs out of the county documents in ``shared/seeds``.

The seed texts were extracted from PDFs and Word files: cells wrap onto the next line, table
headers repeat after page breaks, merged cells come out empty or shift the cells after them. The
functions here take the document's text and return :class:`ParsedCatalog` values: the items plus
a note for every row that needed more than reading the cells in order, so a person can check
those rows against the original. They never guess silently: a line they cannot place raises
:class:`~esign.errors.InputError` (code ``catalog_parse_failed``) naming it.

=====================  ==========================  ============================================
key                    source                      table
=====================  ==========================  ============================================
``puxian_provincial``  000 蒲县, annex 1            省定乡级第一批政务服务事项清单 (114 items)
``xiangyuan_town``     002 襄垣县, annex 1          镇级政务服务事项赋权清单（第一批） (99)
``xiangyuan_village``  002 襄垣县, annex 2          村级政务服务事项赋权清单（第一批） (43)
``mianxian_town``      004 勉县, annex              委托下放镇（街道）便民服务中心政务服务事项清单 (158)
=====================  ==========================  ============================================
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from esign.errors import InputError
from esign.registry.catalog import (
    ITEM_TYPES,
    CatalogItem,
    dump_catalog_csv,
    dump_catalog_json,
    normalize_item_type,
)

__all__ = [
    "SEED_PARSERS",
    "ParsedCatalog",
    "parse_mianxian",
    "parse_puxian",
    "parse_xiangyuan",
]


@dataclass(frozen=True)
class ParsedCatalog:
    """One catalog table parsed from a seed document."""

    key: str
    """Stable short name, also the file stem under ``samples/catalogs``, e.g. ``"puxian_provincial"``."""

    county: str
    """The county whose document holds the table, e.g. ``"蒲县"``."""

    document: str
    """The document's number (文号), e.g. ``"蒲政发〔2023〕13号"``."""

    annex: str
    """Where in the document the table is, e.g. ``"附件1"``."""

    title: str
    """The table's title as the document prints it."""

    items: tuple[CatalogItem, ...]
    """The rows, in document order, numbered 1..n without gaps."""

    notes: tuple[str, ...]
    """One line per row (or group of rows) that needed special handling, in Chinese."""

    def meta(self, *, source_file: str) -> dict[str, Any]:
        """The descriptive keys written into the JSON file before the items."""
        return {
            "key": self.key,
            "county": self.county,
            "document": self.document,
            "annex": self.annex,
            "title": self.title,
            "source_file": source_file,
            "notes": list(self.notes),
        }

    def to_json(self, *, source_file: str) -> bytes:
        """The ``samples/catalogs/<key>.json`` bytes."""
        return dump_catalog_json(self.items, meta=self.meta(source_file=source_file))

    def to_csv(self) -> bytes:
        """The ``samples/catalogs/<key>.csv`` bytes."""
        return dump_catalog_csv(self.items)


def parse_puxian(text: str) -> list[ParsedCatalog]:
    """蒲县 (000), annex 1: the Shanxi provincial list of township items, tab-separated rows.

    Columns 序号, 事项名称, 事项类型, 办理层级, 备注, 是否乡镇办结. 备注 says how the township handles
    the item (``乡级负责受理、审核``); the mode is that text without ``乡级负责``.
    """
    lines = _section(text, "附件1", "附件2")
    title = _first_text(lines).strip()
    rows: list[list[str]] = []
    notes: list[str] = []
    headers = 0
    for line in lines:
        if line.startswith("序号\t"):
            headers += 1
        elif re.match(r"\d+\t", line):
            rows.append([c.strip() for c in line.split("\t")])
        elif line.strip() and line.strip() != title:
            raise _parse_error("蒲县附件1", line)
    if headers > 1:
        notes.append(f"表头在分页处重复 {headers - 1} 次，已跳过")
    items = []
    for cells in rows:
        number, name, type_, level, remark = (cells + [""] * 6)[:5]
        finished = cells[5] if len(cells) > 5 else ""
        if finished:
            notes.append(f"序号 {number}：“是否乡镇办结”为“{finished}”，未收入字段")
        mode = remark.removeprefix(f"{level}负责") if level else remark
        if remark and mode == remark:
            notes.append(f"序号 {number}：备注“{remark}”不以“{level}负责”开头，原样作为办理方式")
        items.append(_item(notes, number, name, type_, mode=mode, level=level))
    return [_catalog("puxian_provincial", "蒲县", "蒲政发〔2023〕13号", "附件1", title, items, notes)]


def parse_xiangyuan(text: str) -> list[ParsedCatalog]:
    """襄垣县 (002), annexes 1 and 2: the town list and the village list.

    Each cell is a line starting with a tab, rows are separated by empty lines, and a cell that
    wrapped continues on a line without the tab. Columns 序号, 事项名称, 事项类型, 办理方式, 备注.
    The lists have no level column; the level is the one their titles name (镇级, 村级).
    """
    out = []
    for key, annex, end, level in (
        ("xiangyuan_town", "附件1", "附件2", "镇级"),
        ("xiangyuan_village", "附件2", None, "村级"),
    ):
        notes: list[str] = []
        title = ""
        items = []
        for cells, wrapped in _tab_blocks(_section(text, annex, end), f"襄垣县{annex}"):
            if not title and len(cells) == 1:
                title = cells[0]
                continue
            if cells == ["序号", "事项名称", "事项类型", "办理方式", "备注"]:
                continue
            if len(cells) == 4 and cells[0].isdigit():
                notes.append(f"序号 {cells[0]}：缺少备注单元格（原文到此结束），按空处理")
                cells = [*cells, ""]
            if len(cells) != 5 or not cells[0].isdigit():
                raise _parse_error(f"襄垣县{annex}", "\t".join(cells))
            number, name, type_, mode_text, remark = cells
            if wrapped:
                notes.append(f"序号 {number}：事项名称跨行，已拼接为“{name}”")
            if remark:
                notes.append(f"序号 {number}：备注“{remark}”未收入字段")
            mode = mode_text.removeprefix(f"{level}负责")
            items.append(_item(notes, number, name, type_, mode=mode, level=level))
        notes.insert(0, f"表中没有层级列，层级取自表题（{level}）")
        out.append(_catalog(key, "襄垣县", "襄政办发〔2021〕49号", annex, title, items, notes))
    return out


def parse_mianxian(text: str) -> list[ParsedCatalog]:
    """勉县 (004), the annex: 158 items with department, type, publication flag and item code.

    Columns 序号, 县区主管部门, 事项名称, 事项类型, 是否政务服务网公布事项, 编码. The department is a
    merged cell: empty means "as the row above". Around merged cells the extraction shifted cells
    left or right, so cells are placed by what they hold (a code, 是/否, a known type, and the
    remaining one or two texts as [department,] name), not by position.
    """
    lines = _section(text, r"#*\s*附件", r"-{3,}")
    title = _first_text(lines).lstrip("#").strip()
    notes: list[str] = []
    items = []
    department = ""
    inherited = 0
    for line in lines:
        if line.startswith("序号\t") or not line.strip() or line.lstrip("#").strip() == title:
            continue
        if not re.match(r"\d+\t", line):
            raise _parse_error("勉县附件", line)
        cells = [c.strip() for c in line.split("\t")]
        number, rest = cells[0], cells[1:]
        as_printed = (rest + [""] * 5)[:5]
        code = _take(rest, lambda c: re.fullmatch(r"[0-9]{11}[0-9A-Z]", c) is not None)
        published_text = _take(rest, lambda c: c in ("是", "否"))
        type_ = _take(rest, lambda c: _is_type(normalize_item_type(c)))
        texts = [c for c in rest if c]
        if len(texts) == 2:
            department, name = texts
        elif len(texts) == 1:
            name = texts[0]
            inherited += 1
        else:
            raise _parse_error("勉县附件", line)
        if as_printed != [department if len(texts) == 2 else "", name, type_, published_text, code]:
            notes.append(f"序号 {number}：单元格错位，已按内容归位（部门“{department}”）")
        if published_text == "是" and not code:
            notes.append(f"序号 {number}：标为政务服务网公布事项，但原文没有编码")
        items.append(
            _item(notes, number, name, type_, department=department, code=code, published=published_text == "是")
        )
    notes.insert(0, f"{inherited} 行的主管部门为空（合并单元格），沿用上一行的部门")
    by_code: dict[str, list[int]] = {}
    for it in items:
        if it.code:
            by_code.setdefault(it.code, []).append(it.number)
    for code, numbers in by_code.items():
        if len(numbers) > 1:
            notes.append(f"序号 {'、'.join(map(str, numbers))}：编码 {code} 在原文中重复出现，原样保留")
    return [_catalog("mianxian_town", "勉县", "勉政办发〔2021〕94号", "附件", title, items, notes)]


#: Which parser reads which seed document, by the file name's leading number.
SEED_PARSERS: dict[str, Callable[[str], list[ParsedCatalog]]] = {
    "000": parse_puxian,
    "002": parse_xiangyuan,
    "004": parse_mianxian,
}


def _section(text: str, start: str, end: str | None) -> list[str]:
    """The lines after the first line matching ``start`` up to the next matching ``end`` (regexes)."""
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if re.fullmatch(start, line.strip())), None)
    if first is None:
        raise _parse_error("", start, missing=True)
    stop = len(lines)
    if end is not None:
        stop = next((i for i in range(first + 1, len(lines)) if re.fullmatch(end, lines[i].strip())), stop)
    return lines[first + 1 : stop]


def _first_text(lines: list[str]) -> str:
    title = next((line.strip() for line in lines if line.strip()), "")
    if not title:
        raise _parse_error("", "表题", missing=True)
    return title


def _tab_blocks(lines: list[str], where: str) -> Iterator[tuple[list[str], bool]]:
    """Rows of a one-cell-per-line table: (cells, whether a cell wrapped onto a second line)."""
    cells: list[str] = []
    wrapped = False
    for line in [*lines, ""]:
        if line.startswith("\t"):
            cells.append(line[1:].strip())
        elif line.strip():
            if not cells:
                raise _parse_error(where, line)
            cells[-1] += line.strip()
            wrapped = True
        elif cells:
            yield cells, wrapped
            cells, wrapped = [], False


def _take(cells: list[str], pred: Callable[[str], bool]) -> str:
    """Remove and return the last cell satisfying pred (empty string if none)."""
    for i in range(len(cells) - 1, -1, -1):
        if cells[i] and pred(cells[i]):
            return cells.pop(i)
    return ""


def _is_type(text: str) -> bool:
    m = re.fullmatch(r"([^（）]+)(?:（([^（）]+)）)?", text)
    return m is not None and all(g in ITEM_TYPES for g in m.groups() if g is not None)


# PDF extraction puts a space between Chinese and Latin/digits ("年满 60 周岁"); the tables do not.
_CJK_GAP = re.compile(r"(?<=[\u4e00-\u9fff])[ \u00a0]+(?=[0-9A-Za-z])|(?<=[0-9A-Za-z])[ \u00a0]+(?=[\u4e00-\u9fff])")


def _item(notes: list[str], number: str, name: str, type_: str, **fields: Any) -> CatalogItem:
    tidy = _CJK_GAP.sub("", name)
    if tidy != name:
        notes.append(f"序号 {number}：删去提取产生的中西文间空格：“{name}”→“{tidy}”")
    canonical = normalize_item_type(type_)
    if canonical != type_:
        notes.append(f"序号 {number}：事项类型“{type_}”规范为“{canonical}”")
    return CatalogItem(number=int(number), name=tidy, type=canonical, **fields)


def _catalog(
    key: str, county: str, document: str, annex: str, title: str, items: list[CatalogItem], notes: list[str]
) -> ParsedCatalog:
    if not items:
        raise _parse_error(f"{county}{annex}", "事项行", missing=True)
    for expected, item in enumerate(items, start=1):
        if item.number != expected:
            raise InputError(
                f"{county}{annex}：序号不连续，第 {expected} 行是序号 {item.number}",
                f"{county} {annex}: numbers are not consecutive, row {expected} is number {item.number}",
                code="catalog_parse_failed",
                field="catalog",
            )
    return ParsedCatalog(key, county, document, annex, title, tuple(items), tuple(notes))


def _parse_error(where: str, line: str, *, missing: bool = False) -> InputError:
    if missing:
        prefix = f"{where}：" if where else ""
        return InputError(
            f"{prefix}找不到“{line}”", f"{where}: cannot find {line!r}".lstrip(": "), code="catalog_parse_failed"
        )
    return InputError(
        f"{where}：无法解析这一行：“{line[:80]}”",
        f"{where}: cannot place this line: {line[:80]!r}",
        code="catalog_parse_failed",
        field="catalog",
    )
