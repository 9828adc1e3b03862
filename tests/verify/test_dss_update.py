"""esign.verify.dss_update: where the first-DSS shortcut applies it agrees with pyHanko's difference analysis, and
an update that only looks like validation data to esign's own analysis but changes what a viewer shows is left to
pyHanko (who refuses it)."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, DiffResult, ModificationLevel

from esign.verify import ChangeCategory, Indication, verify_pdf
from esign.verify.changes import classify_revision
from esign.verify.dss_update import _naming, adds_first_dss_only
from esign.verify.structure import layout_of
from tests.verify.factory import Level
from tests.verify.scenarios import LATER, STAMPED, _by_hand, _county

XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></x:xmpmeta><?xpacket end="w"?>'
)
FORGED = b"BT /F1 36 Tf 72 500 Td (FORGED: REJECTED) Tj ET"
META = b"/Type /Metadata /Subtype /XML "


def _stream(content: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(content), extra) + content + b"\nendstream"


def _pdf(bodies: dict[int, bytes], size: int) -> bytes:
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for n in sorted(bodies):
        offsets[n] = len(out)
        out += b"%d 0 obj\n" % n + bodies[n] + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for n in range(1, size):
        out += b"%010d 00000 n \n" % offsets[n] if n in offsets else b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    return bytes(out)


def _page(
    contents: bytes, catalog_extra: bytes = b"", more: dict[int, bytes] | None = None, resources: bytes = b""
) -> bytes:
    bodies = {
        1: b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
        2: b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        4: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> "
        + resources
        + b">> /Contents "
        + contents
        + b" >>",
        5: _stream(b"BT /F1 14 Tf 72 770 Td (Decision: APPROVED) Tj ET"),
        **(more or {}),
    }
    return _pdf(bodies, max(bodies) + 1)


def _update(pdf: bytes, objects: dict[int, bytes], dss: int, *, dss_extra: bytes = b"") -> bytes:
    """Append by hand an update that adds ``/DSS dss 0 R`` to the catalog and writes ``objects``."""
    reader = PdfFileReader(BytesIO(pdf))
    root = reader.trailer_view.raw_get("/Root").reference
    catalog = generic.DictionaryObject(reader.root)
    catalog["/DSS"] = generic.IndirectObject(dss, 0, reader)
    buf = BytesIO()
    catalog.write_to_stream(buf)
    objects = {root.idnum: buf.getvalue(), **objects}
    objects.setdefault(
        dss,
        b"<< /Type /DSS /Certs [%s] " % b" ".join(b"%d 0 R" % n for n in objects if n not in (root.idnum, dss))
        + dss_extra
        + b">>",
    )
    prev = int(re.findall(rb"startxref\s+(\d+)", pdf)[-1])
    out = bytearray(pdf)
    offsets = {}
    for n in sorted(objects):
        offsets[n] = len(out)
        out += b"%d 0 obj\n" % n + objects[n] + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n"
    for n in sorted(offsets):
        out += b"%d 1\n%010d 00000 n \n" % (n, offsets[n])
    size = max(max(objects) + 1, int(reader.trailer_view["/Size"]))
    out += b"trailer\n<< /Size %d /Root %d 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (size, root.idnum, prev, xref)
    return bytes(out)


def _sign(pdf: bytes) -> bytes:
    county = _county()
    return county.sign(pdf, county.issue_seal(), at=STAMPED, level=Level.B_T)


def _verify(pdf: bytes):
    county = _county()
    return verify_pdf(pdf, trust_roots=[county.root], at=LATER, crls=[county.crl(LATER)])


def _shortcut(pdf: bytes, revision: int) -> bool:
    reader = PdfFileReader(BytesIO(pdf))
    return adds_first_dss_only(pdf, reader, layout_of(pdf, reader), revision)


def _own_analysis_sees_only_a_dss(pdf: bytes, revision: int) -> bool:
    return classify_revision(PdfFileReader(BytesIO(pdf)), revision).validation_data_only


@pytest.mark.parametrize("how", ["pyhanko_lt", "dss_added_later", "own_update", "metadata_refreshed"])
def test_applies_and_agrees_with_pyhanko(how: str) -> None:
    county = _county()
    if how == "pyhanko_lt":
        pdf = county.sign(_page(b"5 0 R"), county.issue_seal(), at=STAMPED, level=Level.B_LT)
    elif how == "dss_added_later":
        pdf = _by_hand(county, county.issue_seal(), Level.B_LT)
    elif how == "own_update":
        pdf = _update(_sign(_page(b"5 0 R")), {90: _stream(b"not really a certificate")}, 91)
    else:  # the XMP rewritten in place beside the DSS, as pyHanko's writer does
        meta = {6: _stream(XMP, b"/Type /Metadata /Subtype /XML ")}
        signed = _sign(_page(b"5 0 R", b"/Metadata 6 0 R ", meta))
        pdf = _update(signed, {6: _stream(XMP.replace(b"/></x", b"/><!-- v2 --></x"), META), 90: _stream(b"c")}, 91)
    reader = PdfFileReader(BytesIO(pdf))
    last = reader.xrefs.total_revisions - 1
    assert _shortcut(pdf, last)
    result = DEFAULT_DIFF_POLICY.review_file(reader, last - 1)
    assert isinstance(result, DiffResult) and result.modification_level is ModificationLevel.LTA_UPDATES
    sig = _verify(pdf).signatures[0]
    assert sig.changes.category is ChangeCategory.SIGNATURES_AND_VALIDATION_DATA
    assert sig.changes.diff_level == "LTA_UPDATES"


def _refused(pdf: bytes) -> None:
    last = PdfFileReader(BytesIO(pdf)).xrefs.total_revisions - 1
    assert not _shortcut(pdf, last)
    report = _verify(pdf)
    assert report.indication is Indication.TOTAL_FAILED, report.signatures[0].changes
    assert report.signatures[0].changes.category is ChangeCategory.OTHER
    assert report.signatures[0].changes.diff_level not in (None, "LTA_UPDATES")


def test_dangling_reference_revived_by_a_dss() -> None:
    """The signed page already names object 99, which does not exist (viewers skip it); a later "DSS" supplies
    it as a certificate stream that is page content. esign's own analysis sees only a DSS."""
    signed = _sign(_page(b"[5 0 R 99 0 R]"))
    forged = _update(signed, {99: _stream(FORGED)}, 100)
    assert _own_analysis_sees_only_a_dss(forged, 2)
    _refused(forged)


