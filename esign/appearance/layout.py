"""The geometry of a round official seal, computed once and drawn twice (vector and PNG).

Follows 国发〔1999〕25号 and the usual practice for special-purpose seals (专用章): a round seal
38-45 mm across (42 mm for a township), a red border about 1 mm wide, a five-pointed star in
the centre, the organisation's name along the upper arc read left to right with every character
upright relative to the centre (its foot towards the centre), the seal's title set horizontally
under the star, and optionally the seal code in small digits along the lower arc (feet outwards,
read left to right).

Everything here is in millimetres with the origin at the seal's centre and y pointing up. The
layout knows nothing about fonts: each character gets a box (its em square, stretched) that the
drawing fills with the glyph. Sizes are given for a 42 mm seal and scale with the diameter.
"""

from __future__ import annotations

import functools
import math
import unicodedata
from dataclasses import dataclass

from esign.appearance.paths import Point
from esign.errors import InputError

__all__ = [
    "DEFAULT_COLOR",
    "GlyphBox",
    "SealLayout",
    "SealSpec",
    "SealTextTooLongError",
    "layout_seal",
]

DEFAULT_COLOR = (230, 0, 18)

# Proportions for a 42 mm seal (mm); everything scales with diameter / 42.
_STAR_RADIUS = 7.0  # a 14 mm star
_NAME_MARGIN = 0.9  # ring inner edge to the name's em boxes
_NAME_HEIGHT = 6.6
_NAME_WIDTH = 5.4  # natural width of a character box (a little condensed, as cut seals are)
_NAME_GAP = 0.7  # natural gap between boxes, at their inner edge
_NAME_GAP_MIN = 0.3
_NAME_WIDTH_MIN = 0.5  # most a name may be condensed (fraction of the natural width)
_NAME_SPAN_MIN = 150.0  # degrees: short names are spread, not huddled at the top
_NAME_SPAN_MAX = 290.0  # degrees: long names stop short of the lower arc
_NAME_SPAN_MIN_LONG = 200.0  # degrees: least a long name may be squeezed to make room for the title
_TITLE_HEIGHT = 4.6
_TITLE_WIDTH = 4.2
_TITLE_WIDTH_MIN = 0.45
_TITLE_TOP = -8.0  # below the star's lowest points (-5.7)
_TITLE_CLEARANCE = 0.5
_CODE_HEIGHT = 2.2
_CODE_CELL = 1.45
_CODE_MARGIN = 0.7
_CODE_CLEARANCE = 2.0  # along the arc, between the code and the name's first/last character
_CODE_SPAN_MAX = 110.0


class SealTextTooLongError(InputError):
    """The name, title or code cannot be set on the seal without overlapping or over-condensing."""

    default_code = "seal_text_too_long"


def _check_text(value: str, field: str) -> None:
    for ch in value:
        if ch.isspace() or unicodedata.category(ch)[0] in ("C", "Z"):
            raise InputError(
                f"印章文字不能包含空白或控制字符：{value!r}",
                f"Seal text must not contain blanks or control characters: {value!r}",
                code="seal_text_invalid",
                field=field,
            )


@dataclass(frozen=True)
class SealSpec:
    """What a seal says and how big it is; the only input of the layout."""

    name: str
    """Organisation name along the upper arc, e.g. 蒲县克城镇人民政府."""

    title: str = ""
    """Seal title under the star, e.g. 行政审批服务专用章 (empty for none)."""

    code: str = ""
    """Seal code (digits) along the lower arc (empty for none)."""

    diameter_mm: float = 42.0
    """Outer diameter, 38-45 mm (42 mm for a township seal)."""

    ring_width_mm: float = 1.0
    """Width of the outer border, 0.6-2 mm."""

    color: tuple[int, int, int] = DEFAULT_COLOR
    """Ink colour, 8-bit sRGB."""

    def __post_init__(self) -> None:
        if not self.name:
            raise InputError(
                "印章名称不能为空。", "The seal name must not be empty.", code="seal_name_empty", field="name"
            )
        _check_text(self.name, "name")
        _check_text(self.title, "title")
        if self.code and not (self.code.isascii() and self.code.isdigit()):
            raise InputError(
                "印章编码只能是数字。", "The seal code must be digits only.", code="seal_code_invalid", field="code"
            )
        if not 38.0 <= self.diameter_mm <= 45.0:
            raise InputError(
                "印章直径须在 38 至 45 毫米之间。",
                f"The seal diameter must be 38-45 mm, got {self.diameter_mm}.",
                code="seal_diameter_invalid",
                field="diameter_mm",
            )
        if not 0.6 <= self.ring_width_mm <= 2.0:
            raise InputError(
                "印章边框宽度须在 0.6 至 2 毫米之间。",
                f"The ring width must be 0.6-2 mm, got {self.ring_width_mm}.",
                code="seal_ring_invalid",
                field="ring_width_mm",
            )
        if len(self.color) != 3 or any(not 0 <= c <= 255 for c in self.color):
            raise InputError("颜色无效。", f"Invalid colour {self.color!r}.", code="seal_color_invalid", field="color")


