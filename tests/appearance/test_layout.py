"""Geometry of the seal, computed from the layout alone (no font, no rendering)."""

from __future__ import annotations

import itertools
import math

import pytest

from esign.appearance import GlyphBox, SealLayout, SealSpec, SealTextTooLongError, layout_seal
from esign.errors import InputError

# 16 characters; prefixes of it give names of every length.
LONG_NAME = "临汾市蒲县行政审批服务管理局机关"
TITLE = "行政审批服务专用章"
CODE = "1410331000123"


def _overlap(a: tuple[tuple[float, float], ...], b: tuple[tuple[float, float], ...]) -> bool:
    """Separating-axis test for two convex polygons."""
    for poly in (a, b):
        for i in range(len(poly)):
            (x1, y1), (x2, y2) = poly[i - 1], poly[i]
            nx, ny = y2 - y1, x1 - x2
            pa = [nx * x + ny * y for x, y in a]
            pb = [nx * x + ny * y for x, y in b]
            # Boxes may touch (digit cells do, at their inner corners) but not overlap.
            if max(pa) <= min(pb) + 1e-9 or max(pb) <= min(pa) + 1e-9:
                return False
    return True


def _up(box: GlyphBox) -> tuple[float, float]:
    rad = math.radians(box.rotation)
    return (-math.sin(rad), math.cos(rad))


def _angle(box: GlyphBox) -> float:
    # In (-90, 270]: the name never crosses 6 o'clock, so its angles do not wrap.
    return (math.degrees(math.atan2(box.center[1], box.center[0])) + 90) % 360 - 90


def _all_boxes(layout: SealLayout) -> list[GlyphBox]:
    return [*layout.name, *layout.title, *layout.code]


def test_township_seal_dimensions() -> None:
    layout = layout_seal(SealSpec(name="蒲县克城镇人民政府", title=TITLE))
    assert layout.radius == pytest.approx(21.0)
    assert layout.ring_width == pytest.approx(1.0)
    assert layout.ring_inner_radius == pytest.approx(20.0)
    assert layout.star_center == (0.0, 0.0)
    assert layout.star_radius == pytest.approx(7.0)


@pytest.mark.parametrize("diameter", [38.0, 40.0, 42.0, 45.0])
def test_geometry_scales_with_diameter(diameter: float) -> None:
    layout = layout_seal(SealSpec(name="蒲县克城镇人民政府", title=TITLE, diameter_mm=diameter))
    assert layout.radius == pytest.approx(diameter / 2)
    assert layout.star_radius == pytest.approx(7.0 * diameter / 42)
    assert all(math.hypot(*c) < layout.ring_inner_radius for b in _all_boxes(layout) for c in b.corners())


@pytest.mark.parametrize("with_extras", [False, True], ids=["name-only", "title-and-code"])
@pytest.mark.parametrize("n", range(4, 17))
def test_name_lays_out_inside_ring_without_overlap(n: int, with_extras: bool) -> None:
    spec = SealSpec(name=LONG_NAME[:n], title=TITLE if with_extras else "", code=CODE if with_extras else "")
    layout = layout_seal(spec)
    assert [b.char for b in layout.name] == list(spec.name)
    r_in, r_out = layout.name_radii
    for box in layout.name:
        for corner in box.corners():
            # Inside the ring's inner edge, outside the star.
            assert layout.star_radius < math.hypot(*corner) < layout.ring_inner_radius
        # Upright relative to the centre: the glyph's head points away from it.
        ux, uy = _up(box)
        cx, cy = box.center
        assert (ux * cx + uy * cy) / math.hypot(cx, cy) == pytest.approx(1.0)
        assert math.hypot(cx, cy) == pytest.approx((r_in + r_out) / 2)
    boxes = _all_boxes(layout)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not _overlap(a.corners(), b.corners()), (a.char, b.char)


@pytest.mark.parametrize("n", range(4, 17))
def test_name_reads_clockwise_from_lower_left(n: int) -> None:
    layout = layout_seal(SealSpec(name=LONG_NAME[:n], title=TITLE))
    angles = [_angle(b) for b in layout.name]
    # Left to right over the top: angles fall steadily, symmetric about 12 o'clock.
    assert all(a > b for a, b in itertools.pairwise(angles))
    assert layout.name[0].center[0] < 0 < layout.name[-1].center[0]
    assert layout.name[0].center[0] == pytest.approx(-layout.name[-1].center[0])
    assert layout.name[0].center[1] == pytest.approx(layout.name[-1].center[1])
    steps = [a - b for a, b in itertools.pairwise(angles)]
    assert max(steps) - min(steps) < 1e-9  # evenly spaced


