"""esign.stamp.geometry: conversions are exact inverses and the upright matrix turns the right way."""

from __future__ import annotations

import pytest

from esign.stamp.geometry import Box, PageGeometry, upright_matrix


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_roundtrip(rotate: int) -> None:
    geo = PageGeometry(Box(10, 20, 500, 800), rotate)
    for x, y in [(0, 0), (12.5, 40), (100, 150)]:
        ux, uy = geo.to_user(x, y)
        assert geo.to_visible(ux, uy) == pytest.approx((x, y))


@pytest.mark.parametrize(
    ("rotate", "corner"),
    [(0, (10, 800)), (90, (10, 20)), (180, (500, 20)), (270, (500, 800))],
)
def test_visible_top_left_corner(rotate: int, corner: tuple[float, float]) -> None:
    assert PageGeometry(Box(10, 20, 500, 800), rotate).to_user(0, 0) == pytest.approx(corner)


def test_box_rules() -> None:
    with pytest.raises(ValueError):
        Box(1, 0, 0, 1)
    with pytest.raises(ValueError):
        PageGeometry(Box(0, 0, 0, 10))
    with pytest.raises(ValueError):
        PageGeometry(Box(0, 0, 10, 10), 45)
    assert Box.from_corners(5, 6, 1, 2) == Box(1, 2, 5, 6)


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_upright_matrix_maps_box_to_positive_quadrant(rotate: int) -> None:
    a, b, c, d, e, f = upright_matrix(rotate, 30, 10)
    corners = [(a * x + c * y + e, b * x + d * y + f) for x, y in [(0, 0), (30, 0), (0, 10), (30, 10)]]
    xs, ys = [p[0] for p in corners], [p[1] for p in corners]
    assert min(xs) == pytest.approx(0) and min(ys) == pytest.approx(0)
    expected = (10, 30) if rotate in (90, 270) else (30, 10)
    assert (max(xs), max(ys)) == pytest.approx(expected)
