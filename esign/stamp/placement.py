"""Where the seal goes: a clerk's placement turned into points in a page's user space.

A placement is one of three modes, each a frozen dataclass:

* :class:`AtPosition` — the seal's centre ``x_mm`` right of and ``y_mm`` below the top-left corner
  of the page *as a viewer shows it* (after /Rotate, within the CropBox), as measured with a ruler;
* :class:`AtKeyword` — centred on the last occurrence of a text in the document (the signature
  block comes last), e.g. ``（盖章）`` or the organisation's name, optionally shifted; without a
  text it stands for the township's own keywords (:func:`default_keywords`), filled in by
  :func:`with_keywords` before it is resolved;
* :class:`InField` — into an existing empty signature field.

All three carry the stamping options ``riding_seal`` (骑缝章: a strip of the seal on the right edge
of every page) and ``also_on_pages`` (the same seal repeated on other pages). :func:`resolve`
checks a placement against a document and returns a :class:`ResolvedPlacement` in user space.

Guarantees: a placement that exists is valid on its own (page numbers, millimetres and keywords
within the bounds below, checked by its constructor), so it can always be written as JSON and read
back (:mod:`esign.stamp.placement_json`); a resolved seal lies entirely inside the visible page; page
numbers are 1-based (negative from the end) in the API and 0-based indexes in the result.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from pyhanko.pdf_utils.reader import PdfFileReader

from esign import budget
from esign.errors import InputError
from esign.stamp.freespace import page_obstacles
from esign.stamp.geometry import Box, PageGeometry
from esign.stamp.inputs import PageInfo, PdfInfo, inspect_pdf, open_reader
from esign.stamp.textpos import PdfiumPages, TextHit, TextIndex, normalise
from esign.text import bad_character

__all__ = [
    "MAX_KEYWORDS",
    "MAX_MM",
    "MAX_PAGE",
    "MAX_SEAL_MM",
    "MAX_TEXT_CHARS",
    "AtKeyword",
    "AtPosition",
    "InField",
    "Placement",
    "ResolvedPlacement",
    "RidingStrip",
    "SealSpot",
    "check_budget",
    "default_keywords",
    "page_guard",
    "resolve",
    "with_keywords",
]

MAX_SEAL_MM = 100.0
"""Largest seal diameter accepted (official seals are 38-45 mm)."""

# Bounds far beyond any real document; they keep what is stored small and finite.
MAX_PAGE = 100_000
"""Largest page number, either way (negative numbers count from the end)."""
MAX_MM = 10_000.0
"""Largest distance or shift in millimetres, either way."""
MAX_KEYWORDS = 20
"""Most keyword candidates of one :class:`AtKeyword`."""
MAX_TEXT_CHARS = 100
"""Longest keyword or field name."""

_EPS = 1e-6


def _off_page(page: PageInfo, what_zh: str, what_en: str) -> InputError:
    return InputError(
        f"印章超出第 {page.index + 1} 页的可见范围（{what_zh}；页面 {page.width_mm:.0f}×{page.height_mm:.0f} 毫米）",
        f"the seal would fall off page {page.index + 1} ({what_en}; the page is "
        f"{page.width_mm:.0f}×{page.height_mm:.0f} mm)",
        code="placement_off_page",
        page=page.index + 1,
    )


def _check_page_number(number: int, field_name: str) -> None:
    if isinstance(number, bool) or not isinstance(number, int) or number == 0 or abs(number) > MAX_PAGE:
        raise InputError(
            f"页码 {number!r} 无效：页码从 1 开始，负数从末页倒数",
            f"page {number!r} is invalid: pages are numbered from 1, negative numbers count from the end",
            code="page_out_of_range",
            field=field_name,
        )


def _check_mm(value: float, field_name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or abs(value) > MAX_MM:
        raise InputError(
            f"{field_name} 必须是有限的毫米数（绝对值不超过 {MAX_MM:g}）",
            f"{field_name} must be a finite number of millimetres within ±{MAX_MM:g}",
            code="invalid_placement",
            field=field_name,
        )


def _check_text(value: object, field_name: str) -> None:
    if not isinstance(value, str) or not 0 < len(value) <= MAX_TEXT_CHARS or bad_character(value) is not None:
        raise InputError(
            f"{field_name} 应为 1 到 {MAX_TEXT_CHARS} 个字符的文字，不含控制字符",
            f"{field_name} must be text of 1 to {MAX_TEXT_CHARS} characters without control characters",
            code="invalid_placement",
            field=field_name,
        )


@dataclass(frozen=True, kw_only=True)
class _Options:
    riding_seal: bool = False
    """Also put a 骑缝章: each page shows one vertical strip of the seal at its right edge."""

    riding_y_mm: float | None = None
    """Centre of the riding seal below the visible top edge; None for the middle of each page."""

    also_on_pages: tuple[int, ...] = ()
    """Repeat the seal at the same visible position on these pages (1-based, negative from the end)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "also_on_pages", tuple(self.also_on_pages))
        if len(self.also_on_pages) > MAX_PAGE:
            raise InputError(
                "重复盖章的页码过多",
                "too many pages to repeat the seal on",
                code="invalid_placement",
                field="also_on_pages",
            )
        for n in self.also_on_pages:
            _check_page_number(n, "also_on_pages")
        if self.riding_y_mm is not None:
            _check_mm(self.riding_y_mm, "riding_y_mm")