def test_dangling_reference_with_leading_zeros() -> None:
    signed = _sign(_page(b"[5 0 R 00099 0 R]"))
    forged = _update(signed, {99: _stream(FORGED)}, 100)
    _refused(forged)


def test_metadata_that_is_also_page_content() -> None:
    """The catalog's XMP stream is also the page's second content stream; the update rewrites it (still
    well-formed XMP) and adds a DSS."""
    signed = _sign(_page(b"[5 0 R 6 0 R]", b"/Metadata 6 0 R ", {6: _stream(XMP, META)}))
    xmp = XMP.replace(b"/></x:xmpmeta>", b"/><!-- " + FORGED + b" --></x:xmpmeta>")
    forged = _update(signed, {6: _stream(xmp, META), 90: _stream(b"cert")}, 91)
    assert _own_analysis_sees_only_a_dss(forged, 2)
    _refused(forged)


def test_dss_with_a_foreign_key_is_left_to_pyhanko() -> None:
    forged = _update(_sign(_page(b"5 0 R")), {90: _stream(b"cert"), 92: _stream(FORGED)}, 91, dss_extra=b"/Foo 92 0 R ")
    assert not _shortcut(forged, 2)
    assert _verify(forged).signatures[0].changes.diff_level == "SUSPICIOUS"


