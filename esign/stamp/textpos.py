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

import hashlib
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from esign.errors import EsignError, InputError
from esign.stamp.geometry import Box

__all__ = ["PageText", "PdfiumPages", "TextHit", "TextIndex", "find_text", "normalise", "pdfium_lock"]

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
class PageText:
    """The text of one page: normalised characters and, for each glyph, its box."""

    page_index: int
    """0-based page."""

    chars: str
    """Non-blank glyphs in content-stream order, one character each."""

    boxes: tuple[tuple[float, float, float, float], ...]
    """Each glyph's box as PDFium gives it (left, bottom, right, top), in user space."""

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
            box = Box.from_corners(*self.boxes[first])
            for corners in self.boxes[first + 1 : last + 1]:
                box = box.union(Box.from_corners(*corners))
            hits.append(TextHit(self.page_index, box, self.chars[first : last + 1]))
            start = self.folded.find(target, start + 1)
        return hits


def normalise(text: str) -> str:
    """The form text is compared in: NFKC, case-folded, without whitespace or invisible marks."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in folded if not c.isspace() and unicodedata.category(c) not in ("Cf", "Cc"))


class PdfiumPages:
    """A document opened once in PDFium and the pages loaded from it, shared by the text search and the
    free-space search (:func:`esign.stamp.freespace.page_obstacles`): a page's content and fonts are
    parsed once. The last few pages loaded stay loaded; call :meth:`close` when done.

    Given the document's SHA-256 (``digest``), what was found on its pages (their text, their occupied
    boxes, the page count) is also kept per process for the same bytes opened with the same password:
    a request's approval then finds the keyword its submission found without PDFium parsing the page
    again. The findings are a function of those bytes alone, so they are keyed by the digest, never by
    a name; a page found in the cache was measured under ``before_page`` when it was parsed.

    Use the pages only while holding the PDFium lock (:func:`pdfium_lock`).
    """

    _KEEP = 2

    def __init__(
        self,
        data: bytes | Path,
        *,
        password: str | None = None,
        before_page: Callable[[int], None] | None = None,
        digest: str | None = None,
    ) -> None:
        """``before_page(index)`` is called before PDFium parses a page, and may refuse it (the
        per-document budget of :mod:`esign.budget` measures what PDFium is about to decode)."""
        self._data = data
        self._password = password
        self._doc: pdfium.PdfDocument | None = None
        self._pages: dict[int, pdfium.PdfPage] = {}
        self._before_page = before_page
        self._identity = None if digest is None else (digest, hashlib.sha256((password or "").encode()).digest())
        count = self.found("count", -1)
        self.page_count: int = count if isinstance(count, int) else len(self._document())
        self.keep("count", -1, self.page_count)

    def _document(self) -> pdfium.PdfDocument:
        if self._doc is None:
            with _wrapped(), _PDFIUM:
                self._doc = pdfium.PdfDocument(self._data, password=self._password)
        return self._doc

    def page(self, index: int) -> pdfium.PdfPage:
        """Page ``index`` (0-based), loaded on first use (after ``before_page``)."""
        page = self._pages.pop(index, None)
        if page is None:
            doc = self._document()
            if self._before_page is not None:
                self._before_page(index)
            with _wrapped(), _PDFIUM:
                page = doc[index]
                while len(self._pages) >= self._KEEP:  # the oldest first
                    self._pages.pop(next(iter(self._pages))).close()
        self._pages[index] = page
        return page

    def found(self, kind: str, index: int) -> object | None:
        """What was found of ``kind`` on page ``index`` of these very bytes before, or None."""
        if self._identity is None:
            return None
        with _FOUND_LOCK:
            key = (*self._identity, kind, index)
            value = _FOUND.get(key)
            if value is not None:
                _FOUND.move_to_end(key)
            return value

    def keep(self, kind: str, index: int, value: object) -> None:
        """Remember what was found of ``kind`` on page ``index`` (immutable values only)."""
        if self._identity is None:
            return
        with _FOUND_LOCK:
            _FOUND[(*self._identity, kind, index)] = value
            while len(_FOUND) > _MAX_FOUND:
                _FOUND.popitem(last=False)

    def close(self) -> None:
        """Release the pages and the document."""
        with _PDFIUM:
            for page in self._pages.values():
                page.close()
            self._pages.clear()
            if self._doc is not None:
                self._doc.close()


_FOUND: OrderedDict[tuple[str, bytes, str, int], object] = OrderedDict()
_FOUND_LOCK = threading.Lock()
_MAX_FOUND = 512


def pdfium_lock() -> threading.RLock:
    """The process-wide lock every call into PDFium holds."""
    return _PDFIUM


class TextIndex:
    """Lazily extracted, cached page texts of one document.

    Pages are only parsed when asked for, so a search from the last page backwards usually parses a
    single page of a long document.
    """

    def __init__(
        self,
        data: bytes | Path | PdfiumPages,
        *,
        password: str | None = None,
        before_page: Callable[[int], None] | None = None,
    ) -> None:
        """``data`` is the document, or pages already open (then ``password`` and ``before_page`` are
        theirs). ``before_page(index)`` is called before PDFium parses a page, and may refuse it (the
        per-document budget of :mod:`esign.budget` measures what PDFium is about to decode)."""
        self._owned = not isinstance(data, PdfiumPages)
        if isinstance(data, PdfiumPages):
            self._pages = data
        else:
            self._pages = PdfiumPages(data, password=password, before_page=before_page)
        self._page_count = self._pages.page_count
        self._cache: dict[int, PageText] = {}

    @property
    def page_count(self) -> int:
        """Number of pages PDFium sees."""
        return self._page_count

    @property
    def pages(self) -> PdfiumPages:
        """The document's pages in PDFium."""
        return self._pages

    def page(self, index: int) -> PageText:
        """The text of page ``index`` (0-based)."""
        if index not in self._cache:
            known = self._pages.found("text", index)
            if isinstance(known, PageText):
                self._cache[index] = known
                return known
            page = self._pages.page(index)
            with _wrapped(), _PDFIUM:
                textpage = page.get_textpage()
                try:
                    self._cache[index] = _page_text(index, textpage)
                finally:
                    textpage.close()
            self._pages.keep("text", index, self._cache[index])
        return self._cache[index]

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
        return any(self.page(i).chars for i in indexes)

    def close(self) -> None:
        """Release PDFium's document unless it was handed in (also done when garbage-collected)."""
        if self._owned:
            self._pages.close()


