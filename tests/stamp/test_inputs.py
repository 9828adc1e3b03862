"""esign.stamp.inputs: what inspect_pdf reports, and every refusal with its code."""

from __future__ import annotations

import pytest

from esign.errors import InputError, TooLargeError
from esign.stamp.inputs import MAX_PAGES, inspect_pdf, require_stampable
from tests import pdfgen

MB = 1 << 20


def _code(data: bytes, **kw: object) -> str:
    with pytest.raises(InputError) as info:
        inspect_pdf(data, max_bytes=kw.pop("max_bytes", 50 * MB), **kw)  # type: ignore[arg-type]
    err = info.value
    assert err.message_zh and err.message_en
    return err.code


def test_decision_basics(decision: bytes) -> None:
    info = inspect_pdf(decision, max_bytes=MB)
    assert info.page_count == 1
    page = info.pages[0]
    assert (round(page.width_mm, 3), round(page.height_mm, 3)) == (210.0, 297.0)
    assert page.rotate == 0 and page.crop_box == page.media_box
    assert not info.encrypted and info.signatures == () and info.empty_signature_fields == ()
    assert info.pdfa is None and not info.xref_stream and not info.object_streams
    assert info.producer == "esign tests/pdfgen"
    assert info.revisions == 1 and info.version == "1.7"
    assert info.size_bytes == len(decision)
    assert not info.form_drawn_by_viewer
    require_stampable(info)


@pytest.mark.parametrize(
    ("size", "rotate", "crop", "expected_mm"),
    [
        (pdfgen.A4, 0, None, (210, 297)),
        (pdfgen.A3, 0, None, (297, 420)),
        (pdfgen.LETTER, 0, None, (215.9, 279.4)),
        (pdfgen.A4, 90, None, (297, 210)),
        (pdfgen.A4, 180, None, (210, 297)),
        (pdfgen.A4, 270, None, (297, 210)),
        (pdfgen.A4, 0, (10, 20, 30, 40), (170, 237)),
        (pdfgen.A4, 90, (10, 20, 30, 40), (237, 170)),
    ],
)
def test_page_geometry(size: tuple[float, float], rotate: int, crop: tuple | None, expected_mm: tuple) -> None:
    info = inspect_pdf(pdfgen.geometry_pdf(size, rotate=rotate, crop_mm=crop, origin_pt=(30, 40)), max_bytes=MB)
    page = info.pages[0]
    assert page.rotate == rotate
    assert page.width_mm == pytest.approx(expected_mm[0], abs=1e-3)
    assert page.height_mm == pytest.approx(expected_mm[1], abs=1e-3)
    assert page.media_box.x0 == pytest.approx(30) and page.media_box.y0 == pytest.approx(40)


def test_inherited_attributes_and_odd_rotation() -> None:
    data = pdfgen.raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 /MediaBox [0 0 842 595] /Rotate -90 >>",
            b"<< /Type /Page /Parent 2 0 R >>",
            b"<< /Type /Page /Parent 2 0 R /Rotate 45 /CropBox [-100 -100 5000 300] >>",
        ]
    )
    info = inspect_pdf(data, max_bytes=MB)
    assert [p.rotate for p in info.pages] == [270, 0]  # -90 normalised; 45 ignored as viewers do
    assert info.pages[0].media_box.x1 == 842
    assert info.pages[1].crop_box.as_tuple() == (0, 0, 842, 300)  # clipped to the MediaBox


def test_object_streams_and_xref_streams() -> None:
    info = inspect_pdf(pdfgen.long_pdf(3, object_streams=True), max_bytes=MB)
    assert info.xref_stream and info.object_streams and info.page_count == 3


def test_pdfa_claim_and_producer() -> None:
    data = pdfgen.build_pdf([pdfgen.Page()], pdfa=(2, "b"), producer="LibreOffice 7.4")
    info = inspect_pdf(data, max_bytes=MB)
    assert info.pdfa == "2B"
    assert info.producer == "LibreOffice 7.4"


