"""Decisions exported by LibreOffice (plain, three pages, PDF/A-2b, tagged, a blank PDF form) stamped
through the real pipeline: the seal lands on 「（盖章）」 where poppler places it, at its nominal
diameter; pdfsig and our verifier accept the result; the PDF/A identification, the document
information and the form fields survive; a second stamp leaves the first signature valid. A filled-in
PDF form, whose values only the viewer draws, is refused at submission.

"PDF/A-compatible where possible" means here: stamping a PDF/A-2b file keeps its PDF/A identification
(pdfaid part and conformance in the XMP metadata the catalog points to, and the output intent) and keeps
the document information dictionary and the XMP metadata in agreement; the incremental update brings
nothing PDF/A-2 forbids in the seal itself: the signature widget is printable and has a normal
appearance only; its appearance has no transparency (opacity 1, no soft mask, no blend mode, no
transparency group) and no fonts (the seal's characters are outlines); it paints in DeviceRGB, which the
sRGB output intent LibreOffice writes covers (a PDF/A with a CMYK output intent would not be).

Not claimed: that a validator passes the stamped file. No veraPDF run backs this module, and pyHanko
raises the catalog's /Version to 2.0 for the ISO 32002 extension of an ECDSA signature, while PDF/A-2 is
based on PDF 1.7.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageChops
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from sqlalchemy import func, select

from esign.errors import InputError
from esign.hosts import BlobStore
from esign.ledger.models import LedgerEntryRow
from esign.registry import find_seal
from esign.registry.audit import list_audit
from esign.stamp import placement_from_dict
from esign.stamp.inputs import inspect_pdf
from esign.verify.report import ChangeCategory, Indication
from esign.workflow.models import StampRequestRow
from esign.workflow.requests import StampRequestSpec, stamp_directly
from esign.workflow.verification import verify_document
from tests.office import BLANK_FORM_VALUES, BODY_PT, FORM_VALUES, KEYWORD, OfficePdfs
from tests.pdfgen import decision_pdf
from tests.stamp._render import red_centroid, render

from .conftest import now, pdfsig

MB = 1 << 20
MM = 72 / 25.4
DPI = 200
PAGES = {"plain": 1, "multipage": 3, "pdfa": 1, "form": 1, "tagged": 1}
NAMES = list(PAGES)


def _stamp(county, data: bytes, placement: dict, township: str = "克城镇") -> bytes:
    spec = StampRequestSpec(
        seal=township, item="1", reason="受理", title="受理通知书", placement=placement_from_dict(placement)
    )
    outcome = stamp_directly(
        county.dep, county.engine, data, spec, user=f"{township}窗口", approver=f"{township}批准人", at=now()
    )
    return BlobStore(county.home / "documents").get(outcome.output_sha256)


@pytest.fixture(scope="module")
def stamped(county, office_pdfs: OfficePdfs) -> dict[str, bytes]:
    """Every variant stamped once by 克城镇's seal on 「（盖章）」."""
    return {
        name: _stamp(county, data, {"mode": "keyword", "text": KEYWORD})
        for name, data in office_pdfs.variants().items()
    }


def _reader(data: bytes) -> PdfFileReader:
    return PdfFileReader(io.BytesIO(data))


def _pdfinfo(data: bytes) -> str:
    return subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True, timeout=60).stdout.decode()


def _keyword_on_page(data: bytes) -> tuple[int, tuple[float, float]]:
    """The page (0-based) and centre (mm from the top-left) of 「（盖章）」, from ``pdftotext -bbox``.

    poppler boxes whole words, and a line of Chinese has no spaces: the word is the whole
    "蒲县克城镇人民政府（盖章）". LibreOffice sets every character of it one em wide (ideographs and
    the full-width brackets of Noto Serif CJK, no kerning), so the keyword's box is its share of the word.
    """
    out = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=data, capture_output=True, check=True, timeout=60)
    found = []
    for page_ix, page in enumerate(re.findall(r"<page [^>]*>(.*?)</page>", out.stdout.decode(), re.S)):
        for x0, y0, x1, y1, word in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', page
        ):
            if KEYWORD in word:
                found.append((page_ix, word, float(x0), float(y0), float(x1), float(y1)))
    assert len(found) == 1, found
    page_ix, word, x0, y0, x1, y1 = found[0]
    assert x1 - x0 == pytest.approx(BODY_PT * len(word), abs=0.5), "not one em per character: the share is wrong"
    kx0 = x0 + BODY_PT * word.index(KEYWORD)
    return page_ix, ((kx0 + BODY_PT * len(KEYWORD) / 2) / MM, (y0 + y1) / 2 / MM)