def find_text(data: bytes, needle: str, *, password: str | None = None) -> list[TextHit]:
    """Every occurrence of ``needle`` in the document, in document order.

    :raises InputError: ``pdf_malformed`` when PDFium cannot read the file.
    """
    index = TextIndex(data, password=password)
    try:
        return index.find(needle)
    finally:
        index.close()


_FOLDED: dict[str, str] = {}


def _fold(char: str) -> str:
    """:func:`normalise` of one character, remembered (a page repeats a few hundred characters)."""
    folded = _FOLDED.get(char)
    if folded is None:
        if len(_FOLDED) >= 1 << 16:
            _FOLDED.clear()
        folded = _FOLDED[char] = normalise(char)
    return folded


def _page_text(index: int, textpage: pdfium.PdfTextPage) -> PageText:
    chars: list[str] = []
    boxes: list[tuple[float, float, float, float]] = []
    folded: list[str] = []
    owners: list[int] = []
    rect = pdfium_c.FS_RECTF()
    get_unicode, get_box = pdfium_c.FPDFText_GetUnicode, pdfium_c.FPDFText_GetLooseCharBox
    for i in range(textpage.count_chars()):
        code = get_unicode(textpage, i)
        if code == 0 or 0xD800 <= code < 0xE000:  # no mapping, or a lone surrogate half
            continue
        char = chr(code)
        norm = _fold(char)
        if not norm or not get_box(textpage, i, rect):
            continue
        owners.extend([len(chars)] * len(norm))
        chars.append(char)
        boxes.append((rect.left, rect.bottom, rect.right, rect.top))
        folded.append(norm)
    return PageText(index, "".join(chars), tuple(boxes), "".join(folded), tuple(owners))


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
