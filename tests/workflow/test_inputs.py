"""Documents from the real world: scans, object streams, PDF/A, forms, existing signatures, rotated
and cropped pages. Every stamp is accepted by pdfsig, and earlier signatures stay valid."""

from __future__ import annotations

import subprocess

import pytest
from PIL import Image

from esign.hosts import BlobStore
from esign.stamp import placement_from_dict
from esign.workflow.requests import StampRequestSpec, stamp_directly
from tests import pdfgen
from tests.stamp._render import red_centroid, render

from .conftest import now, pdfsig

CLERK, APPROVER = "克城镇窗口", "克城镇批准人"
BOTTOM_RIGHT = {"mode": "position", "page": -1, "x_mm": 140, "y_mm": 230}


def _stamp(county, data: bytes, placement: dict) -> bytes:
    spec = StampRequestSpec(
        seal="克城镇", item="1", reason="受理", title="测试文书", placement=placement_from_dict(placement)
    )
    outcome = stamp_directly(county.dep, county.engine, data, spec, user=CLERK, approver=APPROVER, at=now())
    return BlobStore(county.home / "documents").get(outcome.output_sha256)


def _field_pdf() -> bytes:
    page = pdfgen.Page(texts=(pdfgen.Text(20, 30, "蒲县克城镇人民政府"),))
    return pdfgen.build_pdf([page], sig_fields=[pdfgen.SigField("Seal", 0, (120, 200, 50, 50))])


VARIANTS = {
    "scan": (lambda: pdfgen.scanned_pdf(), BOTTOM_RIGHT),
    "object_streams": (
        lambda: pdfgen.build_pdf([pdfgen.Page(texts=pdfgen.decision_texts())], object_streams=True),
        {"mode": "keyword"},
    ),
    "pdfa": (
        lambda: pdfgen.build_pdf([pdfgen.Page(texts=pdfgen.decision_texts())], pdfa=(2, "B")),
        {"mode": "keyword"},
    ),
    "form_field": (_field_pdf, {"mode": "field", "name": "Seal"}),
    "a3_letter_mix": (
        lambda: pdfgen.build_pdf([pdfgen.Page(*pdfgen.A3), pdfgen.Page(*pdfgen.LETTER, texts=pdfgen.decision_texts())]),
        {"mode": "keyword"},
    ),
}


@pytest.mark.parametrize("name", list(VARIANTS))
def test_real_world_inputs_stamp_and_validate(county, name, tmp_path):
    make, placement = VARIANTS[name]
    out = _stamp(county, make(), placement)
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(out)
    report = pdfsig(county, path)
    assert "Signature is Valid." in report and "Certificate is Trusted." in report, report
    assert "Not total document signed" in report  # B-LT: the DSS follows the signature


def test_existing_signature_stays_valid(county, tmp_path):
    signed = pdfgen.sign_for_test(pdfgen.decision_pdf(), field_name="Applicant")
    out = _stamp(county, signed, {"mode": "keyword"})
    path = tmp_path / "two.pdf"
    path.write_bytes(out)
    report = pdfsig(county, path)
    first, second = report.split("Signature #2")
    assert "Signature is Valid." in first, "the applicant's earlier signature must not break"
    assert "Signature is Valid." in second and "Certificate is Trusted." in second
    assert "Not total document signed" in second


def _red_and_dark(png) -> tuple[tuple[float, float], tuple[float, float]]:
    img = Image.open(png).convert("RGB")
    w, _h = img.size
    red, dark = [], []
    for i, (r, g, b) in enumerate(img.get_flattened_data()):
        x, y = i % w, i // w
        if r > 180 and g < 90 and b < 90:
            red.append((x, y))
        elif r < 60 and g < 60 and b < 60:
            dark.append((x, y))

    def centre(points):
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2

    return centre(red), centre(dark)


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_rotated_pages_show_the_seal_upright_where_asked(county, rotate, tmp_path):
    data = pdfgen.build_pdf([pdfgen.Page(rotate=rotate)])  # a blank page: only the seal is red, only the QR dark
    out = _stamp(county, data, {"mode": "position", "page": 1, "x_mm": 70, "y_mm": 80})
    path = tmp_path / "rot.pdf"
    path.write_bytes(out)
    subprocess.run(["pdftoppm", "-r", "100", "-png", "-singlefile", str(path), str(tmp_path / "r")], check=True)
    (sx, sy), (qx, qy) = _red_and_dark(tmp_path / "r.png")
    px_per_mm = 100 / 25.4
    assert abs(sx / px_per_mm - 70) < 1 and abs(sy / px_per_mm - 80) < 1, (rotate, sx / px_per_mm, sy / px_per_mm)
    # upright: the QR code stands to the right of the seal, level with it, on the page as shown
    assert qx > sx + 20 * px_per_mm and abs(qy - sy) < 5 * px_per_mm, (rotate, (sx, sy), (qx, qy))


def _nested_tree_pdf() -> bytes:
    """Three pages in a two-level page tree; the font resource is inherited from the root node."""
    contents = [b"BT /F1 24 Tf 100 700 Td (Page %d) Tj ET" % n for n in (1, 2, 3)]
    streams = [b"<< /Length %d >>\nstream\n%s\nendstream" % (len(c), c) for c in contents]
    return pdfgen.raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R 6 0 R] /Count 3 /MediaBox [0 0 595 842]"
            b" /Resources << /Font << /F1 7 0 R >> >> >>",
            b"<< /Type /Pages /Parent 2 0 R /Kids [4 0 R 5 0 R] /Count 2 >>",
            b"<< /Type /Page /Parent 3 0 R /Contents 8 0 R >>",
            b"<< /Type /Page /Parent 3 0 R /Contents 9 0 R >>",
            b"<< /Type /Page /Parent 2 0 R /Contents 10 0 R >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            *streams,
        ]
    )


def test_nested_page_tree_with_inherited_resources(county, tmp_path):
    # the seal goes on page 2 (inside the inner node), a repeat on page 3: pages are found by
    # object number, and the inherited font still draws each page's own text afterwards
    placement = {"mode": "position", "page": 2, "x_mm": 100, "y_mm": 150, "also_on_pages": [3]}
    out = _stamp(county, _nested_tree_pdf(), placement)
    path = tmp_path / "nested.pdf"
    path.write_bytes(out)
    assert "Signature is Valid." in pdfsig(county, path)
    for page in (1, 2, 3):
        text = subprocess.run(
            ["pdftotext", "-f", str(page), "-l", str(page), str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert f"Page {page}" in text
    has_red = [red_centroid(render(out, dpi=40, page=page)) is not None for page in (1, 2, 3)]
    assert has_red == [False, True, True]