def test_the_exports_are_what_they_claim(office_pdfs: OfficePdfs) -> None:
    # Guards the other tests: a PDF/A test on a file without the claim, or a form test on a file
    # without fields, would prove nothing.
    for name, data in {**office_pdfs.variants(), "filled_form": office_pdfs.filled_form}.items():
        info = _pdfinfo(data)
        assert re.search(r"^Producer:\s+LibreOffice", info, re.M), (name, info)
        assert re.search(rf"^Pages:\s+{PAGES.get(name, 1)}$", info, re.M), (name, info)
        assert bool(re.search(r"^Form:\s+AcroForm", info, re.M)) == name.endswith("form"), (name, info)
        if name != "pdfa":  # (LibreOffice tags its PDF/A output as well)
            assert bool(re.search(r"^Tagged:\s+yes", info, re.M)) == (name == "tagged"), (name, info)
        assert _pdfa_claim(data) == (("2", "B") if name == "pdfa" else None), name
        page_ix, _ = _keyword_on_page(data)
        assert page_ix == PAGES.get(name, 1) - 1, (name, page_ix)
    for data, values in ((office_pdfs.form, BLANK_FORM_VALUES), (office_pdfs.filled_form, FORM_VALUES)):
        assert {n: v for n, (_ft, v) in _form_fields(data).items()} == values
        assert _reader(data).root["/AcroForm"]["/NeedAppearances"] == generic.BooleanObject(True)
    # the filled-in values are on screen before anyone stamps: refusing the file is about real content
    assert _ink_in_field(office_pdfs.filled_form, "phone") > 20
    assert _ink_in_field(office_pdfs.form, "phone") == 0


@pytest.mark.parametrize("name", NAMES)
def test_the_seal_lands_on_the_printed_keyword(office_pdfs: OfficePdfs, stamped, name) -> None:
    page_ix, (kx, ky) = _keyword_on_page(office_pdfs.variants()[name])
    centre = red_centroid(render(stamped[name], dpi=DPI, page=page_ix + 1))
    assert centre is not None, "no red seal on the keyword's page"
    sx, sy = (v * 25.4 / DPI for v in centre)
    assert abs(sx - kx) <= 1.0 and abs(sy - ky) <= 1.0, ((sx, sy), (kx, ky))
    for other in range(PAGES[name]):
        if other != page_ix:
            assert red_centroid(render(stamped[name], dpi=50, page=other + 1)) is None, f"red on page {other + 1}"


def test_the_seal_keeps_its_nominal_diameter(county, stamped) -> None:
    with county.dep.transaction() as session:
        nominal = county.engine.material(find_seal(session, "克城镇")).seal.width / MM
    img = render(stamped["plain"], dpi=DPI)
    r, g, b = img.split()
    red = ImageChops.multiply(
        ImageChops.multiply(r.point(lambda v: 255 if v > 200 else 0), g.point(lambda v: 255 if v < 90 else 0)),
        b.point(lambda v: 255 if v < 90 else 0),
    ).getbbox()
    assert red is not None
    width, height = ((red[2] - red[0]) * 25.4 / DPI, (red[3] - red[1]) * 25.4 / DPI)
    assert abs(width - nominal) <= 0.5 and abs(height - nominal) <= 0.5, (width, height, nominal)


@pytest.mark.parametrize("name", NAMES)
def test_pdfsig_and_our_verifier_accept_the_stamp(county, stamped, name, tmp_path) -> None:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(stamped[name])
    report = pdfsig(county, path)
    assert "Signature #2" not in report, report
    assert "Signature is Valid." in report and "Certificate is Trusted." in report, report
    # B-LT: only the validation data (DSS) follows the signed revision
    assert "Not total document signed" in report, report

    verdict = verify_document(county.dep, stamped[name], at=now())
    assert verdict.passed, verdict.conclusion_zh
    [sig] = verdict.signatures
    assert sig.changes.category is ChangeCategory.SIGNATURES_AND_VALIDATION_DATA


