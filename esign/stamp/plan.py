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

from esign.appearance import MM, Artwork, seal_with_qr, seal_with_qr_at
from esign.errors import InputError
from esign.stamp.freespace import page_obstacles, qr_spot
from esign.stamp.geometry import Box
from esign.stamp.inputs import PageInfo, PdfInfo, describe, open_reader
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
from esign.text import bad_character

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
    if not isinstance(data, Mapping):
        raise _bad("placement must be a JSON object")
    mode = data.get("mode", "keyword")
    try:
        common: dict[str, Any] = {
            "riding_seal": _bool(data.get("riding_seal", False), "riding_seal"),
            "also_on_pages": _pages(data.get("also_on_pages")),
        }
        if mode == "position":
            return AtPosition(
                page=_int(data.get("page", -1), "page"),
                x_mm=_mm(data["x_mm"], "x_mm"),
                y_mm=_mm(data["y_mm"], "y_mm"),
                **common,
            )
        if mode == "keyword":
            return AtKeyword(
                text=_keywords(data.get("text") or default_text),
                page=_int(data["page"], "page") if data.get("page") is not None else None,
                offset_x_mm=_mm(data.get("offset_x_mm", 0.0), "offset_x_mm"),
                offset_y_mm=_mm(data.get("offset_y_mm", 0.0), "offset_y_mm"),
                **common,
            )
        if mode == "field":
            return InField(name=_string(data["name"], "name"), **common)
    except KeyError as exc:
        raise _bad(f"missing {exc}") from exc
    except (TypeError, ValueError) as exc:  # a constructor's own refusal
        raise _bad(str(exc)) from exc
    raise InputError(
        f"未知的盖章方式“{mode}”，可选：{'、'.join(_MODES)}。",
        f"Unknown placement mode {mode!r}.",
        code="bad_placement",
        field="placement",
    )


#: Bounds of the numbers a placement may hold: pages (negative counts from the end), millimetres,
#: keywords and extra pages. Far beyond any real document; they keep what is stored small and finite.
_MAX_PAGE = 100_000
_MAX_MM = 10_000.0
_MAX_KEYWORDS = 20
_MAX_KEYWORD_CHARS = 100


def _bad(detail: str) -> InputError:
    return InputError(
        f"盖章位置参数不完整或格式错误：{detail}",
        f"Malformed placement: {detail}",
        code="bad_placement",
        field="placement",
    )


def _bool(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise _bad(f"{name} must be true or false")
    return value


def _int(value: object, name: str) -> int:
    """An integer page number (a float with no fraction, as JSON may carry it, is one too)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value) if abs(value) <= _MAX_PAGE else value
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > _MAX_PAGE:
        raise _bad(f"{name} must be a page number within ±{_MAX_PAGE}")
    return value


def _mm(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not abs(value) <= _MAX_MM:
        raise _bad(f"{name} must be a finite number of millimetres within ±{_MAX_MM:g}")
    return float(value)


def _string(value: object, name: str) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= _MAX_KEYWORD_CHARS or bad_character(value):
        raise _bad(f"{name} must be text of 1 to {_MAX_KEYWORD_CHARS} characters without control characters")
    return value


def _keywords(value: object) -> str | tuple[str, ...]:
    if isinstance(value, str):
        return _string(value, "text")
    if not isinstance(value, list | tuple) or not 0 < len(value) <= _MAX_KEYWORDS:
        raise _bad(f"text must be a keyword or a list of 1 to {_MAX_KEYWORDS} keywords")
    return tuple(_string(v, "text") for v in value)


def _pages(value: object) -> tuple[int, ...]:
    if value is None:
        return ()
    if not isinstance(value, list | tuple) or len(value) > _MAX_PAGE:
        raise _bad("also_on_pages must be a list of page numbers")
    return tuple(_int(p, "also_on_pages") for p in value)


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
    if page.rotate == 0 and page.user_unit == 1:
        widget_art = _beside_free_space(data, page, resolved.centre, seal, qr_art, password)
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
    pages = {resolved.page_index, *(a.page_index for a in extra)}
    return StampPlan(
        widget=widget, extra=tuple(extra), impressions=len(pages), field_name=resolved.field_name, resolved=resolved
    )


def _beside_free_space(
    data: bytes | Path,
    page: PageInfo,
    centre: tuple[float, float],
    seal: Artwork,
    qr: Artwork,
    password: str | None,
) -> Artwork:
    """The seal with its QR code where the page is free (:mod:`esign.stamp.freespace`)."""
    ax, ay = seal.anchor or (seal.width / 2, seal.height / 2)
    seal_box = Box(centre[0] - ax, centre[1] - ay, centre[0] - ax + seal.width, centre[1] - ay + seal.height)
    obstacles = page_obstacles(data, page.index, password=password)
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
