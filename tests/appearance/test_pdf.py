"""The PDF outputs, rendered by poppler: red and centred, the QR code scans, pyHanko can stamp it."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter
from pyhanko.stamp import StaticContentStamp, StaticStampStyle

from esign.appearance import (
    MM,
    Artwork,
    FontRef,
    qr_artwork,
    raw_content,
    seal_artwork,
    seal_pdf,
    seal_with_qr,
    standalone_pdf,
)
from tests.appearance.conftest import TOWNSHIPS, pixel

URL = "https://puxian.example.cn/v/7Q2M-KC01-0001?d=3f9a1c"
DPI = 150

Render = Callable[[bytes, int], Image.Image]
Scan = Callable[[Image.Image], list[str]]


def _red_mask(img: Image.Image) -> Image.Image:
    """1 where a pixel is clearly seal-red (high R, low G and B)."""
    r, g, b = img.split()
    hi = r.point(lambda v: 255 if v > 180 else 0)
    lo_g = g.point(lambda v: 255 if v < 110 else 0)
    lo_b = b.point(lambda v: 255 if v < 120 else 0)
    return Image.composite(Image.composite(hi, lo_g, lo_g), Image.new("L", img.size, 0), lo_b).point(
        lambda v: 255 if v else 0
    )


def _red_centre(img: Image.Image) -> tuple[float, float, int]:
    """Centre of the red ink's bounding box (the ring's), in pixels, and the count of red pixels."""
    mask = _red_mask(img)
    bbox = mask.getbbox()
    assert bbox is not None, "no red pixels"
    count = mask.histogram()[255]
    return (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2, count


def test_seal_pdf_is_red_and_centred(pdf_to_image: Render, font: FontRef) -> None:
    pdf = seal_pdf(TOWNSHIPS["kecheng"], font=font, margin_mm=5)
    reader = PdfFileReader(io.BytesIO(pdf))
    assert reader.root["/Pages"]["/Count"] == 1
    img = pdf_to_image(pdf, DPI)
    side = (42 + 10) / 25.4 * DPI
    assert img.size == pytest.approx((side, side), abs=1)
    cx, cy, n = _red_centre(img)
    assert abs(cx - side / 2) < 1.0
    assert abs(cy - side / 2) < 1.0
    assert n > 0.08 * side * side
    bbox = _red_mask(img).getbbox()
    assert bbox is not None
    ring = 42 / 25.4 * DPI
    assert bbox[2] - bbox[0] == pytest.approx(ring, abs=3)
    assert bbox[3] - bbox[1] == pytest.approx(ring, abs=3)
    # The colour itself: the star's centre.
    r, g, b = pixel(img, (img.width // 2, img.height // 2))[:3]
    assert abs(r - 230) <= 3 and g <= 3 and abs(b - 18) <= 3


@pytest.mark.parametrize("position", ["right", "below"])
def test_seal_with_qr_scans_and_keeps_seal_centre(
    position: str, pdf_to_image: Render, zbar: Scan, font: FontRef
) -> None:
    seal = seal_artwork(TOWNSHIPS["heilongguan"], font=font)
    art = seal_with_qr(seal, qr_artwork(URL, size_mm=18), position=position)  # type: ignore[arg-type]
    img = pdf_to_image(standalone_pdf(art), DPI)
    assert zbar(img) == [URL]
    assert art.anchor is not None
    ax, ay = art.anchor
    cx, cy, _ = _red_centre(img)
    scale = DPI / 72
    assert abs(cx - ax * scale) < 1.0
    assert abs(cy - (art.height - ay) * scale) < 1.0
    if position == "right":
        assert art.width > art.height
    else:
        assert art.height > art.width


def test_png_of_seal_with_qr_scans(zbar: Scan, font: FontRef) -> None:
    art = seal_with_qr(seal_artwork(TOWNSHIPS["pucheng"], font=font), qr_artwork(URL))
    img = Image.open(io.BytesIO(art.png(dpi=200)))
    flat = Image.new("RGB", img.size, (255, 255, 255))
    flat.paste(img, mask=img.getchannel("A"))
    assert zbar(flat) == [URL]


def _blank_pdf_with_stamp(art: Artwork, x: float, y: float) -> bytes:
    w = PdfFileWriter(stream_xrefs=False)
    page = PageObject(contents=w.add_object(generic.StreamObject(stream_data=b"")), media_box=(0, 0, 595, 842))
    w.insert_page(page)
    rc = raw_content(art)
    style = StaticStampStyle(background=rc, background_opacity=1.0, border_width=0)
    stamp = StaticContentStamp(writer=w, style=style, box=rc.box)
    stamp.apply(0, x, y)  # type: ignore[arg-type]  # typed int, but pyHanko writes %g of floats
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def test_pyhanko_stamp_draws_the_seal_where_asked(pdf_to_image: Render, font: FontRef) -> None:
    seal = seal_artwork(TOWNSHIPS["guxian"], font=font)
    assert seal.anchor is not None
    centre = (400.0, 200.0)
    pdf = _blank_pdf_with_stamp(seal, centre[0] - seal.anchor[0], centre[1] - seal.anchor[1])
    img = pdf_to_image(pdf, 72)
    cx, cy, _ = _red_centre(img)
    assert abs(cx - centre[0]) < 1.0
    assert abs(cy - (842 - centre[1])) < 1.0


def test_raw_content_box() -> None:
    art = qr_artwork(URL, size_mm=20)
    rc = raw_content(art)
    assert rc.render() == art.content
    # Whole points, never smaller than the artwork (pyHanko truncates boxes to integers).
    assert art.width <= rc.box.width < art.width + 1
    assert art.height <= rc.box.height < art.height + 1
    assert art.width > 20 * MM  # the quiet zone is part of the box
