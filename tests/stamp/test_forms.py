"""Artwork as nested form XObjects: the same pixels as the drawing's own inline content, each drawing
written once per document, the compressed content reused only for the very same drawing."""

from __future__ import annotations

import io
import shutil
import zlib

import pytest
from PIL import ImageChops
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

from esign.appearance import SealSpec, qr_artwork, seal_artwork, seal_with_qr_at
from esign.appearance.artwork import Artwork
from esign.appearance.drawing import pdf_content
from esign.stamp import forms
from esign.stamp.forms import FormMaker, art_matrix
from tests import pdfgen
from tests.stamp._render import render

SPEC = SealSpec(name="蒲县克城镇人民政府", title="行政审批服务专用章", code="141033103001")


def _page_with(draw: list[tuple[bytes, generic.DictionaryObject]]) -> bytes:
    """A blank A4 page with each (operators, resources) appended as page content."""
    base = pdfgen.build_pdf([pdfgen.Page()])
    writer = IncrementalPdfFileWriter(io.BytesIO(base))
    for ops, resources in draw:
        writer.add_stream_to_page(0, writer.add_object(generic.StreamObject(stream_data=ops)), resources=resources)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _inline(art: Artwork, rotate: int, x: float, y: float) -> bytes:
    """The artwork the way it was drawn before forms nested: its whole content in one form."""
    base = pdfgen.build_pdf([pdfgen.Page()])
    writer = IncrementalPdfFileWriter(io.BytesIO(base))
    m, bw, bh, _ = art_matrix(art, rotate)
    stream = generic.StreamObject(
        {
            pdf_name("/Type"): pdf_name("/XObject"),
            pdf_name("/Subtype"): pdf_name("/Form"),
            pdf_name("/BBox"): generic.ArrayObject([generic.FloatObject(v) for v in (0, 0, bw, bh)]),
        },
        stream_data=b"q %g %g %g %g %g %g cm " % m + art.content + b" Q",
    )
    ref = writer.add_object(stream)
    ops = b"q 1 0 0 1 %g %g cm /A Do Q" % (x, y)
    res = generic.DictionaryObject({pdf_name("/XObject"): generic.DictionaryObject({pdf_name("/A"): ref})})
    writer.add_stream_to_page(0, writer.add_object(generic.StreamObject(stream_data=ops)), resources=res)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _nested(art: Artwork, rotate: int, x: float, y: float) -> bytes:
    base = pdfgen.build_pdf([pdfgen.Page()])
    writer = IncrementalPdfFileWriter(io.BytesIO(base))
    stream, _bw, _bh, _ = FormMaker(writer).art(art, rotate)
    ref = writer.add_object(stream)
    ops = b"q 1 0 0 1 %g %g cm /A Do Q" % (x, y)
    res = generic.DictionaryObject({pdf_name("/XObject"): generic.DictionaryObject({pdf_name("/A"): ref})})
    writer.add_stream_to_page(0, writer.add_object(generic.StreamObject(stream_data=ops)), resources=res)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils")
@pytest.mark.parametrize("rotate", [0, 90, 270])
def test_nested_forms_paint_what_the_inline_content_paints(rotate: int) -> None:
    seal = seal_artwork(SPEC)
    qr = qr_artwork("https://esign.puxian.example/v/AbCdEfGhIjKlMnOpQrStUv")
    for art in (seal_with_qr_at(seal, qr, seal.width + 8.5, -12.25), seal_with_qr_at(seal, qr, -80.0, 30.0), seal):
        a = render(_inline(art, rotate, 150.5, 300.25), dpi=100)
        b = render(_nested(art, rotate, 150.5, 300.25), dpi=100)
        assert ImageChops.difference(a, b).getbbox() is None
        assert ImageChops.difference(a, render(_page_with([]), dpi=100)).getbbox() is not None  # something drawn


def test_a_drawing_is_written_once_per_document() -> None:
    seal = seal_artwork(SPEC)
    base = pdfgen.build_pdf([pdfgen.Page(), pdfgen.Page(), pdfgen.Page()])
    writer = IncrementalPdfFileWriter(io.BytesIO(base))
    maker = FormMaker(writer)
    qr = qr_artwork("https://esign.puxian.example/v/x")
    outers = [maker.art(a, r)[0] for a, r in ((seal, 0), (seal, 90), (seal_with_qr_at(seal, qr, 120, 0), 0))]
    inner = [o["/Resources"]["/XObject"] for o in outers]
    seal_refs = {d.raw_get("/P0").idnum for d in inner}
    assert len(seal_refs) == 1  # the seal's form, shared by all three
    assert inner[2].raw_get("/P1").idnum not in seal_refs  # the QR code is a form of its own
    out = io.BytesIO()
    writer.write(out)
    reader = PdfFileReader(io.BytesIO(out.getvalue()))
    seal_form = reader.get_object(generic.Reference(next(iter(seal_refs)), 0))
    assert seal_form.data == pdf_content(seal.drawing)
    assert [float(v) for v in seal_form["/BBox"]] == pytest.approx([0, 0, seal.width, seal.height])


def test_compressed_content_is_reused_only_for_the_same_drawing() -> None:
    a = qr_artwork("https://esign.puxian.example/v/first")
    b = qr_artwork("https://esign.puxian.example/v/second")
    ea, eb = forms._encoded(a.drawing), forms._encoded(b.drawing)
    assert zlib.decompress(ea) == pdf_content(a.drawing) and zlib.decompress(eb) == pdf_content(b.drawing)
    assert ea != eb
    same_again = qr_artwork("https://esign.puxian.example/v/first")  # equal, but another object
    assert zlib.decompress(forms._encoded(same_again.drawing)) == pdf_content(a.drawing)


def test_a_drawing_in_every_stamp_stays_compressed_while_each_stamp_brings_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The seal is shown by every stamp and each stamp has a QR code of its own: the QR codes passing through
    (more of them than the cache holds) do not push the seal out, and the oldest QR codes go first."""
    seal = seal_artwork(SPEC)
    compressed: list[bytes] = []
    compress = zlib.compress
    monkeypatch.setattr(forms.zlib, "compress", lambda data, *a: (compressed.append(data), compress(data, *a))[1])
    forms._encoded(seal.drawing)
    qrs = [qr_artwork(f"https://esign.puxian.example/v/{n}") for n in range(3 * forms._MAX_ENCODED)]
    for qr in qrs:
        assert zlib.decompress(forms._encoded(seal.drawing)) == pdf_content(seal.drawing)
        assert zlib.decompress(forms._encoded(qr.drawing)) == pdf_content(qr.drawing)
    seal_content = pdf_content(seal.drawing)
    assert compressed.count(seal_content) <= 1 and len(forms._ENCODED) <= forms._MAX_ENCODED
    compressed.clear()
    forms._encoded(qrs[0].drawing)  # long gone
    forms._encoded(qrs[-1].drawing)  # still there
    assert compressed == [pdf_content(qrs[0].drawing)]
