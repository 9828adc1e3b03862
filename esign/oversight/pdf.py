"""The printable monthly register (用印登记台账) of one township, as a PDF.

Landscape A4, the title "蒲县XX镇行政审批服务专用章用印登记台账（2026年3月）", a line with the
period and the number of uses, then a ruled table with the register's columns
(:data:`esign.ledger.export.REGISTER_COLUMNS`) whose header repeats on every page, long cells
wrapped, "第 n 页 共 m 页" at the foot of each page and lines for the custodian's and the
reviewer's signatures after the last row.

Written with pyHanko's PDF writer. Text is set in a CJK face (Noto Sans CJK SC when installed,
else the seal face of :func:`esign.appearance.fonts.find_seal_font`), embedded as one subset with
a ToUnicode map, so ``pdftotext`` and screen readers see the real characters. The output depends
only on the arguments: the document ID is derived from the content and no date is read from the clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import random
from collections.abc import Sequence
from dataclasses import dataclass

from fontTools import subset as ft_subset
from fontTools.ttLib import TTFont
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.writer import PdfFileWriter

from esign.appearance.fonts import FontRef, find_seal_font
from esign.errors import ConfigError
from esign.ledger.api import RegisterRow
from esign.ledger.export import REGISTER_COLUMNS, register_values
from esign.oversight.api import BEIJING

__all__ = ["TABLE_FONT_CANDIDATES", "MonthlyRegister", "monthly_register_pdf", "register_title"]

#: Faces tried for the table, best first (a sans face reads better in small print than the seal's Song face).
TABLE_FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc#Noto Sans CJK SC",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc#Noto Sans CJK SC",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc#Noto Serif CJK SC",
    "/usr/share/fonts/noto-cjk/NotoSerifCJK-Regular.ttc#Noto Serif CJK SC",
)

_MM = 72 / 25.4
_PAGE_W, _PAGE_H = 297 * _MM, 210 * _MM
_MARGIN = 12 * _MM
#: Column widths in mm, in REGISTER_COLUMNS order (sum: the 273 mm between the margins).
_WIDTHS_MM = (25, 44, 20, 20, 12, 52, 24, 44, 32)
_SIZE = 8.0
_LINE = 10.5
_PAD = 2.2
_MAX_LINES = 4


def register_title(county: str, township: str, seal_title: str, month: str) -> str:
    """``蒲县克城镇行政审批服务专用章用印登记台账（2026年3月）`` for ``month`` = ``2026-03``."""
    year, mon = month.split("-")
    return f"{county}{township}{seal_title}用印登记台账（{int(year)}年{int(mon)}月）"


@dataclass(frozen=True)
class MonthlyRegister:
    """What the printed register shows."""

    title: str
    """The title line (see :func:`register_title`)."""
    period: tuple[dt.date, dt.date]
    """First and last day of the month (Beijing dates)."""
    rows: tuple[RegisterRow, ...]
    """The month's register lines, oldest first."""
    printed_at: dt.datetime
    """When the document was produced (printed on it), aware."""


class _Writer(PdfFileWriter):
    """pyHanko's writer without the 'now' it puts into the Info dictionary."""

    def __init__(self, seed: bytes, title: str, created: dt.datetime) -> None:
        super().__init__(stream_xrefs=False)
        digest = hashlib.sha256(seed).digest()
        self._document_id = generic.ArrayObject(
            [generic.ByteStringObject(digest[:16]), generic.ByteStringObject(digest[16:])]
        )
        local = created.astimezone(BEIJING)
        info = generic.DictionaryObject(
            {
                pdf_name("/Title"): generic.TextStringObject(title),
                pdf_name("/Producer"): generic.TextStringObject("esign oversight"),
                pdf_name("/CreationDate"): generic.TextStringObject(local.strftime("D:%Y%m%d%H%M%S+08'00'")),
            }
        )
        self._info = self.add_object(info)

    def _update_meta(self) -> None:
        return None


