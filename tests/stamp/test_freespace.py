"""Free space for the QR code: beside the seal when free, elsewhere on the page when not, never on content."""

from __future__ import annotations

from esign.stamp import AtKeyword
from esign.stamp.freespace import qr_spot
from esign.stamp.geometry import Box

PAGE = Box(0, 0, 595, 842)
SEAL = Box(350, 100, 469, 219)
QR = 63.0


def _overlaps(a: Box, b: Box) -> bool:
    o = a.intersection(b)
    return o is not None and o.width * o.height > 0


def test_right_of_the_seal_when_free() -> None:
    spot = qr_spot(SEAL, QR, PAGE, [])
    assert spot is not None and spot.x0 > SEAL.x1 and SEAL.y0 < spot.centre[1] < SEAL.y1


def test_text_to_the_right_margin_moves_it_below_then_left_then_above() -> None:
    line_right = Box(345, 130, 590, 190)  # text through the seal, running to the right margin
    spot = qr_spot(SEAL, QR, PAGE, [line_right])
    assert spot is not None and spot.y1 < SEAL.y0 and not _overlaps(spot, line_right)
    below = Box(72, 20, 590, 99)
    spot = qr_spot(SEAL, QR, PAGE, [line_right, below])
    assert spot is not None and spot.x1 < SEAL.x0 and not any(_overlaps(spot, b) for b in (line_right, below))
    full_line = Box(72, 130, 590, 190)
    spot = qr_spot(SEAL, QR, PAGE, [full_line, below])
    assert spot is not None and spot.y0 > SEAL.y1


def test_elsewhere_on_the_page_nearest_first() -> None:
    ring = [Box(0, 60, 595, 260)]  # a full-width band around the seal: only above or below it is free
    spot = qr_spot(SEAL, QR, PAGE, ring)
    assert spot is not None and not _overlaps(spot, ring[0]) and not _overlaps(spot, SEAL)
    assert spot.y0 >= 260 or spot.y1 <= 60


def test_a_full_page_has_no_spot() -> None:
    columns = [Box(x, 0, x + 40, 842) for x in range(0, 595, 45)]  # text everywhere, no 63 pt gap
    assert qr_spot(SEAL, QR, PAGE, columns) is None


def test_plan_refuses_a_page_with_no_free_space(monkeypatch) -> None:
    import pytest

    from esign.appearance import SealSpec, qr_artwork, seal_artwork
    from esign.errors import InputError
    from esign.stamp import plan
    from tests.pdfgen import decision_pdf

    # what PDFium would report for a page of text from edge to edge
    monkeypatch.setattr(plan, "page_obstacles", lambda *a, **kw: [Box(0, y, 595, y + 12) for y in range(0, 842, 14)])
    seal = seal_artwork(SealSpec(name="蒲县克城镇人民政府", title="行政审批服务专用章", code="141033103001"))
    with pytest.raises(InputError) as exc:
        plan.plan_stamp(
            decision_pdf(),
            AtKeyword("盖章"),
            seal=seal,
            qr=lambda: qr_artwork("https://x/v/1"),
        )
    assert exc.value.code == "qr_no_space"


def test_a_checked_keyword_placement_is_planned_without_pdfium(monkeypatch) -> None:
    """The request's check (``resolve`` with the document's digest) finds the keyword and the page's
    occupied boxes in one parse; planning the stamp of the same bytes then has PDFium parse nothing, and
    puts the seal and its QR code where planning from scratch does."""
    import hashlib

    from esign.appearance import SealSpec, qr_artwork, seal_artwork
    from esign.stamp import plan, textpos
    from esign.stamp.placement import resolve
    from tests.pdfgen import decision_pdf

    seal = seal_artwork(SealSpec(name="蒲县克城镇人民政府", title="行政审批服务专用章", code="141033103001"))
    data = decision_pdf(number="克政审受字〔2025〕第733号")
    fresh = plan.plan_stamp(data, AtKeyword("盖章"), seal=seal, qr=lambda: qr_artwork("https://x/v/1"))
    digest = hashlib.sha256(data).hexdigest()
    resolve(data, AtKeyword("盖章"), seal_size_mm=seal.width / plan.MM, digest=digest)
    opened: list[object] = []
    real = textpos.pdfium.PdfDocument
    monkeypatch.setattr(textpos.pdfium, "PdfDocument", lambda *a, **kw: opened.append(a) or real(*a, **kw))
    planned = plan.plan_stamp(data, AtKeyword("盖章"), seal=seal, qr=lambda: qr_artwork("https://x/v/1"), digest=digest)
    assert opened == []
    assert (planned.widget.page_index, planned.widget.x, planned.widget.y) == (
        fresh.widget.page_index,
        fresh.widget.x,
        fresh.widget.y,
    )
    assert (planned.widget.artwork.width, planned.widget.artwork.anchor) == (
        fresh.widget.artwork.width,
        fresh.widget.artwork.anchor,
    )
