"""Page geometry: boxes in PDF user space and the clerk's view of a page in millimetres.

A clerk measures a position with a ruler on the page as a viewer shows it: from the top-left corner
of the *visible* page, i.e. the CropBox turned clockwise by the page's ``/Rotate``. PDF content is
placed in the page's user space, whose origin and axes ignore both. :class:`PageGeometry` converts
between the two, exactly and in both directions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["MM_PER_PT", "PT_PER_MM", "Box", "PageGeometry", "upright_matrix"]

PT_PER_MM = 72 / 25.4
"""PDF points (1/72 inch) in a millimetre."""

MM_PER_PT = 25.4 / 72
"""Millimetres in a PDF point."""


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle in PDF user space, normalised so that ``x0 <= x1`` and ``y0 <= y1``."""

    x0: float
    """Left edge."""

    y0: float
    """Bottom edge."""

    x1: float
    """Right edge."""

    y1: float
    """Top edge."""

    def __post_init__(self) -> None:
        for v in (self.x0, self.y0, self.x1, self.y1):
            if not math.isfinite(v):
                raise ValueError(f"box coordinate is not finite: {v!r}")
        if self.x0 > self.x1 or self.y0 > self.y1:
            raise ValueError(f"box corners are not ordered: {self}")

    @classmethod
    def from_corners(cls, a: float, b: float, c: float, d: float) -> Box:
        """A box from two opposite corners in any order (as PDF rectangles are allowed to be written)."""
        return cls(min(a, c), min(b, d), max(a, c), max(b, d))

    @classmethod
    def around(cls, cx: float, cy: float, width: float, height: float) -> Box:
        """A box of the given size centred on ``(cx, cy)``."""
        return cls(cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2)

    @property
    def width(self) -> float:
        """``x1 - x0``."""
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        """``y1 - y0``."""
        return self.y1 - self.y0

    @property
    def centre(self) -> tuple[float, float]:
        """The centre point."""
        return (self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2

    @property
    def is_empty(self) -> bool:
        """True when the box has no area."""
        return self.width <= 0 or self.height <= 0

    def contains(self, other: Box, *, tolerance: float = 1e-6) -> bool:
        """True when ``other`` lies entirely inside this box."""
        return (
            other.x0 >= self.x0 - tolerance
            and other.y0 >= self.y0 - tolerance
            and other.x1 <= self.x1 + tolerance
            and other.y1 <= self.y1 + tolerance
        )

    def intersection(self, other: Box) -> Box | None:
        """The overlap of two boxes, or None when they do not overlap."""
        x0, y0 = max(self.x0, other.x0), max(self.y0, other.y0)
        x1, y1 = min(self.x1, other.x1), min(self.y1, other.y1)
        if x0 >= x1 or y0 >= y1:
            return None
        return Box(x0, y0, x1, y1)

    def union(self, other: Box) -> Box:
        """The smallest box holding both."""
        return Box(min(self.x0, other.x0), min(self.y0, other.y0), max(self.x1, other.x1), max(self.y1, other.y1))

    def as_tuple(self) -> tuple[float, float, float, float]:
        """``(x0, y0, x1, y1)``, as pyHanko's field boxes want it."""
        return self.x0, self.y0, self.x1, self.y1


@dataclass(frozen=True)
class PageGeometry:
    """What a viewer shows of one page: its CropBox, turned by /Rotate, at /UserUnit scale."""

    crop_box: Box
    """The visible region in user space (CropBox clipped to the MediaBox)."""

    rotate: int = 0
    """Clockwise display rotation: 0, 90, 180 or 270."""

    user_unit: float = 1.0
    """Size of one user-space unit in points (``/UserUnit``, almost always 1)."""

    def __post_init__(self) -> None:
        if self.rotate not in (0, 90, 180, 270):
            raise ValueError(f"rotation must be 0, 90, 180 or 270, not {self.rotate!r}")
        if not (math.isfinite(self.user_unit) and self.user_unit > 0):
            raise ValueError(f"user unit must be positive, not {self.user_unit!r}")
        if self.crop_box.is_empty:
            raise ValueError("the visible page has no area")

    @property
    def units_per_mm(self) -> float:
        """User-space units in a millimetre."""
        return PT_PER_MM / self.user_unit

    @property
    def visible_size_mm(self) -> tuple[float, float]:
        """(width, height) of the page as shown, in millimetres."""
        w = self.crop_box.width / self.units_per_mm
        h = self.crop_box.height / self.units_per_mm
        return (h, w) if self.rotate in (90, 270) else (w, h)

    def to_user(self, x_mm: float, y_mm: float) -> tuple[float, float]:
        """The user-space point at ``x_mm`` right of and ``y_mm`` below the visible top-left corner."""
        b, k = self.crop_box, self.units_per_mm
        x, y = x_mm * k, y_mm * k
        if self.rotate == 0:
            return b.x0 + x, b.y1 - y
        if self.rotate == 90:
            # shown turned clockwise: the user-space bottom-left corner is at the top-left
            return b.x0 + y, b.y0 + x
        if self.rotate == 180:
            return b.x1 - x, b.y0 + y
        return b.x1 - y, b.y1 - x

    def to_visible(self, ux: float, uy: float) -> tuple[float, float]:
        """The inverse of :meth:`to_user`: millimetres from the visible top-left corner."""
        b, k = self.crop_box, self.units_per_mm
        if self.rotate == 0:
            x, y = ux - b.x0, b.y1 - uy
        elif self.rotate == 90:
            x, y = uy - b.y0, ux - b.x0
        elif self.rotate == 180:
            x, y = b.x1 - ux, uy - b.y0
        else:
            x, y = b.y1 - uy, b.x1 - ux
        return x / k, y / k

    def visible_rect_to_user(self, x_mm: float, y_mm: float, w_mm: float, h_mm: float) -> Box:
        """A rectangle given on the visible page (top-left corner and size) as a user-space box."""
        ax, ay = self.to_user(x_mm, y_mm)
        bx, by = self.to_user(x_mm + w_mm, y_mm + h_mm)
        return Box.from_corners(ax, ay, bx, by)

    def user_box_to_visible(self, box: Box) -> tuple[float, float, float, float]:
        """A user-space box as (left, top, right, bottom) millimetres on the visible page."""
        ax, ay = self.to_visible(box.x0, box.y0)
        bx, by = self.to_visible(box.x1, box.y1)
        return min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)


def upright_matrix(rotation: int, width: float, height: float) -> tuple[float, float, float, float, float, float]:
    """A ``cm``/``/Matrix`` that turns a ``width`` × ``height`` drawing counter-clockwise by ``rotation``.

    Drawn on a page with that ``/Rotate``, the drawing then looks upright in a viewer. The result
    maps the box ``[0, width] × [0, height]`` onto a box with its lower-left corner at the origin
    (``height`` × ``width`` for 90 and 270).
    """
    if rotation == 0:
        return 1, 0, 0, 1, 0, 0
    if rotation == 90:
        return 0, 1, -1, 0, height, 0
    if rotation == 180:
        return -1, 0, 0, -1, width, height
    if rotation == 270:
        return 0, -1, 1, 0, 0, width
    raise ValueError(f"rotation must be 0, 90, 180 or 270, not {rotation!r}")