class _Font:
    """A subset of one face: widths for layout and a pyHanko glyph accumulator for drawing."""

    def __init__(self, ref: FontRef, charset: str, writer: PdfFileWriter, seed: bytes) -> None:
        opts = ft_subset.Options()
        opts.layout_features = []
        opts.drop_tables += ["GPOS", "GSUB", "GDEF", "BASE", "VORG", "vhea", "vmtx", "DSIG"]
        opts.notdef_outline = True
        subsetter = ft_subset.Subsetter(opts)
        subsetter.populate(text=charset + " …")
        font = TTFont(ref.path, fontNumber=ref.index)
        subsetter.subset(font)
        buf = io.BytesIO()
        font.save(buf)
        data = buf.getvalue()
        upm = font["head"].unitsPerEm
        cmap = font.getBestCmap()
        hmtx = font["hmtx"]
        self._advance = {chr(cp): hmtx[g][0] / upm for cp, g in cmap.items()}
        # pyHanko draws the subset tag from the global ``random``; seed it and put the caller's state back.
        state = random.getstate()
        random.seed(seed)
        try:
            self.engine = GlyphAccumulator(writer, io.BytesIO(data), 12)
        finally:
            random.setstate(state)
        self.resource = self.engine.as_resource()

    def width(self, text: str, size: float) -> float:
        return sum(self._advance.get(c, 1.0) for c in text) * size

    def wrap(self, text: str, width: float, size: float) -> list[str]:
        lines: list[str] = []
        for para in text.splitlines() or [""]:
            line = ""
            for ch in para:
                if line and self.width(line + ch, size) > width:
                    lines.append(line)
                    line = ""
                line += ch
            lines.append(line)
        if len(lines) > _MAX_LINES:
            last = lines[_MAX_LINES - 1]
            while last and self.width(last + "…", size) > width:
                last = last[:-1]
            lines = [*lines[: _MAX_LINES - 1], last + "…"]
        return lines

    def text(self, s: str, x: float, y: float, size: float) -> str:
        shaped = self.engine.shape(s, with_actual_text=False)
        return f"BT /F1 {size:g} Tf 1 0 0 1 {x:.2f} {y:.2f} Tm " + shaped.graphics_ops.decode("ascii") + " ET"


def _table_font(font: FontRef | None) -> FontRef:
    if font is not None:
        return font
    try:
        return find_seal_font(candidates=TABLE_FONT_CANDIDATES)
    except ConfigError:
        return find_seal_font()


def _cells(row: RegisterRow) -> list[str]:
    return [str(v) for v in register_values(row)]