# --- PDF/A ---------------------------------------------------------------------------------------

_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
_XMP_OF_INFO = {
    "/Title": "{http://purl.org/dc/elements/1.1/}title",
    "/Author": "{http://purl.org/dc/elements/1.1/}creator",
    "/Subject": "{http://purl.org/dc/elements/1.1/}description",
    "/Keywords": "{http://ns.adobe.com/pdf/1.3/}Keywords",
    "/Creator": "{http://ns.adobe.com/xap/1.0/}CreatorTool",
    "/Producer": "{http://ns.adobe.com/pdf/1.3/}Producer",
    "/CreationDate": "{http://ns.adobe.com/xap/1.0/}CreateDate",
    "/ModDate": "{http://ns.adobe.com/xap/1.0/}ModifyDate",
}
_PDFAID = "{http://www.aiim.org/pdfa/ns/id/}"


def _xmp(data: bytes) -> dict[str, str]:
    """The XMP properties of the document's current /Metadata stream, simple and as attributes
    (pyHanko's form) or elements (LibreOffice's form); language alternatives and lists by their first item."""
    root = _reader(data).root
    if "/Metadata" not in root:
        return {}
    xml = root["/Metadata"].data
    packet = xml[xml.index(b"<x:xmpmeta") : xml.rindex(b"</x:xmpmeta>") + len(b"</x:xmpmeta>")]
    tree = ET.fromstring(packet)  # noqa: S314 (LibreOffice's and pyHanko's packets from this session, no DTD)
    props: dict[str, str] = {}
    for desc in tree.iter(f"{_RDF}Description"):
        props.update({k: v for k, v in desc.attrib.items() if not k.startswith(_RDF)})
        for child in desc:
            item = child.find(f".//{_RDF}li")
            props[child.tag] = (item.text if item is not None else child.text) or ""
    return props


def _pdfa_claim(data: bytes) -> tuple[str, str] | None:
    xmp = _xmp(data)
    if f"{_PDFAID}part" not in xmp:
        return None
    return xmp[f"{_PDFAID}part"], xmp.get(f"{_PDFAID}conformance", "")


def _added_objects(data: bytes, since_revision: int) -> Iterator[generic.PdfObject]:
    """Every object written in the revisions after ``since_revision`` (0-based)."""
    reader = _reader(data)
    for rev in range(since_revision + 1, reader.xrefs.total_revisions):
        for ref in reader.xrefs.explicit_refs_in_revision(rev):
            yield reader.get_object(ref)


def _walk(obj: generic.PdfObject, depth: int = 0) -> Iterator[generic.DictionaryObject]:
    """Direct dictionaries inside ``obj`` (indirect references are not followed)."""
    if depth > 20 or isinstance(obj, generic.IndirectObject):
        return
    if isinstance(obj, generic.DictionaryObject):
        yield obj
        for key in obj:
            yield from _walk(obj.raw_get(key), depth + 1)
    elif isinstance(obj, generic.ArrayObject):
        for item in obj:
            yield from _walk(item, depth + 1)


def test_pdfa_identification_survives_stamping(office_pdfs: OfficePdfs, stamped) -> None:
    source, out = office_pdfs.pdfa, stamped["pdfa"]
    assert _pdfa_claim(out) == ("2", "B")
    before, after = _reader(source).root, _reader(out).root
    [intent] = (i.get_object() for i in after["/OutputIntents"])
    assert intent["/S"] == "/GTS_PDFA1" and intent["/DestOutputProfile"]["/N"] == 3  # an RGB intent: our red is RGB
    assert intent["/DestOutputProfile"].data == before["/OutputIntents"][0].get_object()["/DestOutputProfile"].data

    widgets = forms = 0
    for obj in _added_objects(out, since_revision=0):
        for d in _walk(obj):
            # no transparency: opaque graphics states, no soft masks, no blend modes, no groups
            forms += d.get("/Subtype") == "/Form"
            assert d.get("/CA", 1) == 1 and d.get("/ca", 1) == 1, d
            assert d.get("/SMask", "/None") == "/None" and d.get("/BM", "/Normal") in ("/Normal", "/Compatible"), d
            assert "/Group" not in d, d
            # the page's own resources are rewritten with the seal's XObject; no font is added
            assert d.get("/Type") != "/Font" and "/FontFile2" not in d, "the seal must not bring fonts"
            if d.get("/Subtype") == "/Widget":
                widgets += 1
                flags = int(d["/F"])
                assert flags & 4 and not flags & (1 | 2 | 32 | 256), f"/F {flags}: must be printable and shown"
                assert set(d["/AP"]) == {"/N"}, "PDF/A: a normal appearance only"
    # the walk reaches the widget, its appearance and the same seal drawn into the page's content
    assert widgets == 1 and forms >= 2, (widgets, forms)


