"""esign.stamp.textpos: text with positions, checked against poppler's own word boxes."""

from __future__ import annotations

import pytest

from esign.stamp.textpos import TextIndex, find_text, normalise
from tests import pdfgen
from tests.stamp._render import poppler_words

PAGE_H = 297 * pdfgen.MM


def test_normalise_folds_widths_case_and_spaces() -> None:
    assert normalise("（盖 章）") == normalise("(盖章)") == "(盖章)"
    assert normalise("２０２５ 年") == "2025年"
    assert normalise("Ab\u3000c\u200b") == "abc"


def test_finds_keywords_where_poppler_sees_them(decision: bytes) -> None:
    hits = find_text(decision, "（盖章）")
    assert len(hits) == 1
    hit = hits[0]
    assert hit.page_index == 0 and hit.text == "（盖章）"
    word = next(w for w in poppler_words(decision) if "盖章" in w[0])
    _, xmin, ymin, xmax, ymax = word
    # the keyword is the tail of poppler's word "蒲县克城镇人民政府（盖章）"; same baseline, same right end
    assert hit.bbox.x1 == pytest.approx(xmax, abs=1.5)
    assert xmin < hit.bbox.x0 < xmax
    centre_y_from_top = PAGE_H - hit.bbox.centre[1]
    assert ymin - 1 <= centre_y_from_top <= ymax + 1


def test_township_name_occurs_twice_in_order(decision: bytes) -> None:
    hits = find_text(decision, "蒲县克城镇人民政府")
    assert len(hits) == 2
    assert hits[0].bbox.y0 > hits[1].bbox.y0  # header above the signature block


def test_half_width_query_and_spaces_match(decision: bytes) -> None:
    assert find_text(decision, "(盖章)") and find_text(decision, "人民 政府（盖章)")


def test_match_runs_across_runs(decision: bytes) -> None:
    # "政府" ends one drawn string segment and "（盖章）" follows within the same line
    assert [h.text for h in find_text(decision, "政府（盖")] == ["政府（盖"]


def test_absent_and_scan() -> None:
    assert find_text(pdfgen.decision_pdf(), "准予行政许可") == []
    index = TextIndex(pdfgen.scanned_pdf())
    assert index.find("盖章") == [] and not index.has_text()


def test_encrypted_text() -> None:
    data = pdfgen.build_pdf([pdfgen.Page(texts=pdfgen.decision_texts())], user_password="pw")
    assert len(find_text(data, "（盖章）", password="pw")) == 1


def test_rotated_and_offset_pages_report_user_space() -> None:
    data = pdfgen.geometry_pdf(pdfgen.A4, rotate=90, crop_mm=(5, 5, 5, 5), origin_pt=(100, 50))
    (hit,) = find_text(data, "旋转90")
    # the label is centred on the MediaBox in user space, whatever the rotation and crop
    assert hit.bbox.centre[0] > 100 + 105 * pdfgen.MM - 5
    assert 50 + 148.5 * pdfgen.MM - 6 < hit.bbox.centre[1] < 50 + 148.5 * pdfgen.MM + 6


def test_last_occurrence_search_is_lazy(long200: bytes) -> None:
    index = TextIndex(long200)
    hit = index.last("蒲县克城镇人民政府")
    assert hit is not None and hit.page_index == 199
    assert len(index._cache) == 1  # only the last page was parsed


def _digest(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def test_findings_are_kept_for_the_same_bytes_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from esign.stamp import textpos
    from esign.stamp.freespace import page_obstacles
    from esign.stamp.textpos import PdfiumPages

    data = pdfgen.decision_pdf(number="克政审受字〔2025〕第701号")
    first = PdfiumPages(data, digest=_digest(data))
    hit = TextIndex(first).last("（盖章）")
    boxes = page_obstacles(first, 0)
    first.close()
    assert hit is not None and boxes

    def no_pdfium(*_a: object, **_k: object) -> None:
        raise AssertionError("PDFium was asked again")

    with monkeypatch.context() as m:  # the same bytes again: found without PDFium
        m.setattr(textpos.pdfium, "PdfDocument", no_pdfium)
        again = PdfiumPages(data, digest=_digest(data))
        assert TextIndex(again).last("（盖章）") == hit and page_obstacles(again, 0) == boxes
        again.close()

    # other bytes (the keyword on another line) are searched afresh, whatever was kept before
    moved = pdfgen.build_pdf([pdfgen.Page(texts=pdfgen.decision_texts(number="第701号")[:3])], seed="moved")
    moved_pages = PdfiumPages(moved, digest=_digest(moved))
    assert TextIndex(moved_pages).last("（盖章）") is None
    moved_pages.close()


def test_findings_are_kept_per_password() -> None:
    from esign.errors import InputError
    from esign.stamp.textpos import PdfiumPages

    data = pdfgen.build_pdf([pdfgen.Page(texts=pdfgen.decision_texts())], user_password="pw", seed="kept-pw")
    opened = PdfiumPages(data, password="pw", digest=_digest(data))
    assert TextIndex(opened).last("（盖章）") is not None
    opened.close()
    with pytest.raises(InputError):  # a wrong password is not served what the right one found
        PdfiumPages(data, password="wrong", digest=_digest(data))
