"""esign.stamp.placement: millimetres on the visible page land where a ruler says, in every geometry.

The end-to-end checks draw a red square at the resolved user-space point, render the page with
poppler as a viewer shows it (CropBox, /Rotate) and measure where the square appears.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image

from esign.errors import InputError
from esign.stamp.geometry import PT_PER_MM, upright_matrix
from esign.stamp.inputs import inspect_pdf
from esign.stamp.placement import (
    AtKeyword,
    AtPosition,
    InField,
    ResolvedPlacement,
    default_keywords,
    resolve,
)
from tests import pdfgen
from tests.stamp._render import add_markers, poppler_words, red_centroid, render, square

GEOMETRIES: dict[str, dict[str, Any]] = {
    "a4": dict(size_mm=pdfgen.A4),
    "a3": dict(size_mm=pdfgen.A3),
    "letter": dict(size_mm=pdfgen.LETTER),
    "a4-rot90": dict(size_mm=pdfgen.A4, rotate=90),
    "a4-rot180": dict(size_mm=pdfgen.A4, rotate=180),
    "a4-rot270": dict(size_mm=pdfgen.A4, rotate=270),
    "a4-crop": dict(size_mm=pdfgen.A4, crop_mm=(12, 25, 30, 8)),
    "a3-crop-origin-rot90": dict(size_mm=pdfgen.A3, rotate=90, crop_mm=(7, 11, 13, 17), origin_pt=(-200, 333)),
    "letter-crop-rot270": dict(size_mm=pdfgen.LETTER, rotate=270, crop_mm=(20, 5, 3, 15)),
}


def _geometry_pdf(name: str) -> bytes:
    g = GEOMETRIES[name]
    return pdfgen.geometry_pdf(
        g["size_mm"], rotate=g.get("rotate", 0), crop_mm=g.get("crop_mm"), origin_pt=g.get("origin_pt", (0.0, 0.0))
    )


def _centroid_mm(img: Image.Image, dpi: float) -> tuple[float, float]:
    found = red_centroid(img)
    assert found is not None, "marker not found in the rendering"
    return found[0] / dpi * 25.4, found[1] / dpi * 25.4


def _code(fn: Callable[..., object], *args: Any, **kw: Any) -> str:
    with pytest.raises(InputError) as info:
        fn(*args, **kw)
    assert info.value.message_zh and info.value.message_en
    return info.value.code


def _marked(data: bytes, r: ResolvedPlacement) -> bytes:
    return add_markers(data, r.page_index, [square(*r.centre)])


@pytest.mark.parametrize("dpi", [72, 150])
@pytest.mark.parametrize("name", list(GEOMETRIES))
def test_marker_lands_at_measured_position(name: str, dpi: int) -> None:
    data = _geometry_pdf(name)
    page = inspect_pdf(data, max_bytes=1 << 20).pages[0]
    px_per_mm = dpi / 25.4
    points = [
        (20.0, 30.0),
        (page.width_mm - 15, 25.0),
        (33.0, page.height_mm - 12),
        (page.width_mm / 2, page.height_mm / 3),
    ]
    for x_mm, y_mm in points:
        r = resolve(data, AtPosition(1, x_mm, y_mm), seal_size_mm=10)
        assert r.rotation == page.rotate and r.centre_mm == (x_mm, y_mm)
        img = render(_marked(data, r), dpi=dpi)
        assert img.width == pytest.approx(page.width_mm * px_per_mm, abs=2)
        assert img.height == pytest.approx(page.height_mm * px_per_mm, abs=2)
        found = red_centroid(img)
        assert found is not None, (name, x_mm, y_mm)
        fx, fy = found[0] / px_per_mm, found[1] / px_per_mm
        assert abs(fx - x_mm) < 1 and abs(fy - y_mm) < 1, (name, (x_mm, y_mm), (fx, fy))


@pytest.mark.parametrize("name", ["a4", "a4-rot90", "a4-rot180", "a4-rot270", "a3-crop-origin-rot90"])
def test_upright_matrix_makes_the_seal_look_upright(name: str) -> None:
    """A mark in the top-left quadrant of the appearance shows at the top-left of the seal."""
    data = _geometry_pdf(name)
    s = 40.0
    r = resolve(data, AtPosition(1, 60, 70), seal_size_mm=s)
    side = s * PT_PER_MM
    a, b, c, d, e, f = upright_matrix(r.rotation, side, side)
    ops = [
        f"1 0 0 1 {r.box.x0:.3f} {r.box.y0:.3f} cm {a} {b} {c} {d} {e:.3f} {f:.3f} cm",
        square(side / 4, 3 * side / 4, 8),
    ]
    img = render(add_markers(data, 0, ops), dpi=72)
    fx, fy = _centroid_mm(img, 72)
    assert abs(fx - (60 - s / 4)) < 1 and abs(fy - (70 - s / 4)) < 1


def test_keyword_seal_sits_on_the_keyword(decision: bytes) -> None:
    r = resolve(decision, AtKeyword("（盖章）"), seal_size_mm=42)
    assert r.page_index == 0 and r.keyword_hit is not None and not r.adjusted
    word = next(w for w in poppler_words(decision) if "盖章" in w[0])
    img = render(_marked(decision, r), dpi=150)
    fx, fy = (v * PT_PER_MM for v in _centroid_mm(img, 150))
    _, xmin, ymin, xmax, ymax = word
    assert xmin < fx < xmax and ymin < fy < ymax
    # and on the "（盖章）" part, i.e. the last four of thirteen full-width characters
    assert fx > xmin + (xmax - xmin) * 9 / 13


def test_keyword_township_name_and_offset(decision: bytes) -> None:
    base = resolve(decision, AtKeyword("蒲县克城镇人民政府"), seal_size_mm=42)
    hit = base.keyword_hit
    assert hit is not None and hit.bbox.y1 < 300  # the signature block, not the header
    shifted = resolve(decision, AtKeyword("蒲县克城镇人民政府", offset_x_mm=5, offset_y_mm=-3), seal_size_mm=42)
    assert shifted.centre_mm == pytest.approx((base.centre_mm[0] + 5, base.centre_mm[1] - 3))


def test_default_keywords() -> None:
    assert default_keywords("克城镇", "蒲县克城镇人民政府") == ("（盖章）", "蒲县克城镇人民政府", "克城镇")
    assert default_keywords("", "克城镇") == ("（盖章）", "克城镇")
    assert default_keywords("克城镇", "克城镇") == ("（盖章）", "克城镇")


def test_candidates_first_found_wins(decision: bytes) -> None:
    r = resolve(
        decision, AtKeyword(("准予行政许可", *default_keywords("克城镇", "蒲县克城镇人民政府"))), seal_size_mm=42
    )
    assert r.keyword_hit is not None and r.keyword_hit.text == "（盖章）"


def test_keyword_absent(decision: bytes) -> None:
    with pytest.raises(InputError) as info:
        resolve(decision, AtKeyword("准予行政许可决定"), seal_size_mm=42)
    assert info.value.code == "keyword_not_found"
    assert "准予行政许可决定" in info.value.message_zh and info.value.data["keyword"] == "准予行政许可决定"


def test_keyword_on_scan_says_why() -> None:
    with pytest.raises(InputError) as info:
        resolve(pdfgen.scanned_pdf(), AtKeyword("（盖章）"), seal_size_mm=42)
    assert info.value.code == "keyword_not_found" and "扫描件" in info.value.message_zh


def test_last_occurrence_in_document_order(long20: bytes) -> None:
    r = resolve(long20, AtKeyword("蒲县克城镇人民政府"), seal_size_mm=42)
    assert r.page_index == 19
    assert r.keyword_hit is not None and r.keyword_hit.bbox.y1 < 400  # signature block, not page header


def test_last_occurrence_can_be_on_an_earlier_page_and_lowest_on_it() -> None:
    t = pdfgen.Text
    pages = [
        pdfgen.Page(texts=(t(30, 50, "甲方（盖章）"),)),
        pdfgen.Page(texts=(t(30, 50, "乙方（盖章）"), t(30, 150, "丙方（盖章）"))),
        pdfgen.Page(texts=(t(30, 50, "附件：材料清单"),)),
    ]
    data = pdfgen.build_pdf(pages, seed="last-occurrence")
    r = resolve(data, AtKeyword("（盖章）"), seal_size_mm=30)
    assert r.page_index == 1 and r.keyword_hit is not None
    assert r.centre_mm[1] == pytest.approx(150, abs=4)
    first = resolve(data, AtKeyword("（盖章）", page=1), seal_size_mm=30)
    assert first.page_index == 0
    assert _code(resolve, data, AtKeyword("（盖章）", page=-1), seal_size_mm=30) == "keyword_not_found"
    assert _code(resolve, data, AtKeyword("（盖章）", page=4), seal_size_mm=30) == "page_out_of_range"


def test_keyword_near_edge_is_nudged_inside() -> None:
    data = pdfgen.build_pdf([pdfgen.Page(texts=(pdfgen.Text(208, 290, "（盖章）", 8, "right"),))], seed="edge")
    r = resolve(data, AtKeyword("（盖章）"), seal_size_mm=42)
    assert r.adjusted
    assert r.centre_mm == pytest.approx((210 - 21, 297 - 21))


def test_keyword_needs_bytes(decision: bytes) -> None:
    info = inspect_pdf(decision, max_bytes=1 << 20)
    with pytest.raises(TypeError):
        resolve(info, AtKeyword("（盖章）"), seal_size_mm=42)
    assert resolve(info, AtKeyword("（盖章）"), seal_size_mm=42, data=decision).page_index == 0


def test_page_numbers(long20: bytes) -> None:
    assert resolve(long20, AtPosition(-1, 100, 100), seal_size_mm=42).page_index == 19
    assert resolve(long20, AtPosition(-20, 100, 100), seal_size_mm=42).page_index == 0
    assert resolve(long20, AtPosition(3, 100, 100), seal_size_mm=42).page_index == 2
    for bad in (21, -21):
        assert _code(resolve, long20, AtPosition(bad, 100, 100), seal_size_mm=42) == "page_out_of_range"
    assert _code(AtPosition, 0, 100, 100) == "page_out_of_range"
    assert _code(AtPosition, 1, float("nan"), 100) == "invalid_placement"
    assert _code(AtKeyword, "  ") == "keyword_empty"


@pytest.mark.parametrize(("x", "y"), [(20, 100), (190, 100), (100, 20), (100, 277), (-5, 100), (300, 300)])
def test_off_page(decision: bytes, x: float, y: float) -> None:
    assert _code(resolve, decision, AtPosition(1, x, y), seal_size_mm=42) == "placement_off_page"


def test_exactly_touching_the_edge_is_allowed(decision: bytes) -> None:
    r = resolve(decision, AtPosition(1, 21, 21), seal_size_mm=42)
    assert r.box.x0 == pytest.approx(0) and r.box.y1 == pytest.approx(297 * PT_PER_MM)


def test_off_page_respects_rotation() -> None:
    data = pdfgen.geometry_pdf(pdfgen.A4, rotate=90)  # shown as 297 × 210
    resolve(data, AtPosition(1, 270, 100), seal_size_mm=42)
    assert _code(resolve, data, AtPosition(1, 100, 200), seal_size_mm=42) == "placement_off_page"


def test_invalid_seal_size(decision: bytes) -> None:
    for bad in (0, -1, 500, float("nan")):
        assert _code(resolve, decision, AtPosition(1, 100, 100), seal_size_mm=bad) == "invalid_seal_size"


def _with_fields() -> bytes:
    return pdfgen.build_pdf(
        [pdfgen.Page(texts=pdfgen.decision_texts())],
        sig_fields=[pdfgen.SigField("Seal", 0, (130, 180, 45, 45)), pdfgen.SigField("Clerk", 0, (20, 240, 40, 20))],
        seed="fields",
    )


def test_in_field() -> None:
    data = _with_fields()
    r = resolve(data, InField("Seal"), seal_size_mm=42)
    assert r.field_name == "Seal" and r.page_index == 0
    assert r.centre_mm == pytest.approx((152.5, 202.5))
    assert r.box.width == pytest.approx(45 * PT_PER_MM, abs=0.01)
    assert _code(resolve, data, InField("Nope"), seal_size_mm=42) == "field_not_found"
    signed = pdfgen.sign_for_test(data, "Seal")
    assert _code(resolve, signed, InField("Seal"), seal_size_mm=42) == "field_already_signed"
    assert resolve(signed, InField("Clerk"), seal_size_mm=42).field_name == "Clerk"


def test_also_on_pages() -> None:
    pages = [pdfgen.Page(texts=pdfgen.decision_texts()), pdfgen.Page(), pdfgen.Page(width_mm=297, height_mm=420)]
    data = pdfgen.build_pdf(pages, seed="also")
    r = resolve(data, AtKeyword("（盖章）", also_on_pages=(1, 2, -1, 3)), seal_size_mm=42)
    assert [s.page_index for s in r.also] == [1, 2]  # the main page and repeats are dropped
    for spot in r.also:
        assert spot.centre_mm == pytest.approx(r.centre_mm)
    # the A3 page is taller: the same visible position is a different user-space point
    assert r.also[1].centre[1] != pytest.approx(r.centre[1])
    rotated = pdfgen.build_pdf([pdfgen.Page(texts=pdfgen.decision_texts()), pdfgen.Page(rotate=90)], seed="also-rot")
    assert _code(resolve, rotated, AtKeyword("（盖章）", also_on_pages=(2,)), seal_size_mm=42) == "placement_off_page"


def test_riding_seal_strips_on_every_right_edge() -> None:
    pages = [pdfgen.Page(), pdfgen.Page(rotate=90), pdfgen.Page(width_mm=297, height_mm=420, crop_mm=(10, 10, 20, 10))]
    data = pdfgen.build_pdf(pages, seed="riding")
    s = 42.0
    r = resolve(data, AtPosition(1, 150, 220, riding_seal=True), seal_size_mm=s)
    assert [st.page_index for st in r.riding] == [0, 1, 2]
    assert [v for st in r.riding for v in st.part] == pytest.approx([0, 1 / 3, 1 / 3, 2 / 3, 2 / 3, 1])
    info = inspect_pdf(data, max_bytes=1 << 22)
    for st in r.riding:
        page = info.pages[st.page_index]
        left, top, right, bottom = page.geometry.user_box_to_visible(st.box)
        assert right == pytest.approx(page.width_mm) and right - left == pytest.approx(s / 3)
        assert (top + bottom) / 2 == pytest.approx(page.height_mm / 2)
        sl, _, sr, _ = page.geometry.user_box_to_visible(st.seal_box)
        # the strip shows exactly its slice of the whole seal
        assert (left - sl) / s == pytest.approx(st.part[0]) and (right - sl) / s == pytest.approx(st.part[1])
        assert sr - sl == pytest.approx(s)
        img = render(add_markers(data, st.page_index, [square(*st.box.centre, 3)]), dpi=72, page=st.page_index + 1)
        fx, fy = _centroid_mm(img, 72)
        assert abs(fx - (page.width_mm - s / 6)) < 1 and abs(fy - page.height_mm / 2) < 1
    assert _code(resolve, pdfgen.decision_pdf(), AtPosition(1, 100, 100, riding_seal=True), seal_size_mm=s) == (
        "riding_seal_single_page"
    )


def test_resolve_on_encrypted_document() -> None:
    data = pdfgen.build_pdf([pdfgen.Page(texts=pdfgen.decision_texts())], user_password="pw", seed="enc")
    assert _code(resolve, data, AtKeyword("（盖章）"), seal_size_mm=42) == "pdf_encrypted"
    r = resolve(data, AtKeyword("（盖章）"), seal_size_mm=42, password="pw")
    assert r.keyword_hit is not None


def test_two_hundred_pages(long200: bytes) -> None:
    r = resolve(long200, AtKeyword(default_keywords("克城镇", "蒲县克城镇人民政府")), seal_size_mm=42)
    assert r.page_index == 199 and r.keyword_hit is not None and r.keyword_hit.text == "（盖章）"
