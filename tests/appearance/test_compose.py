"""Seal + QR composition and the cross-page (骑缝章) strips."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from PIL import Image, ImageChops

from esign.appearance import (
    MM,
    Drawing,
    FontRef,
    Placed,
    cross_page_strips,
    qr_artwork,
    render_image,
    seal_artwork,
    seal_with_qr,
    standalone_pdf,
)
from esign.appearance.artwork import Artwork
from esign.appearance.qr import QUIET_ZONE, qr_modules
from esign.errors import InputError
from tests.appearance.conftest import TOWNSHIPS, pixel

URL = "https://puxian.example.cn/v/KC01-0001"
Render = Callable[[bytes, int], Image.Image]
Scan = Callable[[Image.Image], list[str]]


def _mean_abs_diff(a: Image.Image, b: Image.Image) -> float:
    diff = ImageChops.difference(a, b)
    hist = diff.histogram()
    bands = len(diff.getbands())
    return sum(i * n for band in range(bands) for i, n in enumerate(hist[band * 256 : band * 256 + 256])) / (
        a.width * a.height * bands
    )


def _side_by_side(strips: tuple[Artwork, ...]) -> Drawing:
    """The strips put back next to each other, as the pages would lie."""
    x = 0.0
    items = []
    for s in strips:
        items.append(Placed(s.drawing, x, 0.0))
        x += s.width
    return Drawing(x, strips[0].height, tuple(items))


@pytest.mark.parametrize("pages", [2, 3, 5])
def test_strips_reassemble_the_seal(pages: int, font: FontRef, pdf_to_image: Render) -> None:
    seal = seal_artwork(TOWNSHIPS["kecheng"], font=font)
    strips = cross_page_strips(seal, pages)
    assert len(strips) == pages
    for i, s in enumerate(strips):
        assert s.width == pytest.approx(seal.width / pages)
        assert s.height == pytest.approx(seal.height)
        assert s.anchor == pytest.approx((seal.width / 2 - i * s.width, seal.height / 2))
        # A clip to the strip, the seal moved left, and the unchanged seal content inside.
        text = s.content.decode()
        assert f"0 0 {s.width:.3f}".rstrip("0").rstrip(".") in text
        assert " cm\n" in text
        assert seal.content.decode().split("\n", 2)[2].rsplit("Q", 1)[0] in text
    # Raster: the strips side by side equal the whole seal (seams only differ by anti-aliasing).
    whole = render_image(seal.drawing, dpi=150)
    again = render_image(_side_by_side(strips), dpi=150)
    assert whole.size == again.size
    assert _mean_abs_diff(whole, again) < 0.2
    # And each strip holds only its own share of the ink.
    ink = [render_image(s.drawing, dpi=150).getchannel("A").histogram() for s in strips]
    covered = [sum(n * v for v, n in enumerate(h)) for h in ink]
    total = sum(n * v for v, n in enumerate(whole.getchannel("A").histogram()))
    assert sum(covered) == pytest.approx(total, rel=0.01)
    assert min(covered) > 0
    # PDF (poppler): same.
    whole_pdf = pdf_to_image(standalone_pdf(seal), 150)
    again_pdf = pdf_to_image(standalone_pdf(Artwork(_side_by_side(strips), None)), 150)
    assert _mean_abs_diff(whole_pdf, again_pdf) < 0.5


def test_strip_pdf_pages_hold_their_part(font: FontRef, pdf_to_image: Render) -> None:
    seal = seal_artwork(TOWNSHIPS["guxian"], font=font)
    left, right = cross_page_strips(seal, 2)
    img_left = pdf_to_image(standalone_pdf(left), 150)
    img_right = pdf_to_image(standalone_pdf(right), 150)
    # The ring's left arc is at the left page's left edge, the right arc at the right page's right edge.
    assert pixel(img_left, (1, img_left.height // 2))[1] < 100
    assert pixel(img_right, (img_right.width - 2, img_right.height // 2))[1] < 100
    # The star's centre sits on the cut: solid red just left of it on the left page, just right
    # of it on the right page; blank page at the cut's top end.
    assert pixel(img_left, (img_left.width - 4, img_left.height // 2))[1] < 100
    assert pixel(img_right, (3, img_right.height // 2))[1] < 100
    assert pixel(img_left, (img_left.width - 4, img_left.height // 4)) == (255, 255, 255)


@pytest.mark.parametrize("pages", [0, 1, 21])
def test_strip_count_is_checked(pages: int, font: FontRef) -> None:
    with pytest.raises(InputError) as info:
        cross_page_strips(seal_artwork(TOWNSHIPS["guxian"], font=font), pages)
    assert info.value.code == "strip_count_invalid"


def test_qr_beside_or_below(font: FontRef) -> None:
    seal = seal_artwork(TOWNSHIPS["pucheng"], font=font)
    qr = qr_artwork(URL, size_mm=18)
    right = seal_with_qr(seal, qr, gap_mm=3)
    assert right.width == pytest.approx(seal.width + 3 * MM + qr.width)
    assert right.height == pytest.approx(seal.height)
    assert right.anchor == pytest.approx((seal.width / 2, seal.height / 2))
    below = seal_with_qr(seal, qr, position="below", gap_mm=2)
    assert below.height == pytest.approx(seal.height + 2 * MM + qr.height)
    assert below.anchor == pytest.approx((below.width / 2, qr.height + 2 * MM + seal.height / 2))
    with pytest.raises(InputError):
        seal_with_qr(seal, qr, position="left")  # type: ignore[arg-type]


def test_qr_geometry_and_scan(zbar: Scan) -> None:
    modules = qr_modules(URL)
    n = len(modules)
    assert n >= 21 and (n - 17) % 4 == 0
    art = qr_artwork(URL, size_mm=18)
    assert art.anchor is None
    assert art.width == pytest.approx(18 * MM * (n + 2 * QUIET_ZONE) / n)
    img = Image.open(io.BytesIO(art.png(dpi=300)))
    assert pixel(img, (1, 1)) == (255, 255, 255, 255)  # opaque light quiet zone
    assert zbar(img.convert("RGB")) == [URL]
    # One rectangle per run of dark modules.
    runs = sum(sum(1 for c in range(n) if row[c] and (c == 0 or not row[c - 1])) for row in modules)
    assert art.content.count(b" m\n") == 1 + runs


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"data": URL, "size_mm": 12.0}, "qr_too_small"),
        ({"data": ""}, "qr_data_empty"),
        ({"data": "x" * 5000}, "qr_data_too_long"),
        ({"data": URL, "error_correction": "L"}, "qr_level_invalid"),
    ],
)
def test_qr_input_errors(kwargs: dict, code: str) -> None:
    with pytest.raises(InputError) as info:
        qr_artwork(**kwargs)
    assert info.value.code == code


def test_qr_error_correction_raises_module_count() -> None:
    assert len(qr_modules(URL, error_correction="H")) > len(qr_modules(URL, error_correction="M"))