def test_signature_fields_empty_and_signed() -> None:
    data = pdfgen.build_pdf(
        [pdfgen.Page(texts=pdfgen.decision_texts()), pdfgen.Page()],
        sig_fields=[pdfgen.SigField("Seal", 0, (130, 180, 45, 45)), pdfgen.SigField("Other", 1, (20, 20, 40, 20))],
    )
    info = inspect_pdf(data, max_bytes=MB)
    fields = {f.name: f for f in info.empty_signature_fields}
    assert set(fields) == {"Seal", "Other"} and info.signatures == ()
    seal = fields["Seal"]
    assert seal.page_index == 0 and fields["Other"].page_index == 1
    assert seal.rect is not None
    assert seal.rect.width == pytest.approx(45 * pdfgen.MM, abs=0.01)
    assert seal.rect.y1 == pytest.approx((297 - 180) * pdfgen.MM, abs=0.01)

    signed = inspect_pdf(pdfgen.sign_for_test(data, "Seal"), max_bytes=MB)
    assert signed.signatures == ("Seal",)
    assert [f.name for f in signed.empty_signature_fields] == ["Other"]
    assert signed.revisions == 2


def _form_pdf(fields: list[bytes], *, need_appearances: bytes | None = b"true") -> bytes:
    """A one-page PDF with an AcroForm and its /NeedAppearances (None: absent). ``fields`` are object
    bodies, numbered from 4 on; those starting with ``%top`` are listed in /Fields, those that are
    widgets in the page's /Annots."""
    refs = [b"%d 0 R" % (4 + i) for i in range(len(fields))]
    top = b" ".join(r for r, f in zip(refs, fields, strict=True) if f.startswith(b"%top"))
    widgets = b" ".join(r for r, f in zip(refs, fields, strict=True) if b"/Widget" in f)
    need = b"" if need_appearances is None else b" /NeedAppearances " + need_appearances
    return pdfgen.raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [" + top + b"]" + need + b" >> >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [" + widgets + b"] >>",
            *(f.removeprefix(b"%top") for f in fields),
        ]
    )


_WIDGET = b" /Type /Annot /Subtype /Widget /P 3 0 R /Rect [100 100 200 120] /F 4"


def _field(body: bytes, *, top: bool = True, widget: bool = True) -> bytes:
    return (b"%top" if top else b"") + b"<< " + body + (_WIDGET if widget else b"") + b" >>"


@pytest.mark.parametrize(
    ("fields", "need", "drawn"),
    [
        ([_field(b"/FT /Tx /T (applicant) /V <FEFF738B5EFA56FD>")], b"true", True),
        ([_field(b"/FT /Tx /T (applicant) /V (13903571234)")], b"true", True),
        ([_field(b"/FT /Btn /T (agree) /V /Yes /AS /Yes")], b"true", True),
        ([_field(b"/FT /Ch /T (town) /V (Kecheng)")], b"true", True),
        # blank: no value, an empty string, an unchecked box
        ([_field(b"/FT /Tx /T (applicant)")], b"true", False),
        ([_field(b"/FT /Tx /T (applicant) /V ()")], b"true", False),
        ([_field(b"/FT /Btn /T (agree) /V /Off /AS /Off")], b"true", False),
        # filled, but the fields draw themselves: no /NeedAppearances, or false
        ([_field(b"/FT /Tx /T (applicant) /V (x)")], None, False),
        ([_field(b"/FT /Tx /T (applicant) /V (x)")], b"false", False),
        # a signature's value is no form content; an empty text field beside it changes nothing
        ([_field(b"/FT /Sig /T (Seal) /V << /Type /Sig >>"), _field(b"/FT /Tx /T (note) /V ()")], b"true", False),
        # a terminal field under a non-terminal one (field type inherited), and a radio group whose
        # widgets are kids without /T
        (
            [
                _field(b"/T (form) /FT /Tx /Kids [5 0 R]", widget=False),
                _field(b"/Parent 4 0 R /T (a) /V (x)", top=False),
            ],
            b"true",
            True,
        ),
        # the value inherited from the parent field, as ISO 32000 allows
        (
            [
                _field(b"/T (form) /FT /Tx /V (x) /Kids [5 0 R]", widget=False),
                _field(b"/Parent 4 0 R /T (a)", top=False),
            ],
            b"true",
            True,
        ),
        (
            [
                _field(b"/FT /Btn /Ff 49152 /T (mode) /V /post /Kids [5 0 R]", widget=False),
                _field(b"/Parent 4 0 R /AS /post", top=False),
            ],
            b"true",
            True,
        ),
    ],
)
def test_form_values_only_the_viewer_draws(fields: list[bytes], need: bytes | None, drawn: bool) -> None:
    info = inspect_pdf(_form_pdf(fields, need_appearances=need), max_bytes=MB)
    assert info.form_drawn_by_viewer is drawn
    if not drawn:
        require_stampable(info)
        return
    with pytest.raises(InputError) as err:
        require_stampable(info)
    assert err.value.code == "pdf_form_needs_appearances"
    assert "创建 PDF 表单" in err.value.message_zh and "create PDF form" in err.value.message_en