def _pdf_date(value: str) -> dt.datetime:
    m = re.fullmatch(r"D:(\d{14})(?:(Z)|([+-])(\d\d)'?(\d\d)'?)?'?", value)
    assert m, value
    stamp = dt.datetime.strptime(m.group(1), "%Y%m%d%H%M%S")
    if m.group(3):
        sign = 1 if m.group(3) == "+" else -1
        return stamp.replace(tzinfo=dt.timezone(sign * dt.timedelta(hours=int(m.group(4)), minutes=int(m.group(5)))))
    return stamp.replace(tzinfo=dt.UTC)


def test_pdfa_information_and_xmp_metadata_agree(office_pdfs: OfficePdfs, stamped) -> None:
    for data in (office_pdfs.pdfa, stamped["pdfa"]):  # the input agrees, so the check can pass
        info = _reader(data).trailer["/Info"]
        xmp = _xmp(data)
        for key, prop in _XMP_OF_INFO.items():
            if key not in info:
                continue
            assert prop in xmp, f"{key} has no XMP counterpart"
            if key.endswith("Date"):
                assert _pdf_date(str(info[key])) == dt.datetime.fromisoformat(xmp[prop]), key
            else:
                assert str(info[key]) == xmp[prop], (key, str(info[key]), xmp[prop])


# --- forms ---------------------------------------------------------------------------------------


def _form_fields(data: bytes) -> dict[str, tuple[str, str | None]]:
    """Terminal fields: name -> (field type, value); signature values as None."""
    reader = _reader(data)
    out = {}
    for ref in reader.root["/AcroForm"]["/Fields"]:
        field = ref.get_object()
        value = None if field["/FT"] == "/Sig" else str(field.get("/V"))
        out[str(field["/T"])] = (str(field["/FT"]), value)
    return out


def test_the_blank_form_keeps_its_fields_and_widgets(office_pdfs: OfficePdfs, stamped) -> None:
    before, after = _form_fields(office_pdfs.form), _form_fields(stamped["form"])
    signatures = {n for n, (ft, _v) in after.items() if ft == "/Sig"}
    assert len(signatures) == 1
    assert {n: f for n, f in after.items() if n not in signatures} == before
    assert {n: v for n, (_ft, v) in before.items()} == BLANK_FORM_VALUES
    page_before = _reader(office_pdfs.form).root["/Pages"]["/Kids"][0].get_object()
    page_after = _reader(stamped["form"]).root["/Pages"]["/Kids"][0].get_object()
    on_page = {str(a.get_object().get("/T")) for a in page_after["/Annots"]}
    assert on_page == set(before) | signatures, "every field's widget stays on the page"
    for name in before:  # each in its place, with its (blank) appearances
        [w0] = [a.get_object() for a in page_before["/Annots"] if a.get_object().get("/T") == name]
        [w1] = [a.get_object() for a in page_after["/Annots"] if a.get_object().get("/T") == name]
        assert [float(v) for v in w1["/Rect"]] == [float(v) for v in w0["/Rect"]], name
        assert w1.raw_get("/AP") == w0.raw_get("/AP") and w1.get("/AS") == w0.get("/AS"), name
    assert _ink_in_field(stamped["form"], "phone") == 0


