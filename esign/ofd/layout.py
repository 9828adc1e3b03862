"""Where things are on an OFD page (GB/T 33190-2016): pages and their boxes, the glyphs of the
TextCode runs, the boxes content occupies, and a free spot for the QR code.

Units are millimetres, origin top-left, y downwards (GB/T 33190 §8.1: the page coordinate space).
Glyph positions follow §11.3: a TextCode's X/Y are in the TextObject's space (its Boundary's origin,
after its CTM); DeltaX lists the advances between glyphs, ``g N d`` meaning N times ``d`` (§11.3.2,
as ofdrw's ``DeltaXY`` and ofd.js read it); a TextCode without X/Y continues where the previous one
ended. Keyword search joins every run of a page in content order, so a word split over several
TextObjects (keyword.ofd writes "2020年05月08日" as five objects) is found as a whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from lxml import etree

from esign.errors import InputError
from esign.ofd.package import OfdPackage
from esign.ofd.xml import q

__all__ = ["Glyph", "OfdPage", "Rect", "find_keyword", "free_spot", "occupied", "page_glyphs", "pages"]

Rect = tuple[float, float, float, float]
"""x, y, width, height in mm (top-left origin)."""

_MAX_PAGE_MM = 5000.0


@dataclass(frozen=True)
class OfdPage:
    """One page of the document."""

    index: int
    """0-based position in Document.xml's Pages."""
    page_id: str
    """The Page's ID attribute (StampAnnot PageRef, Annotations PageID)."""
    path: str
    """Package path of the page's Content.xml."""
    box: Rect
    """PhysicalBox (the page's own Area, else the document's PageArea)."""


@dataclass(frozen=True)
class Glyph:
    char: str
    box: Rect


def _numbers(text: str | None, what: str, where: str) -> list[float]:
    try:
        return [float(v) for v in (text or "").split()]
    except ValueError:
        raise _malformed(where, f"{what} {text!r}") from None


def _malformed(where: str, detail: str) -> InputError:
    return InputError(
        f"OFD 文件 {where} 中的数值无法读取：{detail[:120]}",
        f"The OFD part {where} has an unreadable value: {detail[:120]}",
        code="ofd_malformed",
        field="file",
    )


def _box(text: str | None, where: str) -> Rect:
    v = _numbers(text, "box", where)
    if len(v) != 4:
        raise _malformed(where, f"box {text!r}")
    x, y, w, h = v  # some producers write a negative extent: the same box, measured backwards
    return (min(x, x + w), min(y, y + h), abs(w), abs(h))


def pages(pkg: OfdPackage, doc: str) -> list[OfdPage]:
    """The pages of the document whose Document.xml is ``doc``; a page box larger than 5 m is
    refused (``ofd_page_size``: a producer that wrote points or pixels where GB/T 33190 says mm)."""
    root = pkg.xml(doc)
    default = root.find(f"{q('CommonData')}/{q('PageArea')}/{q('PhysicalBox')}")
    out = []
    for i, el in enumerate(root.iterfind(f"{q('Pages')}/{q('Page')}")):
        path = pkg.resolve(doc, el.get("BaseLoc", ""))
        content = pkg.xml(path)
        own = content.find(f"{q('Area')}/{q('PhysicalBox')}")
        src = own if own is not None else default
        if src is None:
            raise _malformed(path, "no PhysicalBox")
        box = _box(src.text, path)
        if not 1 <= box[2] <= _MAX_PAGE_MM or not 1 <= box[3] <= _MAX_PAGE_MM:
            raise InputError(
                f"OFD 第 {i + 1} 页的页面尺寸 {box[2]:g}×{box[3]:g} 不是合理的毫米值"
                "（GB/T 33190 以毫米为单位），无法确定盖章位置。",
                f"Page {i + 1} of the OFD is {box[2]:g}×{box[3]:g}, not a plausible size in millimetres "
                "(GB/T 33190 measures in mm); the seal cannot be placed.",
                code="ofd_page_size",
                field="file",
                page=i + 1,
            )
        out.append(OfdPage(i, el.get("ID", str(i + 1)), path, box))
    if not out:
        raise InputError("OFD 文档没有页面。", "The OFD document has no pages.", code="ofd_no_pages", field="file")
    return out


def _objects(pkg: OfdPackage, page: OfdPage, local: str) -> Iterator[etree._Element]:
    content = pkg.xml(page.path).find(q("Content"))
    if content is not None:
        yield from content.iter(q(local))