@dataclass(frozen=True)
class GlyphBox:
    """Where one character goes: a rotated box that its glyph's em square is fitted into."""

    char: str
    """The character."""

    center: Point
    """Centre of the box, mm from the seal centre."""

    rotation: float
    """Counter-clockwise rotation of the upright glyph, degrees."""

    width: float
    """Box width (along the glyph's baseline), mm."""

    height: float
    """Box height (from the glyph's foot to its head), mm."""

    proportional: bool = False
    """True: keep the glyph's own proportions, at most ``width`` wide (digits); False: stretch the
    em square to the box (CJK characters)."""

    def corners(self) -> tuple[Point, Point, Point, Point]:
        """The box's corners in mm (foot-left, foot-right, head-right, head-left)."""
        rad = math.radians(self.rotation)
        c, s = math.cos(rad), math.sin(rad)
        cx, cy = self.center
        out = []
        for u, v in ((-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)):
            x, y = u * self.width, v * self.height
            out.append((cx + x * c - y * s, cy + x * s + y * c))
        return (out[0], out[1], out[2], out[3])


@dataclass(frozen=True)
class SealLayout:
    """The complete geometry of one seal, mm, origin at the centre, y up."""

    spec: SealSpec
    """What was laid out."""

    radius: float
    """Outer radius of the ring (half the diameter)."""

    ring_width: float
    """Width of the ring; its inner edge is at ``radius - ring_width``."""

    star_center: Point
    """Centre of the star (the seal centre)."""

    star_radius: float
    """Radius of the star's points."""

    name: tuple[GlyphBox, ...]
    """The name's characters, left to right."""

    name_span: float
    """Angle covered by the name's boxes at their inner edge, degrees."""

    name_radii: tuple[float, float]
    """Inner (feet) and outer (heads) radius of the name's boxes."""

    title: tuple[GlyphBox, ...]
    """The title's characters, left to right."""

    code: tuple[GlyphBox, ...]
    """The code's digits, left to right."""

    code_span: float
    """Angle covered by the code, degrees (0 without a code)."""

    @property
    def ring_inner_radius(self) -> float:
        """Inner edge of the ring."""
        return self.radius - self.ring_width

    @property
    def title_box(self) -> tuple[float, float, float, float] | None:
        """``(x0, y0, x1, y1)`` around the title's character boxes, ``None`` without a title."""
        if not self.title:
            return None
        xs = [x for b in self.title for x, _ in b.corners()]
        ys = [y for b in self.title for _, y in b.corners()]
        return (min(xs), min(ys), max(xs), max(ys))


def _too_long(what: str, zh: str, n: int) -> SealTextTooLongError:
    return SealTextTooLongError(
        f"{zh}太长（{n} 个字符），无法在印章上排开。",
        f"The seal {what} is too long ({n} characters) to fit on the seal.",
        code=f"seal_{what}_too_long",
        field=what,
        length=n,
    )


def _layout_code(spec: SealSpec, k: float, r_ring_in: float) -> tuple[tuple[GlyphBox, ...], float, float]:
    if not spec.code:
        return (), 0.0, r_ring_in
    h, cell = _CODE_HEIGHT * k, _CODE_CELL * k
    r_out = r_ring_in - _CODE_MARGIN * k
    r_mid = r_out - h / 2
    # Heads point inwards, where the boxes are closest: space them by their inner edge.
    cell_ang = math.degrees(2 * math.atan(cell / 2 / (r_out - h)))
    span = cell_ang * len(spec.code)
    if span > _CODE_SPAN_MAX:
        raise _too_long("code", "印章编码", len(spec.code))
    boxes = []
    for j, ch in enumerate(spec.code):
        theta = 270.0 - span / 2 + (j + 0.5) * cell_ang
        t = math.radians(theta)
        # Feet outwards: the glyph's up direction points at the centre.
        boxes.append(GlyphBox(ch, (r_mid * math.cos(t), r_mid * math.sin(t)), theta + 90.0, cell, h, True))
    return tuple(boxes), span, r_out - h