def _ink_in_field(data: bytes, name: str) -> int:
    """Dark pixels inside the widget of field ``name`` (its border excluded) as poppler renders page 1."""
    reader = _reader(data)
    page = reader.root["/Pages"]["/Kids"][0].get_object()
    height = float(page["/MediaBox"][3])
    [widget] = [a.get_object() for a in page["/Annots"] if a.get_object().get("/T") == name]
    x0, y0, x1, y1 = (float(v) for v in widget["/Rect"])
    img: Image.Image = render(data, dpi=100)
    k = 100 / 72
    box = (int(x0 * k) + 3, int((height - y1) * k) + 3, int(x1 * k) - 3, int((height - y0) * k) - 3)
    return sum(1 for v in img.crop(box).convert("L").get_flattened_data() if v < 100)


def test_only_the_filled_in_form_is_drawn_by_the_viewer(office_pdfs: OfficePdfs) -> None:
    # all LibreOffice form exports ask the viewer to draw the fields (/NeedAppearances true); only
    # values make that matter
    assert inspect_pdf(office_pdfs.filled_form, max_bytes=50 * MB).form_drawn_by_viewer
    for name, data in office_pdfs.variants().items():
        assert not inspect_pdf(data, max_bytes=50 * MB).form_drawn_by_viewer, name
    assert not inspect_pdf(decision_pdf(), max_bytes=50 * MB).form_drawn_by_viewer


def test_a_filled_in_form_is_refused_and_nothing_is_kept(county, office_pdfs: OfficePdfs) -> None:
    # Signing turns /NeedAppearances off, and the values LibreOffice left to the viewer would vanish
    # from the sealed document: the clerk is told to export without "create PDF form" instead.
    documents = county.home / "documents"

    def state() -> tuple[int, int, int, set[Path]]:
        with county.dep.transaction() as session:
            ledger = session.scalar(select(func.count()).select_from(LedgerEntryRow)) or 0
            requests = session.scalar(select(func.count()).select_from(StampRequestRow)) or 0
            refusals = sum(r.code == "pdf_form_needs_appearances" for r in list_audit(session, outcome="refused"))
        return ledger, requests, refusals, set(documents.rglob("*"))

    ledger, requests, refusals, files = state()
    with pytest.raises(InputError) as err:
        _stamp(county, office_pdfs.filled_form, {"mode": "keyword", "text": KEYWORD})
    assert err.value.code == "pdf_form_needs_appearances"
    assert "创建 PDF 表单" in err.value.message_zh
    assert state() == (ledger, requests, refusals + 1, files)
    with county.dep.transaction() as session:
        [event] = list_audit(session, outcome="refused", limit=1)
    assert (event.actor, event.action, event.code) == ("克城镇窗口", "stamp.request", "pdf_form_needs_appearances")


# --- a second stamp ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["pdfa", "form", "multipage"])
def test_a_second_stamp_keeps_the_first_signature_valid(county, stamped, name, tmp_path) -> None:
    # another township's seal joins, at a measured position on the first page
    twice = _stamp(county, stamped[name], {"mode": "position", "page": 1, "x_mm": 60, "y_mm": 60}, township="蒲城镇")
    path = tmp_path / "twice.pdf"
    path.write_bytes(twice)
    report = pdfsig(county, path)
    first, second = report.split("Signature #2")
    assert "Signature is Valid." in first and "Total document signed" not in first, report
    assert "Signature is Valid." in second and "Certificate is Trusted." in second, report
    assert "Not total document signed" in second, report  # B-LT: the DSS follows
    assert "蒲县克城镇人民政府" in first and "蒲县蒲城镇人民政府" in second

    verdict = verify_document(county.dep, twice, at=now())
    assert [s.indication for s in verdict.signatures] == [Indication.TOTAL_PASSED] * 2, verdict.conclusion_zh
    assert verdict.signatures[0].changes.category is ChangeCategory.SIGNATURES_AND_VALIDATION_DATA
    if name == "pdfa":
        assert _pdfa_claim(twice) == ("2", "B")
    if name == "form":
        assert {n: f for n, f in _form_fields(twice).items() if f[0] != "/Sig"} == {
            n: f for n, f in _form_fields(stamped[name]).items() if f[0] != "/Sig"
        }
