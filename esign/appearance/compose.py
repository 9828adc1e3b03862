"""Put artwork together: the seal with its QR code, and the seal cut into cross-page strips.

Both keep the seal's content untouched and only place it (translate and clip), so every variant
shows exactly the same seal; the returned :class:`~esign.appearance.artwork.Artwork` always
knows where the seal centre is (``anchor``), which is what stamping aligns to.
"""

from __future__ import annotations

from typing import Literal

from esign.appearance.artwork import MM, Artwork
from esign.appearance.drawing import Drawing, Placed
from esign.errors import InputError

__all__ = ["MAX_STRIPS", "cross_page_strips", "seal_with_qr", "seal_with_qr_at"]

#: Most pages one cross-page seal (骑缝章) is spread over; narrower strips are unreadable.
MAX_STRIPS = 20


def _seal_anchor(seal: Artwork) -> tuple[float, float]:
    if seal.anchor is None:
        raise ValueError("the artwork has no seal centre")
    return seal.anchor


def seal_with_qr(
    seal: Artwork, qr: Artwork, *, position: Literal["right", "below"] = "right", gap_mm: float = 3.0
) -> Artwork:
    """One artwork with ``qr`` to the right of the seal (centred on it vertically) or below it
    (centred horizontally); its ``anchor`` is the seal centre inside the combined box."""
    if gap_mm < 0:
        raise InputError("间距不能为负。", "The gap must not be negative.", code="layout_gap_invalid", field="gap_mm")
    ax, ay = _seal_anchor(seal)
    gap = gap_mm * MM
    if position == "right":
        width = seal.width + gap + qr.width
        height = max(seal.height, qr.height)
        seal_at = (0.0, (height - seal.height) / 2)
        qr_at = (seal.width + gap, seal_at[1] + ay - qr.height / 2)
    elif position == "below":
        width = max(seal.width, qr.width)
        height = seal.height + gap + qr.height
        seal_at = ((width - seal.width) / 2, qr.height + gap)
        qr_at = (seal_at[0] + ax - qr.width / 2, 0.0)
    else:
        raise InputError(
            "二维码位置须为 right 或 below。",
            f"The QR position must be 'right' or 'below', got {position!r}.",
            code="qr_position_invalid",
            field="position",
        )
    drawing = Drawing(
        width=width,
        height=height,
        items=(Placed(seal.drawing, *seal_at), Placed(qr.drawing, *qr_at)),
    )
    return Artwork(drawing=drawing, anchor=(seal_at[0] + ax, seal_at[1] + ay))


def seal_with_qr_at(seal: Artwork, qr: Artwork, dx: float, dy: float) -> Artwork:
    """One artwork with ``qr``'s lower-left corner at ``(dx, dy)`` from the seal's lower-left corner
    (points, any sign: the QR code may go anywhere around the seal); its ``anchor`` is the seal centre."""
    ax, ay = _seal_anchor(seal)
    x0, y0 = min(0.0, dx), min(0.0, dy)
    width = max(seal.width, dx + qr.width) - x0
    height = max(seal.height, dy + qr.height) - y0
    seal_at, qr_at = (-x0, -y0), (dx - x0, dy - y0)
    drawing = Drawing(width=width, height=height, items=(Placed(seal.drawing, *seal_at), Placed(qr.drawing, *qr_at)))
    return Artwork(drawing=drawing, anchor=(seal_at[0] + ax, seal_at[1] + ay))


def cross_page_strips(seal: Artwork, pages: int) -> tuple[Artwork, ...]:
    """The seal cut into ``pages`` vertical strips of equal width, left to right, for a
    cross-page seal (骑缝章): strip ``i`` goes on the right edge of page ``i`` (its box's right
    edge on the page edge), so the pages laid side by side show the whole seal again.

    Each strip is the unchanged seal content translated left and clipped to the strip; its
    ``anchor`` is the seal centre in the strip's coordinates (usually outside the strip).
    """
    if not 2 <= pages <= MAX_STRIPS:
        raise InputError(
            f"骑缝章页数须在 2 至 {MAX_STRIPS} 之间。",
            f"A cross-page seal needs 2 to {MAX_STRIPS} pages, got {pages}.",
            code="strip_count_invalid",
            field="pages",
        )
    ax, ay = _seal_anchor(seal)
    w = seal.width / pages
    strips = []
    for i in range(pages):
        drawing = Drawing(width=w, height=seal.height, items=(Placed(seal.drawing, -i * w, 0.0),))
        strips.append(Artwork(drawing=drawing, anchor=(ax - i * w, ay)))
    return tuple(strips)
