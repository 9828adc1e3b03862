"""Path primitives: matrices compose in PDF order, curves flatten onto the curve, stars are regular."""

from __future__ import annotations

import math

import pytest

from esign.appearance.paths import bounds, circle, compose, flatten, rotation, scaling, star, transform, translation


def test_compose_applies_first_matrix_first() -> None:
    m = compose(translation(1, 0), scaling(2), rotation(90))
    ((_, (x, y)),) = transform((("m", (0.0, 0.0)),), m)
    # (0,0) -> (1,0) -> (2,0) -> rotated a quarter turn -> (0,2)
    assert (x, y) == pytest.approx((0.0, 2.0))


def test_circle_flattens_onto_the_circle() -> None:
    (contour,) = flatten(circle(5, 5, 10), tolerance=0.5)
    assert len(contour) > 40
    for x, y in contour:
        assert math.hypot(x - 5, y - 5) == pytest.approx(10, rel=3e-4)
    assert bounds([circle(5, 5, 10)]) == pytest.approx((-5, -5, 15, 15))


def test_star_is_regular_and_points_up() -> None:
    (contour,) = flatten(star(0, 0, 7), tolerance=1)
    assert len(contour) == 10
    assert contour[0] == pytest.approx((0, 7))
    radii = [math.hypot(x, y) for x, y in contour]
    assert radii[0::2] == pytest.approx([7] * 5)
    assert radii[1::2] == pytest.approx([7 * 0.381966] * 5, rel=1e-5)
