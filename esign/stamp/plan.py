"""From a clerk's placement to what is drawn where: the signature's appearance and the other seal images.

The main seal (with its QR code) becomes the signature's appearance; repeated seals and the
cross-page strips become page content of the signed revision.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pyhanko.pdf_utils.reader import PdfFileReader

from esign.appearance import MM, Artwork, seal_with_qr, seal_with_qr_at
from esign.errors import InputError
from esign.stamp.freespace import page_obstacles, qr_spot
from esign.stamp.geometry import Box
from esign.stamp.inputs import PageInfo, PdfInfo, describe, open_reader
from esign.stamp.placement import (
    Placement,
    ResolvedPlacement,
    default_keywords,
    page_guard,
    resolve,
)
from esign.stamp.signing import PageArt
from esign.stamp.textpos import PdfiumPages

__all__ = ["StampPlan", "default_keywords", "plan_stamp"]


@dataclass(frozen=True)
class StampPlan:
    """What goes where on the document."""

    #: The signature's own appearance: the seal with its QR code.
    widget: PageArt
    #: Other seal images (repeats, cross-page strips), part of the signed content.
    extra: tuple[PageArt, ...]
    #: Pages that carry the seal (the register's 使用数).
    impressions: int
    #: The existing field to sign into, for a field placement.
    field_name: str | None
    #: The resolved placement (for previews and tests).
    resolved: ResolvedPlacement


def plan_stamp(
    data: bytes | Path,
    placement: Placement,
    *,
    seal: Artwork,
    qr: Callable[[], Artwork],
    password: str | None = None,
    info: PdfInfo | None = None,
    reader: PdfFileReader | None = None,
    digest: str | None = None,
) -> StampPlan:
    """Resolve ``placement`` on ``data`` (the document, or its file) and lay out the seal, its QR code
    and the extra images. ``info`` spares a second look at a document already described, ``reader``
    (the one ``info`` describes) a second parse for the page guard, ``digest`` (the SHA-256 of the
    document's bytes) what PDFium found on these bytes before. Whatever the placement, PDFium parses a
    page only after the page guard measured it under the budget, and a keyword's page once, for the text
    and for the free space beside the seal."""
    if info is None:
        with _opened(data) as source:
            size = len(data) if isinstance(data, bytes) else data.stat().st_size  # limits were checked on upload
            info = describe(open_reader(source, password=password, max_bytes=size))
    with contextlib.ExitStack() as stack:
        # the keyword search and the free-space search both have PDFium parse a page: each only once the
        # guard has measured it (a content, font or image bomb is refused before PDFium decodes it)
        guard = stack.enter_context(page_guard(info, data, password, reader=reader))
        pages = PdfiumPages(data, password=password, before_page=guard, digest=digest)
        stack.callback(pages.close)
        return _plan(data, placement, info, seal, qr, password, pages)


def _plan(
    data: bytes | Path,
    placement: Placement,
    info: PdfInfo,
    seal: Artwork,
    qr: Callable[[], Artwork],
    password: str | None,
    pages: PdfiumPages,
) -> StampPlan:
    seal_mm = seal.width / MM
    resolved = resolve(info, placement, seal_size_mm=seal_mm, data=data, password=password, pages=pages)
    page = info.pages[resolved.page_index]
    qr_art = qr()
    if page.rotate == 0 and page.user_unit == 1:
        widget_art = _beside_free_space(pages, page, resolved.centre, seal, qr_art)
    else:  # rotated pages keep the plain layout: right of the seal when it fits, else below
        right = seal_with_qr(seal, qr_art, position="right")
        cx_mm = resolved.centre_mm[0]
        fits_right = cx_mm - seal_mm / 2 + right.width / MM <= page.width_mm
        widget_art = right if fits_right else seal_with_qr(seal, qr_art, position="below")
    widget = PageArt(resolved.page_index, widget_art, *resolved.centre, rotate=resolved.rotation)
    extra: list[PageArt] = [PageArt(s.page_index, seal, *s.centre, rotate=s.rotation) for s in resolved.also]
    for strip in resolved.riding:
        sb = strip.seal_box
        extra.append(
            PageArt(
                strip.page_index,
                seal,
                (sb.x0 + sb.x1) / 2,
                (sb.y0 + sb.y1) / 2,
                rotate=strip.rotation,
                clip=(strip.box.x0, strip.box.y0, strip.box.x1, strip.box.y1),
            )
        )
    sealed = {resolved.page_index, *(a.page_index for a in extra)}
    return StampPlan(
        widget=widget, extra=tuple(extra), impressions=len(sealed), field_name=resolved.field_name, resolved=resolved
    )


def _beside_free_space(
    pages: PdfiumPages,
    page: PageInfo,
    centre: tuple[float, float],
    seal: Artwork,
    qr: Artwork,
) -> Artwork:
    """The seal with its QR code where the page is free (:mod:`esign.stamp.freespace`)."""
    ax, ay = seal.anchor or (seal.width / 2, seal.height / 2)
    seal_box = Box(centre[0] - ax, centre[1] - ay, centre[0] - ax + seal.width, centre[1] - ay + seal.height)
    obstacles = page_obstacles(pages, page.index)
    spot = qr_spot(seal_box, max(qr.width, qr.height), page.crop_box, obstacles)
    if spot is None:
        raise InputError(
            "页面上没有可放置二维码的空白处（二维码不得遮挡文字或图形），请换一个盖章位置或在文书中留出空白。",
            "There is no free space on the page for the QR code (it must not cover text or graphics); "
            "choose another seal position or leave some blank space in the document.",
            code="qr_no_space",
            field="placement",
        )
    return seal_with_qr_at(seal, qr, spot.x0 - seal_box.x0, spot.y0 - seal_box.y0)


@contextmanager
def _opened(data: bytes | Path) -> Iterator[BinaryIO]:
    if isinstance(data, Path):
        with data.open("rb") as fh:
            yield fh
    else:
        yield io.BytesIO(data)