def monthly_register_pdf(register: MonthlyRegister, *, font: FontRef | None = None) -> bytes:
    """The register as a PDF (see the module docstring). ``font`` overrides the face used."""
    first, last = register.period
    printed = register.printed_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    subtitle = (
        f"期间：{first.isoformat()} 至 {last.isoformat()}（北京时间）　共 {len(register.rows)} 次用印，"
        f"使用数合计 {sum(r.count for r in register.rows)}　　打印时间：{printed}"
    )
    signature = "印章保管人（签字）：＿＿＿＿＿＿＿＿　　审核人（签字）：＿＿＿＿＿＿＿＿　　日期：＿＿＿＿＿＿＿＿"
    cells = [_cells(r) for r in register.rows]
    charset = "".join(
        sorted(
            {*register.title, *subtitle, *signature, *"".join(REGISTER_COLUMNS), *"第页共本月无用印记录0123456789 "}
            | {c for row in cells for cell in row for c in cell}
        )
    )
    seed = hashlib.sha256((register.title + "\n" + "\n".join(r.entry_id for r in register.rows)).encode()).digest()
    writer = _Writer(seed, register.title, register.printed_at)
    fnt = _Font(_table_font(font), charset, writer, seed)
    widths = [w * _MM for w in _WIDTHS_MM]

    # Layout: wrap every cell, then cut the rows into pages.
    laid = [[fnt.wrap(c, w - 2 * _PAD, _SIZE) for c, w in zip(row, widths, strict=True)] for row in cells]
    heights = [max(len(c) for c in row) * _LINE + 2 * _PAD for row in laid]
    header_h = _LINE + 2 * _PAD + 2
    title_block = 30.0  # title and subtitle, first page only
    footer = 28.0
    pages: list[list[int]] = [[]]
    y = _PAGE_H - _MARGIN - title_block - header_h
    for i, h in enumerate(heights):
        if y - h < _MARGIN + footer and pages[-1]:
            pages.append([])
            y = _PAGE_H - _MARGIN - header_h
        pages[-1].append(i)
        y -= h
    total_pages = len(pages)

    for number, page_rows in enumerate(pages, start=1):
        ops = ["0 g 0 G 0.5 w"]
        top = _PAGE_H - _MARGIN
        if number == 1:
            tw = fnt.width(register.title, 15)
            ops.append(fnt.text(register.title, (_PAGE_W - tw) / 2, top - 15, 15))
            ops.append(fnt.text(subtitle, _MARGIN, top - 27, 8.5))
            top -= title_block
        # header row
        x = _MARGIN
        ops.append(f"q 0.94 0.90 0.90 rg {_MARGIN:.2f} {top - header_h:.2f} {sum(widths):.2f} {header_h:.2f} re f Q")
        for label, w in zip(REGISTER_COLUMNS, widths, strict=True):
            lw = fnt.width(label, _SIZE + 0.5)
            ops.append(fnt.text(label, x + (w - lw) / 2, top - _PAD - _LINE + 2.5, _SIZE + 0.5))
            x += w
        y = top - header_h
        row_tops = [top, y]
        for i in page_rows:
            x = _MARGIN
            for lines, w in zip(laid[i], widths, strict=True):
                for k, line in enumerate(lines):
                    ops.append(fnt.text(line, x + _PAD, y - _PAD - (k + 1) * _LINE + 2.5, _SIZE))
                x += w
            y -= heights[i]
            row_tops.append(y)
        if not register.rows:
            msg = "本月无用印记录"
            ops.append(fnt.text(msg, (_PAGE_W - fnt.width(msg, 10)) / 2, y - 18, 10))
        # rules: horizontal lines under each row, vertical lines across the table
        for ry in row_tops:
            ops.append(f"{_MARGIN:.2f} {ry:.2f} m {_MARGIN + sum(widths):.2f} {ry:.2f} l S")
        x = _MARGIN
        for w in (0.0, *widths):
            x += w
            ops.append(f"{x:.2f} {row_tops[0]:.2f} m {x:.2f} {row_tops[-1]:.2f} l S")
        if number == total_pages:
            ops.append(fnt.text(signature, _MARGIN, max(row_tops[-1] - 22, _MARGIN + 14), 9))
        foot = f"第 {number} 页 共 {total_pages} 页"
        ops.append(fnt.text(foot, (_PAGE_W - fnt.width(foot, 8)) / 2, _MARGIN - 4, 8))
        _add_page(writer, ops, fnt)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _add_page(writer: PdfFileWriter, ops: Sequence[str], fnt: _Font) -> None:
    content = generic.StreamObject(stream_data="\n".join(ops).encode("ascii"))
    content.compress()
    page = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Page"),
            pdf_name("/MediaBox"): generic.ArrayObject(
                generic.FloatObject(v) for v in (0, 0, round(_PAGE_W, 2), round(_PAGE_H, 2))
            ),
            pdf_name("/Resources"): generic.DictionaryObject(
                {pdf_name("/Font"): generic.DictionaryObject({pdf_name("/F1"): fnt.resource})}
            ),
            pdf_name("/Contents"): writer.add_object(content),
        }
    )
    writer.insert_page(page)