@dataclass(frozen=True)
class AtPosition(_Options):
    """The seal's centre at a measured position on a page."""

    page: int
    """1-based page number; negative counts from the end (-1 is the last page)."""

    x_mm: float
    """Distance of the seal's centre from the visible left edge."""

    y_mm: float
    """Distance of the seal's centre from the visible top edge."""

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_page_number(self.page, "page")
        _check_mm(self.x_mm, "x_mm")
        _check_mm(self.y_mm, "y_mm")


@dataclass(frozen=True)
class AtKeyword(_Options):
    """The seal centred on the last occurrence of a text (in document order).

    With several candidates, the first candidate found anywhere wins, at its last occurrence. A seal
    that would stick out of the page is moved just far enough to lie inside it.
    """

    text: str | tuple[str, ...] | None = None
    """The keyword, or candidates in order of preference (see :func:`default_keywords`); None for the
    seal's township's keywords, given by :func:`with_keywords` before the placement is resolved."""

    page: int | None = None
    """Search only this page (1-based, negative from the end); None searches the whole document."""

    offset_x_mm: float = 0.0
    """Shift of the seal's centre to the right of the keyword's centre, on the visible page."""

    offset_y_mm: float = 0.0
    """Shift of the seal's centre downwards from the keyword's centre, on the visible page."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.text is not None:
            texts = (self.text,) if isinstance(self.text, str) else tuple(self.text)
            object.__setattr__(self, "text", texts)
            if not texts or not all(isinstance(t, str) and normalise(t) for t in texts):
                raise InputError(
                    "定位关键字不能为空",
                    "the keyword to place the seal on is empty",
                    code="keyword_empty",
                    field="text",
                )
            if len(texts) > MAX_KEYWORDS:
                raise InputError(
                    f"定位关键字至多 {MAX_KEYWORDS} 个",
                    f"at most {MAX_KEYWORDS} keywords",
                    code="invalid_placement",
                    field="text",
                )
            for t in texts:
                _check_text(t, "text")
        if self.page is not None:
            _check_page_number(self.page, "page")
        _check_mm(self.offset_x_mm, "offset_x_mm")
        _check_mm(self.offset_y_mm, "offset_y_mm")

    @property
    def candidates(self) -> tuple[str, ...]:
        """The keywords to try, best first.

        :raises TypeError: the placement names no keyword yet (give it the township's: :func:`with_keywords`).
        """
        if self.text is None:
            raise TypeError("AtKeyword without text: give it the township's keywords with with_keywords()")
        return self.text if isinstance(self.text, tuple) else (self.text,)


@dataclass(frozen=True)
class InField(_Options):
    """The seal in an existing, still empty signature field (its rectangle)."""

    name: str
    """Fully qualified field name."""

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_text(self.name, "name")


Placement = AtPosition | AtKeyword | InField
"""Any placement mode."""


def with_keywords(placement: Placement, keywords: tuple[str, ...]) -> Placement:
    """``placement``, with ``keywords`` if it is an :class:`AtKeyword` that names none (the township's
    :func:`default_keywords`); any other placement unchanged."""
    if isinstance(placement, AtKeyword) and placement.text is None:
        return replace(placement, text=keywords)
    return placement


def default_keywords(township_name: str, organisation_name: str) -> tuple[str, ...]:
    """Keywords that mark where a township decision is sealed, best first.

    ``（盖章）`` (the printed "seal here" mark), then the organisation's full name as printed in the
    signature block (e.g. ``蒲县克城镇人民政府``), then the township's name (``克城镇``). Empty names
    are skipped and duplicates removed.
    """
    out: list[str] = []
    for k in ("（盖章）", organisation_name.strip(), township_name.strip()):
        if k and normalise(k) not in {normalise(o) for o in out}:
            out.append(k)
    return tuple(out)


@dataclass(frozen=True)
class SealSpot:
    """One full seal on one page."""

    page_index: int
    """0-based page."""

    centre: tuple[float, float]
    """Seal centre in the page's user space."""

    box: Box
    """Where the seal is drawn, in user space."""

    rotation: int
    """The page's /Rotate: turn the appearance counter-clockwise by this much to look upright
    (see :func:`esign.stamp.geometry.upright_matrix`)."""

    centre_mm: tuple[float, float]
    """Seal centre on the visible page, in mm from its top-left corner."""


@dataclass(frozen=True)
class RidingStrip:
    """The part of a riding seal (骑缝章) shown on one page."""

    page_index: int
    """0-based page."""

    box: Box
    """The strip's region in user space, flush with the visible right edge: clip to it."""

    seal_box: Box
    """Where the whole seal would be drawn on this page, in user space (mostly off the page)."""

    rotation: int
    """The page's /Rotate, as in :attr:`SealSpot.rotation`."""

    part: tuple[float, float]
    """Which vertical slice of the upright seal this strip shows, as fractions from its left edge."""


@dataclass(frozen=True)
class ResolvedPlacement:
    """A placement checked against a document, in user-space coordinates."""

    page_index: int
    """0-based page of the (main) seal."""

    centre: tuple[float, float]
    """Seal centre in the page's user space."""

    box: Box
    """Where the seal is drawn, in user space (for :class:`InField`, the field's rectangle)."""

    rotation: int
    """The page's /Rotate (turn the appearance counter-clockwise by this much)."""

    centre_mm: tuple[float, float]
    """Seal centre on the visible page, in mm from its top-left corner."""

    seal_size_mm: float
    """Seal diameter the placement was checked for."""

    field_name: str | None = None
    """The existing signature field to sign into (:class:`InField` only)."""

    keyword_hit: TextHit | None = None
    """The text the seal was put on (:class:`AtKeyword` only)."""

    adjusted: bool = False
    """True when an :class:`AtKeyword` seal was moved to lie inside the page."""

    also: tuple[SealSpot, ...] = field(default=())
    """Repeats of the seal on other pages."""

    riding: tuple[RidingStrip, ...] = field(default=())
    """Riding-seal strips, one per page, in page order; empty without ``riding_seal``."""

    @property
    def spot(self) -> SealSpot:
        """The main seal as a :class:`SealSpot`."""
        return SealSpot(self.page_index, self.centre, self.box, self.rotation, self.centre_mm)


def resolve(
    pdf: bytes | PdfInfo,
    placement: Placement,
    *,
    seal_size_mm: float,
    data: bytes | Path | None = None,
    password: str | None = None,
    pages: PdfiumPages | None = None,
    digest: str | None = None,
) -> ResolvedPlacement:
    """Check ``placement`` against the document and convert it to user space.

    ``pdf`` is the document or its :class:`PdfInfo`; :class:`AtKeyword` also needs the bytes (pass
    them as ``pdf`` or ``data``), or the document open in PDFium under the page guard (``pages``,
    from :func:`page_guard`), whose pages the caller may use after. ``password`` opens an encrypted
    document. ``digest``, the SHA-256 of the document's bytes, lets a keyword found on these bytes before
    be found again without PDFium (:class:`~esign.stamp.textpos.PdfiumPages`).

    :raises InputError: ``page_out_of_range``, ``keyword_not_found``, ``field_not_found``,
        ``field_already_signed``, ``field_invisible``, ``placement_off_page``,
        ``riding_seal_single_page``, ``invalid_seal_size``, and the errors of
        :func:`~esign.stamp.inputs.inspect_pdf`.
    """
    if isinstance(pdf, bytes | bytearray):
        data = bytes(pdf)
        info = inspect_pdf(data, password=password, max_bytes=len(data))
    else:
        info = pdf
    if (
        isinstance(seal_size_mm, bool)
        or not isinstance(seal_size_mm, int | float)
        or not (0 < seal_size_mm <= MAX_SEAL_MM)
    ):
        raise InputError(
            f"印章尺寸 {seal_size_mm!r} 毫米无效（应在 0 到 {MAX_SEAL_MM:.0f} 毫米之间）",
            f"seal size {seal_size_mm!r} mm is invalid (must be between 0 and {MAX_SEAL_MM:.0f} mm)",
            code="invalid_seal_size",
            field="seal_size_mm",
        )
    size = float(seal_size_mm)
    if isinstance(placement, AtPosition):
        main = _at_visible(info.page(placement.page), placement.x_mm, placement.y_mm, size)
        result = ResolvedPlacement(*_fields(main), seal_size_mm=size)
    elif isinstance(placement, AtKeyword):
        if data is None and pages is None:
            raise TypeError("AtKeyword needs the document bytes: pass them as `pdf` or `data`")
        result = _resolve_keyword(info, data, placement, size, password, pages, digest)
    elif isinstance(placement, InField):
        result = _resolve_field(info, placement, size)
    else:
        raise TypeError(f"not a placement: {placement!r}")

    also_pages = [
        i for i in dict.fromkeys(info.page_index(n) for n in placement.also_on_pages) if i != result.page_index
    ]
    budget.check_impressions(1 + len(also_pages) + (info.page_count if placement.riding_seal else 0))
    also = tuple(_at_visible(info.pages[i], *result.centre_mm, size) for i in also_pages)
    riding = _riding(info, size, placement.riding_y_mm) if placement.riding_seal else ()
    return ResolvedPlacement(
        result.page_index,
        result.centre,
        result.box,
        result.rotation,
        result.centre_mm,
        size,
        field_name=result.field_name,
        keyword_hit=result.keyword_hit,
        adjusted=result.adjusted,
        also=also,
        riding=riding,
    )


def _fields(spot: SealSpot) -> tuple[int, tuple[float, float], Box, int, tuple[float, float]]:
    return spot.page_index, spot.centre, spot.box, spot.rotation, spot.centre_mm


def _at_visible(page: PageInfo, x_mm: float, y_mm: float, size: float) -> SealSpot:
    """A seal centred at a visible position; refused unless it lies entirely on the page."""
    r = size / 2
    if x_mm - r < -_EPS or y_mm - r < -_EPS or x_mm + r > page.width_mm + _EPS or y_mm + r > page.height_mm + _EPS:
        raise _off_page(
            page,
            f"中心距左 {x_mm:.1f} 毫米、距上 {y_mm:.1f} 毫米，直径 {size:.0f} 毫米",
            f"centre {x_mm:.1f} mm from the left and {y_mm:.1f} mm from the top, {size:.0f} mm across",
        )
    geo = page.geometry
    box = geo.visible_rect_to_user(x_mm - r, y_mm - r, size, size)
    return SealSpot(page.index, geo.to_user(x_mm, y_mm), box, page.rotate, (x_mm, y_mm))


def _resolve_keyword(
    info: PdfInfo,
    data: bytes | Path | None,
    placement: AtKeyword,
    size: float,
    password: str | None,
    opened: PdfiumPages | None,
    digest: str | None,
) -> ResolvedPlacement:
    pages = None if placement.page is None else [info.page_index(placement.page)]
    with contextlib.ExitStack() as stack:
        if opened is None:
            assert data is not None
            before_page = stack.enter_context(page_guard(info, data, password))
            opened = PdfiumPages(data, password=password, before_page=before_page, digest=digest)
            stack.callback(opened.close)
        index = TextIndex(opened)
        hit = None
        for keyword in placement.candidates:
            hit = index.last(keyword, pages)
            if hit is not None:
                break
        has_text = hit is not None or index.has_text(pages)
        if hit is not None and digest is not None:
            # the page is parsed now: its occupied boxes, which the QR code's free-space search beside the
            # seal reads when stamping (esign.stamp.plan), are kept with the text for these bytes, so that
            # the approval of a checked request has PDFium parse nothing
            page_obstacles(opened, hit.page_index)
    if hit is None:
        where_zh = "文件中" if pages is None else f"第 {pages[0] + 1} 页上"
        where_en = "in the document" if pages is None else f"on page {pages[0] + 1}"
        shown = "、".join(f"“{k}”" for k in placement.candidates)
        shown_en = ", ".join(f'"{k}"' for k in placement.candidates)
        scan_zh = scan_en = ""
        if not has_text:
            scan_zh, scan_en = (
                "（页面没有文字层，可能是扫描件；请按坐标盖章）",
                " (the page has no text layer, perhaps a scan; place the seal by position)",
            )
        raise InputError(
            f"{where_zh}找不到定位关键字 {shown}{scan_zh}",
            f"the keyword {shown_en} was not found {where_en}{scan_en}",
            code="keyword_not_found",
            field="text",
            keyword=placement.candidates[0],
        )
    if hit.page_index >= info.page_count:
        raise InputError("文字所在页不存在", "the text is on a page the document does not have", code="pdf_malformed")
    page = info.pages[hit.page_index]
    cx, cy = page.geometry.to_visible(*hit.bbox.centre)
    x, y = cx + placement.offset_x_mm, cy + placement.offset_y_mm
    r = size / 2
    # The clerk did not choose these coordinates: nudge a seal at the edge inside instead of refusing.
    nx = min(max(x, r), page.width_mm - r)
    ny = min(max(y, r), page.height_mm - r)
    spot = _at_visible(page, nx, ny, size)
    adjusted = abs(nx - x) > _EPS or abs(ny - y) > _EPS
    return ResolvedPlacement(*_fields(spot), seal_size_mm=size, keyword_hit=hit, adjusted=adjusted)


def _impressions(info: PdfInfo, placement: Placement) -> int:
    """Seal images a placement asks for: the seal, its repeats, one riding strip per page."""
    return 1 + len(set(placement.also_on_pages)) + (info.page_count if placement.riding_seal else 0)


def check_budget(info: PdfInfo, placement: Placement) -> None:
    """What :func:`resolve` would refuse under the per-document budget (:mod:`esign.budget`) without
    resolving: more seal images than a stamping may add. (Page content too large to search is
    refused when the keyword search reaches it.)

    :raises TooComplexError: ``too_complex``.
    """
    budget.check_impressions(_impressions(info, placement))


@contextlib.contextmanager
def page_guard(
    info: PdfInfo, data: bytes | Path, password: str | None, *, reader: PdfFileReader | None = None
) -> Iterator[Callable[[int], None]]:
    """A ``before_page`` for :class:`~esign.stamp.textpos.PdfiumPages`: PDFium decodes page content,
    forms and fonts without limits of its own, so each page is measured under the budget before PDFium
    parses it. ``reader`` is the document already open (:func:`~esign.stamp.inputs.open_reader`), whose
    per-document meter is charged; without it the document is opened again.

    :raises TooComplexError: past :attr:`esign.budget.Budget.text_content_bytes`.
    """
    if reader is None:
        with data.open("rb") if isinstance(data, Path) else contextlib.nullcontext(data) as source:
            own = open_reader(source, password=password, max_bytes=info.size_bytes)
            with page_guard(info, data, password, reader=own) as guard:
                yield guard
        return
    meter = budget.meter_of(reader)
    assert meter is not None
    guarded = reader
    seen: set[object] = set()

    def before_page(index: int) -> None:
        with meter.active():
            budget.check_text_content(guarded, [info.pages[index].object_id], meter, seen=seen)

    yield before_page


def _resolve_field(info: PdfInfo, placement: InField, size: float) -> ResolvedPlacement:
    if placement.name in info.signatures:
        raise InputError(
            f"签名域“{placement.name}”已经签过名",
            f"the signature field {placement.name!r} is already signed",
            code="field_already_signed",
            field="name",
        )
    found = next((f for f in info.empty_signature_fields if f.name == placement.name), None)
    if found is None or found.page_index is None or found.page_index >= info.page_count:
        names = "、".join(f.name for f in info.empty_signature_fields) or "无"
        raise InputError(
            f"找不到空白签名域“{placement.name}”（文件中的空白签名域：{names}）",
            f"no empty signature field named {placement.name!r} "
            f"(empty fields: {', '.join(f.name for f in info.empty_signature_fields) or 'none'})",
            code="field_not_found",
            field="name",
        )
    if found.rect is None or found.rect.is_empty:
        raise InputError(
            f"签名域“{placement.name}”是不可见的，无法放置印章",
            f"the signature field {placement.name!r} is invisible, so no seal can be shown in it",
            code="field_invisible",
            field="name",
        )
    page = info.pages[found.page_index]
    centre = found.rect.centre
    return ResolvedPlacement(
        page.index, centre, found.rect, page.rotate, page.geometry.to_visible(*centre), size, field_name=found.name
    )


def _riding(info: PdfInfo, size: float, y_mm: float | None) -> tuple[RidingStrip, ...]:
    n = info.page_count
    if n < 2:
        raise InputError("骑缝章需要至少两页", "a riding seal needs at least two pages", code="riding_seal_single_page")
    strip = size / n
    out = []
    for page in info.pages:
        i = page.index
        cy = page.height_mm / 2 if y_mm is None else y_mm
        if cy - size / 2 < -_EPS or cy + size / 2 > page.height_mm + _EPS:
            raise _off_page(page, f"骑缝章中心距上 {cy:.1f} 毫米", f"riding seal centred {cy:.1f} mm from the top")
        geo: PageGeometry = page.geometry
        left = page.width_mm - size * (i + 1) / n
        out.append(
            RidingStrip(
                page_index=i,
                box=geo.visible_rect_to_user(page.width_mm - strip, cy - size / 2, strip, size),
                seal_box=geo.visible_rect_to_user(left, cy - size / 2, size, size),
                rotation=page.rotate,
                part=(i / n, (i + 1) / n),
            )
        )
    return tuple(out)