def test_span_adapts_to_length() -> None:
    spans = [layout_seal(SealSpec(name=LONG_NAME[:n])).name_span for n in range(4, 17)]
    assert all(a <= b + 1e-9 for a, b in itertools.pairwise(spans))
    assert spans[0] <= 160  # a short name does not run round the circle
    assert spans[-1] <= 290  # a long one leaves the bottom open
    assert spans[-1] - spans[0] > 100
    widths = [layout_seal(SealSpec(name=LONG_NAME[:n])).name[0].width for n in range(4, 17)]
    # Long names are condensed, within limits.
    assert widths[-1] < widths[0]
    assert widths[-1] >= 0.5 * widths[0]


def test_title_is_horizontal_under_the_star() -> None:
    layout = layout_seal(SealSpec(name="蒲县克城镇人民政府", title=TITLE))
    star_bottom = -layout.star_radius * math.sin(math.radians(54))
    assert [b.char for b in layout.title] == list(TITLE)
    xs = [b.center[0] for b in layout.title]
    assert xs == sorted(xs)
    assert sum(xs) / len(xs) == pytest.approx(0.0, abs=1e-9)
    for box in layout.title:
        assert box.rotation == 0.0
        assert max(c[1] for c in box.corners()) < star_bottom
        assert box.center[1] == layout.title[0].center[1]
    assert layout.title_box is not None
    x0, y0, x1, y1 = layout.title_box
    assert x0 == pytest.approx(-x1)
    assert y1 < star_bottom
    assert all(math.hypot(x, y) < layout.ring_inner_radius for x in (x0, x1) for y in (y0, y1))
    assert layout_seal(SealSpec(name="蒲县人民政府")).title_box is None


def test_code_reads_left_to_right_feet_outwards() -> None:
    layout = layout_seal(SealSpec(name="蒲县克城镇人民政府", title=TITLE, code=CODE))
    assert "".join(b.char for b in layout.code) == CODE
    xs = [b.center[0] for b in layout.code]
    assert xs == sorted(xs)
    for box in layout.code:
        assert box.center[1] < 0
        ux, uy = _up(box)
        cx, cy = box.center
        # The digit's head points at the centre.
        assert (ux * cx + uy * cy) / math.hypot(cx, cy) == pytest.approx(-1.0)
        assert box.height < layout.name[0].height / 2


def test_too_long_name_is_refused() -> None:
    with pytest.raises(SealTextTooLongError) as info:
        layout_seal(SealSpec(name=LONG_NAME * 2))
    assert isinstance(info.value, InputError)
    assert info.value.code == "seal_name_too_long"
    assert info.value.field == "name"
    assert "太长" in info.value.message_zh


def test_too_long_title_is_refused() -> None:
    with pytest.raises(SealTextTooLongError) as info:
        layout_seal(SealSpec(name="蒲县克城镇人民政府", title=TITLE * 2))
    assert info.value.code == "seal_title_too_long"


def test_too_long_code_is_refused() -> None:
    with pytest.raises(SealTextTooLongError) as info:
        layout_seal(SealSpec(name="蒲县克城镇人民政府", code="1" * 40))
    assert info.value.code == "seal_code_too_long"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"name": ""}, "seal_name_empty"),
        ({"name": "蒲县 人民政府"}, "seal_text_invalid"),
        ({"name": "蒲县人民政府", "code": "14A"}, "seal_code_invalid"),
        ({"name": "蒲县人民政府", "diameter_mm": 50.0}, "seal_diameter_invalid"),
        ({"name": "蒲县人民政府", "ring_width_mm": 3.0}, "seal_ring_invalid"),
        ({"name": "蒲县人民政府", "color": (300, 0, 0)}, "seal_color_invalid"),
    ],
)
def test_invalid_specs_cannot_exist(kwargs: dict, code: str) -> None:
    with pytest.raises(InputError) as info:
        SealSpec(**kwargs)
    assert info.value.code == code