def _relisted(pdf: bytes, moves: dict[int, int]) -> bytes:
    """The last cross-reference table rewritten (one entry per subsection) with each entry ``n`` of ``moves``
    pointing where the entry of ``moves[n]`` points; the bodies are left as they are."""
    reader = PdfFileReader(BytesIO(pdf))
    last = reader.xrefs.total_revisions - 1
    start = reader.xrefs.get_xref_container_info(last).declared_startxref
    entries = dict(reader.xrefs.get_xref_data(last).standard_xrefs)
    for n, m in moves.items():
        entries[n] = (entries[n][0], entries[m][1])
    table = bytearray(b"xref\n0 1\n0000000000 65535 f \n")
    for n in sorted(entries):
        table += b"%d 1\n%010d %05d n \n" % (n, entries[n][1], entries[n][0])
    return pdf[:start] + bytes(table) + pdf[pdf.index(b"trailer", start) :]


def test_two_entries_at_one_place_in_the_update() -> None:
    """A real B-LT stamp whose DSS update lists its second certificate where its first one is: the proof refuses
    it (its own read of the certificate finds another object's header) and so does pyHanko."""
    county = _county()
    stamped = county.sign(_page(b"5 0 R"), county.issue_seal(), at=STAMPED, level=Level.B_LT)
    certs = PdfFileReader(BytesIO(stamped)).root["/DSS"].raw_get("/Certs")
    first, second = (certs.raw_get(i).reference.idnum for i in (0, 1))
    forged = _relisted(stamped, {second: first})
    assert forged != stamped
    _refused(forged)


def test_two_entries_at_one_place_in_the_signed_revision() -> None:
    """The document handed in for stamping lists its second content stream (6) where the first one (5) is. No
    reader of the proof reads 6, so only the check that no two entries share a place keeps the proof from vouching
    for a file pyHanko cannot read (6 has 5's header; a reader that skips the header check takes 5 for 6). Left
    to pyHanko, refused."""
    county = _county()
    original = _relisted(_page(b"[5 0 R 6 0 R]", more={6: _stream(b"BT ET")}), {6: 5})
    stamped = county.sign(original, county.issue_seal(), at=STAMPED, level=Level.B_LT)
    _refused(stamped)


IMAGE = b"/Type /XObject /Subtype /Image /Width 200 /Height 200 /BitsPerComponent 8 /ColorSpace /DeviceGray "
PIXELS = (b"\x00\xff 99 0 R \n" * 4000)[:40000]  # a large stream whose data happens to spell a reference


def test_large_stream_data_is_skipped() -> None:
    signed = _sign(_page(b"5 0 R", more={7: _stream(PIXELS, IMAGE)}, resources=b"/XObject << /Im1 7 0 R >> "))
    assert _shortcut(_update(signed, {99: _stream(b"cert")}, 100), 2)


def test_large_stream_dictionary_is_read_past_a_string_spelling_stream() -> None:
    """The image's dictionary names the missing object 99 after a string that spells ">>stream": the dictionary
    ends at the real keyword, so the reference is seen."""
    image = _stream(PIXELS, IMAGE + b"/Note (>>stream\n) /SMask 99 0 R ")
    signed = _sign(_page(b"5 0 R", more={7: image}, resources=b"/XObject << /Im1 7 0 R >> "))
    forged = _update(signed, {99: _stream(b"\x00" * 40000, IMAGE)}, 100)
    assert _own_analysis_sees_only_a_dss(forged, 2)
    _refused(forged)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (b"/A 99 0 R", [99]),
        (b"/A 0099 0 R>>", [99]),
        (b"[99\n0\r\nR 7 0 R]", [99]),
        (b"/A +99 0 R", [99]),
        (b"/A 199 0 R /B 99 1 R", [99]),
        (b"/A 991 0 R /B 99 0 obj 9 0 R", []),
        (b"(99 0 R)", [99]),  # inside a string: counted all the same (the check only asks that nothing names it)
    ],
)
def test_naming(text: bytes, found: list[int]) -> None:
    pattern = _naming({99, 9})
    numbers = [int(m.group(1)[::-1]) for m in pattern.finditer(text[::-1])]
    assert [n for n in numbers if n == 99] == found