def test_encrypted_with_password() -> None:
    data = pdfgen.build_pdf([pdfgen.Page(texts=pdfgen.decision_texts())], user_password="克城2025")
    assert _code(data) == "pdf_encrypted"
    assert _code(data, password="wrong") == "pdf_wrong_password"
    info = inspect_pdf(data, password="克城2025", max_bytes=MB)
    assert info.encrypted and info.page_count == 1


def test_owner_password_only_opens_without_asking() -> None:
    data = pdfgen.build_pdf([pdfgen.Page()], owner_password="owner-only")
    info = inspect_pdf(data, max_bytes=MB)
    assert info.encrypted


def test_empty_input() -> None:
    assert _code(b"") == "empty_input"


def test_not_pdf() -> None:
    assert _code(b"PK\x03\x04 this is a zip, not a PDF" * 10) == "not_pdf"
    assert _code("受理通知书".encode()) == "not_pdf"


def test_too_large(decision: bytes) -> None:
    with pytest.raises(TooLargeError) as info:
        inspect_pdf(decision, max_bytes=len(decision) - 1)
    assert info.value.code == "too_large" and info.value.http_status == 413
    inspect_pdf(decision, max_bytes=len(decision))  # the limit itself is allowed


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.9, 0.999])
def test_truncated(decision: bytes, cut: float) -> None:
    assert _code(decision[: int(len(decision) * cut)]) == "pdf_malformed"


def test_garbage_after_header() -> None:
    assert _code(b"%PDF-1.7\n" + bytes(range(256)) * 40) == "pdf_malformed"


def test_zero_pages() -> None:
    data = pdfgen.raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"])
    assert _code(data) == "pdf_no_pages"


def test_page_tree_cycle_is_refused() -> None:
    data = pdfgen.raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>"])
    assert _code(data) == "pdf_malformed"


def test_deeply_nested_array_is_bounded() -> None:
    # 200 000 levels: a recursive parser would overflow the stack; we must answer with a code.
    assert _code(pdfgen.nested_array_pdf(200_000)) == "too_complex"
    # modest nesting is fine
    assert inspect_pdf(pdfgen.nested_array_pdf(20), max_bytes=MB).page_count == 1


def test_deep_page_tree_is_bounded() -> None:
    depth = 500
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    for i in range(depth):
        objs.append(b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % (i + 3))
    objs.append(b"<< /Type /Page /MediaBox [0 0 595 842] >>")
    assert _code(pdfgen.raw_pdf(objs)) == "too_complex"


def test_huge_page_count_is_bounded() -> None:
    kids = b" ".join(b"3 0 R" for _ in range(MAX_PAGES + 1))
    data = pdfgen.raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + kids + b"] /Count 999999999 >>",
            b"<< /Type /Page /MediaBox [0 0 595 842] >>",
        ]
    )
    assert _code(data) in {"too_complex", "pdf_malformed"}


def test_page_lookup(long20: bytes) -> None:
    info = inspect_pdf(long20, max_bytes=10 * MB)
    assert info.page_index(1) == 0 and info.page_index(-1) == 19 and info.page_index(20) == 19
    for bad in (0, 21, -21):
        with pytest.raises(InputError) as err:
            info.page_index(bad)
        assert err.value.code == "page_out_of_range"


def test_describe_releases_each_page_and_records_where_it_is(long20: bytes) -> None:
    from pyhanko.pdf_utils import generic

    from esign.stamp.inputs import describe, open_reader

    reader = open_reader(long20, max_bytes=10 * MB)
    info = describe(reader)
    ids = [p.object_id for p in info.pages]
    assert None not in ids and len(set(ids)) == 20
    cached = {(idnum, gen) for gen, idnum in reader.resolved_objects}
    assert not cached & set(ids), "page objects stay parsed: memory would grow with the page count"
    last = reader.get_object(generic.Reference(*ids[-1]))  # type: ignore[misc]
    assert last["/Type"] == "/Page"
