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
Bounded: PDFium parses a page only through :class:`~esign.stamp.textpos.PdfiumPages` opened with the
per-document page-content guard (:func:`esign.stamp.placement.page_guard`), for every placement: a 3 KB
page whose content inflates to 1.5 GB is refused before PDFium decodes it.
"""

from __future__ import annotations

import math

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from esign.stamp.geometry import PT_PER_MM, Box
from esign.stamp.textpos import _PDFIUM, PdfiumPages, _wrapped

__all__ = ["page_obstacles", "qr_spot"]

#: A path covering more than this share of the page is a background or frame, not content.
_BACKGROUND_SHARE = 0.6
_CLEARANCE = 1.0
_GAP = 3 * PT_PER_MM
_EDGE = 5 * PT_PER_MM
_STEP = 3 * PT_PER_MM


def page_obstacles(pages: PdfiumPages, page_index: int) -> list[Box]:
    """The occupied boxes of page ``page_index`` in its user space. ``pages`` is the document open in
    PDFium under the page guard (the text search's, when there was one: the page is not parsed again)."""
    known = pages.found("obstacles", page_index)
    if isinstance(known, tuple):
        return list(known)
    page = pages.page(page_index)
    with _wrapped(), _PDFIUM:
        boxes = _obstacles(page)
    pages.keep("obstacles", page_index, tuple(boxes))
    return boxes


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