def _ctm(el: etree._Element, where: str) -> tuple[float, ...]:
    v = _numbers(el.get("CTM"), "CTM", where) if el.get("CTM") else [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    if len(v) != 6:
        raise _malformed(where, f"CTM {el.get('CTM')!r}")
    return tuple(v)


def _number(text: str | None, default: float, where: str) -> float:
    if text is None:
        return default
    v = _numbers(text, "X/Y", where)
    if len(v) != 1:
        raise _malformed(where, f"X/Y {text!r}")
    return v[0]


def _deltas(text: str | None, where: str) -> list[float]:
    out: list[float] = []
    tokens = (text or "").split()
    i = 0
    try:
        while i < len(tokens):
            if tokens[i] == "g":
                out.extend([float(tokens[i + 2])] * min(int(tokens[i + 1]), 100_000))
                i += 3
            else:
                out.append(float(tokens[i]))
                i += 1
    except (IndexError, ValueError):
        raise _malformed(where, f"DeltaX {text!r}") from None
    return out


def page_glyphs(pkg: OfdPackage, page: OfdPage) -> list[Glyph]:
    """Every glyph of the page's TextObjects, in content order, with its box on the page."""
    out: list[Glyph] = []
    for obj in _objects(pkg, page, "TextObject"):
        if obj.get("Boundary") is None:  # invalid (GB/T 33190 requires it) and so drawn nowhere
            continue
        bx, by, _bw, _bh = _box(obj.get("Boundary"), page.path)
        size = (_numbers(obj.get("Size"), "Size", page.path) or [3.5])[0]
        a, b, c, d, e, f = _ctm(obj, page.path)
        x = y = 0.0
        for code in obj.iterfind(q("TextCode")):
            x = _number(code.get("X"), x, page.path)
            y = _number(code.get("Y"), y, page.path)
            deltas = _deltas(code.get("DeltaX"), page.path)
            for n, ch in enumerate(code.text or ""):
                adv = deltas[n] if n < len(deltas) else size
                x0, y0 = a * x + c * (y - size) + e, b * x + d * (y - size) + f
                x1, y1 = a * (x + adv) + c * y + e, b * (x + adv) + d * y + f
                out.append(Glyph(ch, (bx + min(x0, x1), by + min(y0, y1), abs(x1 - x0), abs(y1 - y0))))
                x += adv
    return out


def _union(boxes: Iterable[Rect]) -> Rect:
    bs = list(boxes)
    x0, y0 = min(b[0] for b in bs), min(b[1] for b in bs)
    x1, y1 = max(b[0] + b[2] for b in bs), max(b[1] + b[3] for b in bs)
    return (x0, y0, x1 - x0, y1 - y0)


_SPACE = re.compile(r"\s")


def find_keyword(
    pkg: OfdPackage, doc_pages: list[OfdPage], texts: tuple[str, ...], page: int | None
) -> tuple[OfdPage, Rect] | None:
    """The last occurrence of the first of ``texts`` found, searching from the last page (or only
    ``page``); whitespace is ignored on both sides. Returns the page and the text's box."""
    candidates = [doc_pages[page]] if page is not None else list(reversed(doc_pages))
    for p in candidates:
        glyphs = [g for g in page_glyphs(pkg, p) if not _SPACE.match(g.char)]
        joined = "".join(g.char for g in glyphs)
        for text in texts:
            needle = _SPACE.sub("", text)
            at = joined.rfind(needle) if needle else -1
            if at >= 0:
                return p, _union(g.box for g in glyphs[at : at + len(needle)])
    return None


def occupied(pkg: OfdPackage, page: OfdPage) -> list[Rect]:
    """Boxes of the page's text, image and path objects (their Boundary, in page space)."""
    out = []
    for local in ("TextObject", "ImageObject", "PathObject", "CompositeObject"):
        for obj in _objects(pkg, page, local):
            if obj.get("Boundary") is not None:
                out.append(_box(obj.get("Boundary"), page.path))
    return out


def _overlaps(a: Rect, b: Rect) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def free_spot(page: OfdPage, taken: list[Rect], seal: Rect, size: float, *, margin: float = 5.0) -> Rect | None:
    """A ``size`` square on ``page`` overlapping nothing in ``taken`` nor the seal: right of the seal,
    below it, left of it, then along the page's margins (bottom, right, top, left); None if nowhere."""
    px, py, pw, ph = page.box
    sx, sy, sw, sh = seal
    gap = 2.0
    tries: list[tuple[float, float]] = [
        (sx + sw + gap, sy + (sh - size) / 2),
        (sx + (sw - size) / 2, sy + sh + gap),
        (sx - gap - size, sy + (sh - size) / 2),
    ]
    step = size / 2
    n = 0
    while n * step <= max(pw, ph):
        tries += [
            (px + pw - margin - size - n * step, py + ph - margin - size),
            (px + pw - margin - size, py + ph - margin - size - n * step),
            (px + pw - margin - size - n * step, py + margin),
            (px + margin, py + ph - margin - size - n * step),
        ]
        n += 1
    blocked = [*taken, seal]
    for x, y in tries:
        cand = (x, y, size, size)
        inside = px <= x and py <= y and x + size <= px + pw and y + size <= py + ph
        if inside and not any(_overlaps(cand, b) for b in blocked):
            return cand
    return None
