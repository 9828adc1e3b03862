"""Where a piece of text sits on a page, in the page's user space (PDFium, through pypdfium2).

Matching is forgiving in the ways real decisions differ from what a clerk types: whitespace between
characters is ignored, and characters are compared after Unicode NFKC folding and case folding, so
full-width and half-width forms match (``（盖章）`` = ``(盖章)``, ``２０２５`` = ``2025``). Characters are
taken in PDFium's text order, which is reading order for the files word processors produce; a
match may run across a line break.

Guarantees: positions are PDFium's loose glyph boxes (advance width by font ascent and descent),
in the page's unrotated user space (the CropBox and /Rotate do not change them). Not handled: text
drawn as outlines or images (a scan has no text), and glyphs without a Unicode mapping.

PDFium is not thread-safe: every call into it holds one process-wide lock (a page takes a few
milliseconds).
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from esign.errors import EsignError, InputError
from esign.stamp.geometry import Box

__all__ = ["PageText", "TextHit", "TextIndex", "find_text", "normalise"]

_PDFIUM = threading.RLock()


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

    def __init__(
        self, data: bytes | Path, *, password: str | None = None, before_page: Callable[[int], None] | None = None
    ) -> None:
        """``before_page(index)`` is called before PDFium parses a page, and may refuse it (the
        per-document budget of :mod:`esign.budget` measures what PDFium is about to decode)."""
        with _wrapped(), _PDFIUM:
            self._doc = pdfium.PdfDocument(data, password=password)
            self._page_count = len(self._doc)
        self._cache: dict[int, PageText] = {}
        self._before_page = before_page

    @property
    def page_count(self) -> int:
        """Number of pages PDFium sees."""
        return self._page_count

    def page(self, index: int) -> PageText:
        """The text of page ``index`` (0-based)."""
        if index not in self._cache:
            if self._before_page is not None:
                self._before_page(index)
            with _wrapped(), _PDFIUM:
                self._cache[index] = self._extract(index)
        return self._cache[index]

    def _extract(self, index: int) -> PageText:
        page = self._doc[index]
        try:
            textpage = page.get_textpage()
            try:
                return _page_text(index, textpage)
            finally:
                textpage.close()
        finally:
            page.close()

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

    def close(self) -> None:
        """Release PDFium's document (also done when the index is garbage-collected)."""
        with _PDFIUM:
            self._doc.close()


def find_text(data: bytes, needle: str, *, password: str | None = None) -> list[TextHit]:
    """Every occurrence of ``needle`` in the document, in document order.

    :raises InputError: ``pdf_malformed`` when PDFium cannot read the file.
    """
    index = TextIndex(data, password=password)
    try:
        return index.find(needle)
    finally:
        index.close()


def _page_text(index: int, textpage: pdfium.PdfTextPage) -> PageText:
    glyphs: list[_Glyph] = []
    folded: list[str] = []
    owners: list[int] = []
    rect = pdfium_c.FS_RECTF()
    for i in range(textpage.count_chars()):
        code = pdfium_c.FPDFText_GetUnicode(textpage, i)
        if code == 0 or 0xD800 <= code < 0xE000:  # no mapping, or a lone surrogate half
            continue
        char = chr(code)
        norm = normalise(char)
        if not norm or not pdfium_c.FPDFText_GetLooseCharBox(textpage, i, rect):
            continue
        glyphs.append(_Glyph(char, Box.from_corners(rect.left, rect.bottom, rect.right, rect.top)))
        folded.append(norm)
        owners.extend([len(glyphs) - 1] * len(norm))
    return PageText(index, tuple(glyphs), "".join(folded), tuple(owners))


class _wrapped:
    """PDFium's errors become ours (the bytes were already vetted by inspect_pdf)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        if exc is None or isinstance(exc, EsignError) or not isinstance(exc, Exception):
            return None
        raise InputError(
            f"无法提取 PDF 文件中的文字（{type(exc).__name__}）",
            f"the text of the PDF cannot be extracted ({type(exc).__name__}: {exc})"[:300],
            code="pdf_malformed",
        ) from exc
