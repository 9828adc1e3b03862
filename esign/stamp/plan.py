"""From a clerk's placement to what is drawn where: the signature's appearance and the other seal images.

The main seal (with its QR code) becomes the signature's appearance; repeated seals and the
cross-page strips become page content of the signed revision.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from esign.appearance import MM, Artwork, seal_with_qr
from esign.errors import InputError
from esign.stamp.inputs import PdfInfo, describe, open_reader
from esign.stamp.placement import (
    AtKeyword,
    AtPosition,
    InField,
    Placement,
    ResolvedPlacement,
    default_keywords,
    resolve,
)
from esign.stamp.signing import PageArt

__all__ = ["StampPlan", "default_keywords", "placement_from_dict", "plan_stamp"]

_MODES = ("position", "keyword", "field")


def placement_from_dict(data: Mapping[str, Any], *, default_text: tuple[str, ...] = ("盖章",)) -> Placement:
    """A placement from its JSON form (API, manifest, stored request); refuses anything malformed.

    ``{"mode": "position", "page": -1, "x_mm": 150, "y_mm": 240}``, ``{"mode": "keyword", "text":
    "（盖章）", "offset_x_mm": 0, "offset_y_mm": 0}`` (no text: the township's name or 盖章),
    ``{"mode": "field", "name": "Signature1"}``; each may add ``"riding_seal": true`` and
    ``"also_on_pages": [1, 2]``. A keyword placement without text searches ``default_text``
    (the township's :func:`~esign.stamp.placement.default_keywords`).
    """
    mode = data.get("mode", "keyword")
    common: dict[str, Any] = {
        "riding_seal": bool(data.get("riding_seal", False)),
        "also_on_pages": tuple(int(p) for p in data.get("also_on_pages", ()) or ()),
    }
    try:
        if mode == "position":
            return AtPosition(
                page=int(data.get("page", -1)), x_mm=float(data["x_mm"]), y_mm=float(data["y_mm"]), **common
            )
        if mode == "keyword":
            text = data.get("text") or default_text
            return AtKeyword(
                text=text if isinstance(text, str) else tuple(text),
                page=int(data["page"]) if data.get("page") is not None else None,
                offset_x_mm=float(data.get("offset_x_mm", 0.0)),
                offset_y_mm=float(data.get("offset_y_mm", 0.0)),
                **common,
            )
        if mode == "field":
            return InField(name=str(data["name"]), **common)
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(
            f"盖章位置参数不完整或格式错误：{exc}",
            f"Malformed placement: {exc}",
            code="bad_placement",
            field="placement",
        ) from exc
    raise InputError(
        f"未知的盖章方式“{mode}”，可选：{'、'.join(_MODES)}。",
        f"Unknown placement mode {mode!r}.",
        code="bad_placement",
        field="placement",
    )


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
) -> StampPlan:
    """Resolve ``placement`` on ``data`` (the document, or its file) and lay out the seal, its QR code
    and the extra images. ``info`` spares a second look at a document already described."""
    if info is None:
        with _opened(data) as source:
            size = len(data) if isinstance(data, bytes) else data.stat().st_size  # limits were checked on upload
            info = describe(open_reader(source, password=password, max_bytes=size))
    seal_mm = seal.width / MM
    resolved = resolve(info, placement, seal_size_mm=seal_mm, data=data, password=password)
    page = info.pages[resolved.page_index]
    qr_art = qr()
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
    pages = {resolved.page_index, *(a.page_index for a in extra)}
    return StampPlan(
        widget=widget, extra=tuple(extra), impressions=len(pages), field_name=resolved.field_name, resolved=resolved
    )


@contextmanager
def _opened(data: bytes | Path) -> Iterator[BinaryIO]:
    if isinstance(data, Path):
        with data.open("rb") as fh:
            yield fh
    else:
        yield io.BytesIO(data)
