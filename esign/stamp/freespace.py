"""Where the QR code may go: free space on the page, found from what PDFium sees there.

The seal is meant to overlap the signature line (盖章处); the opaque QR code must never cover page
content. :func:`page_obstacles` collects the page's occupied boxes in user space: every top-level
page object (text runs, images, paths, form XObjects) and every annotation rectangle; a non-text
object covering most of the page (a background, a frame, a scanned page) is not an obstacle, or
nothing would ever be free. :func:`qr_spot` tries, in order, right of the seal, below it, left of it and above it (3 mm
apart, centred on the seal), then any free square inside the visible page at least 5 mm from its
edges (the page margin included), nearest to the seal first. Positions are checked with a 1 pt
clearance.

Not handled: text inside a scanned page image (the scan counts as background, so the QR code goes
beside the seal as on a blank page), and rotated pages or a ``/UserUnit`` other than 1 (callers
keep the plain right/below layout there). When no place is free, callers refuse with ``qr_no_space``.
Not bounded here: PDFium parses the page without the per-document page-content guard; the keyword
search runs that guard (:func:`esign.stamp.placement.page_guard`) before the page it shares with this
search is parsed, a position or field placement does not.
"""

from __future__ import annotations

import math
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from esign.stamp.geometry import PT_PER_MM, Box
from esign.stamp.textpos import _PDFIUM, PdfiumPages, _wrapped

__all__ = ["Obstacles", "obstacles_ahead", "page_obstacles", "qr_spot"]

#: A path covering more than this share of the page is a background or frame, not content.
_BACKGROUND_SHARE = 0.6
_CLEARANCE = 1.0
_GAP = 3 * PT_PER_MM
_EDGE = 5 * PT_PER_MM
_STEP = 3 * PT_PER_MM


def page_obstacles(data: bytes | Path | PdfiumPages, page_index: int, *, password: str | None = None) -> list[Box]:
    """The occupied boxes of page ``page_index`` in its user space. ``data`` is the document, or its
    pages already open in PDFium (the text search's: the page is not parsed again)."""
    pages = data if isinstance(data, PdfiumPages) else PdfiumPages(data, password=password)
    try:
        known = pages.found("obstacles", page_index)
        if isinstance(known, tuple):
            return list(known)
        page = pages.page(page_index)
        with _wrapped(), _PDFIUM:
            boxes = _obstacles(page)
        pages.keep("obstacles", page_index, tuple(boxes))
        return boxes
    finally:
        if pages is not data:
            pages.close()


#: The obstacles of one page found ahead: its 0-based index and its occupied boxes.
Obstacles = Future[tuple[int, list[Box]]]

_AHEAD: ThreadPoolExecutor | None = None
_AHEAD_LOCK = threading.Lock()


def _forget_workers() -> None:
    # A forked child (the batch pool's workers) inherits the executor but not its threads: it makes its own.
    global _AHEAD, _AHEAD_LOCK
    _AHEAD, _AHEAD_LOCK = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_workers)


def obstacles_ahead(data: bytes | Path, page_number: int, *, password: str | None = None) -> Obstacles:
    """Start :func:`page_obstacles` of page ``page_number`` (1-based, negative from the end) on a worker
    thread, while the caller reads the document for signing: PDFium parses the page outside the Python
    interpreter lock, so on a machine with a spare core the page costs no wall time. The caller takes
    the result only for the page it resolves to (and computes it itself on any failure).

    No budget guards the page here, as none guards :func:`page_obstacles` (see the module docstring);
    only a document whose bytes were already inspected and hash-checked should be handed in.
    """
    global _AHEAD
    if _AHEAD is None:
        with _AHEAD_LOCK:
            if _AHEAD is None:
                _AHEAD = ThreadPoolExecutor(max_workers=2, thread_name_prefix="esign-freespace")

    def work() -> tuple[int, list[Box]]:
        pages = PdfiumPages(data, password=password)
        try:
            count = pages.page_count
            index = page_number - 1 if page_number > 0 else count + page_number
            if not 0 <= index < count:
                raise IndexError(f"no page {page_number}")
            page = pages.page(index)
            with _wrapped(), _PDFIUM:
                return index, _obstacles(page)
        finally:
            pages.close()

    return _AHEAD.submit(work)


def _obstacles(page: pdfium.PdfPage) -> list[Box]:
    width, height = page.get_size()
    area = max(width * height, 1.0)
    boxes: list[Box] = []
    for obj in page.get_objects(max_depth=0):
        left, bottom, right, top = obj.get_bounds()
        box = Box.from_corners(left, bottom, right, top)
        if box.width * box.height <= 0 and obj.type != pdfium_c.FPDF_PAGEOBJ_TEXT:
            continue
        if obj.type != pdfium_c.FPDF_PAGEOBJ_TEXT and box.width * box.height > _BACKGROUND_SHARE * area:
            continue  # a background, a frame or a scanned page image
        boxes.append(box)
    rect = pdfium_c.FS_RECTF()
    for i in range(pdfium_c.FPDFPage_GetAnnotCount(page)):
        annot = pdfium_c.FPDFPage_GetAnnot(page, i)
        try:
            if pdfium_c.FPDFAnnot_GetRect(annot, rect):
                boxes.append(Box.from_corners(rect.left, rect.bottom, rect.right, rect.top))
        finally:
            pdfium_c.FPDFPage_CloseAnnot(annot)
    return boxes


def _free(box: Box, page: Box, blocked: list[Box]) -> bool:
    inner = Box(page.x0 + _EDGE, page.y0 + _EDGE, page.x1 - _EDGE, page.y1 - _EDGE)
    if not inner.contains(box):
        return False
    grown = Box(box.x0 - _CLEARANCE, box.y0 - _CLEARANCE, box.x1 + _CLEARANCE, box.y1 + _CLEARANCE)
    return all((o := grown.intersection(b)) is None or o.width * o.height <= 0 for b in blocked)


def qr_spot(seal: Box, qr_size: float, page: Box, obstacles: list[Box]) -> Box | None:
    """The box (``qr_size`` square) where the QR code goes beside ``seal`` on the visible ``page``
    without covering any of ``obstacles`` or the seal; None when the page has no such place."""
    blocked = [*obstacles, seal]
    cx, cy = seal.centre
    half = qr_size / 2
    beside = (
        Box.around(seal.x1 + _GAP + half, cy, qr_size, qr_size),  # right
        Box.around(cx, seal.y0 - _GAP - half, qr_size, qr_size),  # below
        Box.around(seal.x0 - _GAP - half, cy, qr_size, qr_size),  # left
        Box.around(cx, seal.y1 + _GAP + half, qr_size, qr_size),  # above
    )
    for box in beside:
        if _free(box, page, blocked):
            return box
    spots = []
    nx = max(int((page.width - 2 * _EDGE - qr_size) / _STEP), 0)
    ny = max(int((page.height - 2 * _EDGE - qr_size) / _STEP), 0)
    for i in range(nx + 1):
        for j in range(ny + 1):
            box = Box(
                page.x0 + _EDGE + i * _STEP,
                page.y0 + _EDGE + j * _STEP,
                page.x0 + _EDGE + i * _STEP + qr_size,
                page.y0 + _EDGE + j * _STEP + qr_size,
            )
            bx, by = box.centre
            spots.append((math.hypot(bx - cx, by - cy), box))
    for _distance, box in sorted(spots, key=lambda s: s[0]):
        if _free(box, page, blocked):
            return box
    return None