def _layout_name(
    spec: SealSpec, k: float, r_ring_in: float, span_max: float
) -> tuple[tuple[GlyphBox, ...], float, float, float]:
    n = len(spec.name)
    h = _NAME_HEIGHT * k
    r_out = r_ring_in - _NAME_MARGIN * k
    r_in = r_out - h

    def ang(w: float) -> float:
        return math.degrees(2 * math.atan(w / 2 / r_in))

    w, gap_ang = _NAME_WIDTH * k, math.degrees(_NAME_GAP * k / r_in)
    gap_min = math.degrees(_NAME_GAP_MIN * k / r_in)
    span = n * ang(w) + (n - 1) * gap_ang
    if n > 1 and span < _NAME_SPAN_MIN:
        gap_ang = (_NAME_SPAN_MIN - n * ang(w)) / (n - 1)
    elif span > span_max:
        if n * ang(w) + (n - 1) * gap_min <= span_max:
            gap_ang = (span_max - n * ang(w)) / (n - 1)
        else:
            gap_ang = gap_min
            alpha = (span_max - (n - 1) * gap_min) / n
            w = 2 * r_in * math.tan(math.radians(alpha) / 2)
            if w < _NAME_WIDTH_MIN * _NAME_WIDTH * k:
                raise _too_long("name", "印章名称", n)
    alpha = ang(w)
    span = n * alpha + (n - 1) * gap_ang
    r_mid = (r_in + r_out) / 2
    boxes = []
    for i, ch in enumerate(spec.name):
        theta = 90.0 + span / 2 - alpha / 2 - i * (alpha + gap_ang)
        t = math.radians(theta)
        # Feet towards the centre: the glyph's up direction points outwards along the radius.
        boxes.append(GlyphBox(ch, (r_mid * math.cos(t), r_mid * math.sin(t)), theta - 90.0, w, h))
    return tuple(boxes), span, r_in, r_out


def _clip_band(poly: tuple[Point, ...], y0: float, y1: float) -> list[Point]:
    # Sutherland-Hodgman against y >= y0 and y <= y1.
    pts = list(poly)
    for keep, edge in ((lambda p: p[1] >= y0, y0), (lambda p: p[1] <= y1, y1)):
        out: list[Point] = []
        for i, p in enumerate(pts):
            q = pts[i - 1]
            if keep(p) != keep(q):
                t = (edge - q[1]) / (p[1] - q[1])
                out.append((q[0] + t * (p[0] - q[0]), edge))
            if keep(p):
                out.append(p)
        pts = out
        if not pts:
            break
    return pts


def _layout_title(spec: SealSpec, k: float, r_limit: float, name: tuple[GlyphBox, ...]) -> tuple[GlyphBox, ...]:
    n = len(spec.title)
    if n == 0:
        return ()
    h = _TITLE_HEIGHT * k
    top = _TITLE_TOP * k
    bottom = top - h
    gap = _TITLE_CLEARANCE * k
    half = math.sqrt(max(0.0, r_limit**2 - bottom**2))
    for box in name:
        inside = _clip_band(box.corners(), bottom - gap, top + gap)
        if inside:
            xs = [p[0] for p in inside]
            half = min(half, -max(xs) - gap if box.center[0] < 0 else min(xs) - gap)
    w = min(_TITLE_WIDTH * k, 2 * half / n)
    if w < _TITLE_WIDTH_MIN * _TITLE_WIDTH * k:
        raise _too_long("title", "印章标题", n)
    y = (top + bottom) / 2
    return tuple(GlyphBox(ch, ((i + 0.5 - n / 2) * w, y), 0.0, w, h) for i, ch in enumerate(spec.title))


@functools.lru_cache(maxsize=256)
def layout_seal(spec: SealSpec) -> SealLayout:
    """The seal's geometry; :class:`SealTextTooLongError` (code ``seal_name_too_long``,
    ``seal_title_too_long`` or ``seal_code_too_long``) when the text cannot be set legibly."""
    k = spec.diameter_mm / 42.0
    radius = spec.diameter_mm / 2
    r_ring_in = radius - spec.ring_width_mm
    code, code_span, code_inner = _layout_code(spec, k, r_ring_in)
    span_max = _NAME_SPAN_MAX
    if code:
        # Leave the lower arc to the code, with clearance measured along the name's outer edge.
        r_name_out = r_ring_in - _NAME_MARGIN * k
        span_max = min(span_max, 360.0 - code_span - 2 * math.degrees(_CODE_CLEARANCE * k / r_name_out))
    r_limit = (code_inner if code else r_ring_in) - _TITLE_CLEARANCE * k
    # A long name bends down beside the title; if the title then lacks room, the name gives way
    # (condensed further) a few degrees at a time.
    while True:
        name, name_span, r_in, r_out = _layout_name(spec, k, r_ring_in, span_max)
        try:
            title = _layout_title(spec, k, r_limit, name)
            break
        except SealTextTooLongError:
            span_max -= 5.0
            if span_max < _NAME_SPAN_MIN_LONG:
                raise
    return SealLayout(
        spec=spec,
        radius=radius,
        ring_width=spec.ring_width_mm,
        star_center=(0.0, 0.0),
        star_radius=_STAR_RADIUS * k,
        name=name,
        name_span=name_span,
        name_radii=(r_in, r_out),
        title=title,
        code=code,
        code_span=code_span,
    )
