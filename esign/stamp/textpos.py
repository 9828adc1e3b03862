"""Where a piece of text sits on a page, in the page's user space (pdfminer.six underneath).

Matching is forgiving in the ways real decisions differ from what a clerk types: whitespace between
characters is ignored, and characters are compared after Unicode NFKC folding and case folding, so
full-width and half-width forms match (``（盖章）`` = ``(盖章)``, ``２０２５`` = ``2025``). Characters are
taken in content-stream order, which is reading order for the files word processors produce; a
match may run across a line break.

Guarantees: positions are glyph boxes as pdfminer computes them from font metrics, in the page's
unrotated user space (the CropBox and /Rotate do not change them). Not handled: text drawn as
outlines or images (a scan has no text), and glyphs without a Unicode mapping.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from esign.errors import EsignError, InputError
from esign.stamp.geometry import Box

__all__ = ["PageText", "TextHit", "TextIndex", "find_text", "normalise"]


@dataclass(frozen=True)
class TextHit:
    """One occurrence of the searched text."""

    page_index: int
    """0-based page."""

    bbox: Box
    """Union of the matched glyph boxes, in the page's user space."""

    text: str
    """The matched characters as the document has them (whitespace between them dropped)."""


@dataclass(frozen=True)
class _Glyph:
    text: str
    box: Box


@dataclass(frozen=True)
class PageText:
    """The text of one page: normalised characters and, for each, its glyph box."""

    page_index: int
    """0-based page."""

    glyphs: tuple[_Glyph, ...]
    """Non-blank glyphs in content-stream order."""

    folded: str
    """The normalised text to search in (one or more characters per glyph)."""

    owners: tuple[int, ...]
    """For each character of ``folded``, the index of the glyph it came from."""

    def find(self, needle: str) -> list[TextHit]:
        """Every occurrence of ``needle`` on this page, overlapping ones included, in order."""
        target = normalise(needle)
        if not target:
            return []
        hits: list[TextHit] = []
        start = self.folded.find(target)
        while start >= 0:
            first, last = self.owners[start], self.owners[start + len(target) - 1]
            box = self.glyphs[first].box
            for g in self.glyphs[first + 1 : last + 1]:
                box = box.union(g.box)
            text = "".join(g.text for g in self.glyphs[first : last + 1])
            hits.append(TextHit(self.page_index, box, text))
            start = self.folded.find(target, start + 1)
        return hits


def normalise(text: str) -> str:
    """The form text is compared in: NFKC, case-folded, without whitespace or invisible marks."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in folded if not c.isspace() and unicodedata.category(c) not in ("Cf", "Cc"))


class TextIndex:
    """Lazily extracted, cached page texts of one document.

    Pages are only parsed when asked for, so a search from the last page backwards usually parses a
    single page of a long document.
    """

    def __init__(self, data: bytes, *, password: str | None = None) -> None:
        from pdfminer.converter import PDFPageAggregator
        from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager

        with _wrapped():
            self._pages = _open_pages(data, password)
            self._rsrc = PDFResourceManager(caching=True)
            self._device = PDFPageAggregator(self._rsrc, laparams=None)
            self._interp = PDFPageInterpreter(self._rsrc, self._device)
        self._cache: dict[int, PageText] = {}

    @property
    def page_count(self) -> int:
        """Number of pages pdfminer sees."""
        return len(self._pages)

    def page(self, index: int) -> PageText:
        """The text of page ``index`` (0-based)."""
        if index not in self._cache:
            with _wrapped():
                self._cache[index] = self._extract(index)
        return self._cache[index]

    def _extract(self, index: int) -> PageText:
        page = self._pages[index]
        x0, y0 = page.mediabox[0], page.mediabox[1]
        # With /Rotate cleared pdfminer only shifts by the MediaBox origin, which is added back below.
        page.rotate = 0
        self._interp.process_page(page)
        glyphs: list[_Glyph] = []
        folded: list[str] = []
        owners: list[int] = []
        for ch in _chars(self._device.get_result()):
            norm = normalise(ch.get_text())
            if not norm:
                continue
            glyphs.append(_Glyph(ch.get_text(), Box.from_corners(ch.x0 + x0, ch.y0 + y0, ch.x1 + x0, ch.y1 + y0)))
            folded.append(norm)
            owners.extend([len(glyphs) - 1] * len(norm))
        return PageText(index, tuple(glyphs), "".join(folded), tuple(owners))

    def find(self, needle: str, page_indexes: Iterable[int] | None = None) -> list[TextHit]:
        """Every occurrence of ``needle`` on the given pages (all by default), in document order."""
        indexes = range(self.page_count) if page_indexes is None else sorted(set(page_indexes))
        return [hit for i in indexes for hit in self.page(i).find(needle)]

    def last(self, needle: str, page_indexes: Sequence[int] | None = None) -> TextHit | None:
        """The last occurrence in document order, searching from the last page backwards."""
        indexes = range(self.page_count) if page_indexes is None else sorted(set(page_indexes))
        for i in reversed(indexes):
            hits = self.page(i).find(needle)
            if hits:
                return hits[-1]
        return None

    def has_text(self, page_indexes: Iterable[int] | None = None) -> bool:
        """True when any of the given pages has any extractable text."""
        indexes = range(self.page_count) if page_indexes is None else page_indexes
        return any(self.page(i).glyphs for i in indexes)


def find_text(data: bytes, needle: str, *, password: str | None = None) -> list[TextHit]:
    """Every occurrence of ``needle`` in the document, in document order.

    :raises InputError: ``pdf_malformed``/``pdf_too_complex`` when pdfminer cannot read the file.
    """
    return TextIndex(data, password=password).find(needle)


def _open_pages(data: bytes, password: str | None) -> list[Any]:
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser

    doc = PDFDocument(PDFParser(io.BytesIO(data)), password=password or "")
    return list(PDFPage.create_pages(doc))


def _chars(container: Any) -> Iterator[Any]:
    from pdfminer.layout import LTChar

    stack = [iter(container)]
    while stack:
        for item in stack[-1]:
            if isinstance(item, LTChar):
                yield item
            elif hasattr(item, "__iter__"):
                stack.append(iter(item))
                break
        else:
            stack.pop()


class _wrapped:
    """pdfminer's many exception types become our errors (the bytes were already vetted by inspect_pdf)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        if exc is None or isinstance(exc, EsignError) or not isinstance(exc, Exception):
            return None
        if isinstance(exc, RecursionError):
            raise InputError(
                "PDF 文件结构过于复杂，无法提取文字",
                "the PDF's structure is too complex to extract its text",
                code="pdf_too_complex",
            ) from exc
        raise InputError(
            f"无法提取 PDF 文件中的文字（{type(exc).__name__}）",
            f"the text of the PDF cannot be extracted ({type(exc).__name__}: {exc})"[:300],
            code="pdf_malformed",
        ) from exc
