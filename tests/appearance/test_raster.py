"""The rasterizer and the content-stream writer on hand-made drawings with known answers."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from esign.appearance import Drawing, Placed, Shape, pdf_content, render_image, render_png
from esign.appearance.paths import circle, polygon, rectangle
from tests.appearance.conftest import pixel

RED = (230, 0, 18)


def test_rectangle_on_pixel_grid_is_exact() -> None:
    # 72 dpi: one point per pixel; the square covers pixels 2..5 (x) and rows 4..7 from the top.
    d = Drawing(10, 10, (Shape(rectangle(2, 2, 4, 4), RED),))
    img = render_image(d, dpi=72)
    assert img.size == (10, 10)
    assert pixel(img, (3, 5)) == (*RED, 255)
    assert pixel(img, (0, 0)) == (0, 0, 0, 0)
    alpha = img.getchannel("A")
    assert alpha.getbbox() == (2, 4, 6, 8)
    assert [v for v, count in enumerate(alpha.histogram()) if count] == [0, 255]


def test_half_pixel_edge_is_half_covered() -> None:
    d = Drawing(4, 4, (Shape(rectangle(0, 0, 2.5, 4), RED),))
    alpha = render_image(d, dpi=72, supersample=4).getchannel("A")
    assert alpha.getpixel((1, 1)) == 255
    assert alpha.getpixel((2, 1)) == 128
    assert alpha.getpixel((3, 1)) == 0


def test_nonzero_winding_fills_overlaps_and_cuts_holes() -> None:
    same_direction = rectangle(0, 0, 6, 6) + rectangle(3, 3, 6, 6)
    hole = circle(10, 10, 8) + circle(10, 10, 4, clockwise=True)
    d = Drawing(20, 20, (Shape(same_direction, RED), Shape(hole, RED)))
    alpha = render_image(d, dpi=72).getchannel("A")
    assert alpha.getpixel((4, 15)) == 255  # inside both squares: not a hole (even-odd would be)
    assert alpha.getpixel((10, 10)) == 0  # inside the reversed inner circle
    assert alpha.getpixel((10, 4)) == 255  # in the ring


def test_placed_drawing_is_translated_and_clipped() -> None:
    inner = Drawing(4, 4, (Shape(rectangle(-10, -10, 30, 30), RED),))  # overflows its own box
    d = Drawing(10, 10, (Placed(inner, 3, 3),))
    alpha = render_image(d, dpi=72).getchannel("A")
    assert alpha.getbbox() == (3, 3, 7, 7)
    content = pdf_content(d).decode()
    assert "1 0 0 1 3 3 cm" in content
    assert "0 0 4 4 re W n" in content


def test_painting_order_and_transparency() -> None:
    d = Drawing(
        10,
        10,
        (Shape(rectangle(0, 0, 10, 10), (255, 255, 255)), Shape(polygon([(2, 2), (8, 2), (5, 8)]), (0, 0, 0))),
    )
    img = render_image(d, dpi=72)
    assert pixel(img, (5, 5)) == (0, 0, 0, 255)
    assert pixel(img, (0, 0)) == (255, 255, 255, 255)
    transparent = render_image(Drawing(10, 10, (Shape(rectangle(0, 0, 1, 1), RED),)), dpi=72)
    assert pixel(transparent, (9, 0))[3] == 0


def test_png_is_deterministic_and_carries_dpi() -> None:
    d = Drawing(30, 30, (Shape(circle(15, 15, 12), RED),))
    a, b = render_png(d, dpi=150), render_png(d, dpi=150)
    assert a == b
    img = Image.open(io.BytesIO(a))
    assert img.mode == "RGBA"
    assert img.info["dpi"] == pytest.approx((150, 150), abs=0.05)  # stored as dots per metre


def test_content_stream_formatting() -> None:
    d = Drawing(10, 10, (Shape(rectangle(0.5, -0.0001, 1.23456, 2), (230, 0, 18)),))
    content = pdf_content(d).decode()
    assert content.startswith("q\n0 0 10 10 re W n\n0.902 0 0.071 rg\n0.5 0 m\n1.735 0 l\n")
    assert content.endswith("h\nf\nQ\n")
    assert "-0 " not in content


@pytest.mark.parametrize("bad", [0, 5000])
def test_dpi_limits(bad: int) -> None:
    with pytest.raises(ValueError):
        render_image(Drawing(10, 10, ()), dpi=bad)
