"""Stamping OFDs (esign.ofd.stamp): the package gains a GB/T 33190 §18 signature whose References
hash every other file with SM3 and whose SignedValue.dat is an SES_Signature over SM3(Signature.xml)
— checked here by re-hashing the files and by esign.ses's verifier; ofdrw's signed sample keeps its
own signature intact; keyword placement finds text split over runs with DeltaX spacing."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import pytest
from lxml import etree

from esign.appearance import qr_artwork
from esign.errors import InputError
from esign.ofd import OfdPackage, write_package
from esign.ofd.layout import occupied, pages
from esign.ofd.stamp import OfdSigner, stamp_ofd
from esign.ofd.verify import entry_ids, verify_ofd
from esign.ofd.xml import q
from esign.pki.sm2 import sm3
from esign.ses.chain import crl_lookup
from esign.ses.signature import parse_signature, verify_signature
from esign.ses.verify import SesTrust
from esign.stamp import placement_from_dict
from esign.verify.report import Indication
from tests.ses.conftest import AT, Pki, crl_of

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "ofd-samples"
ENTRY = "E2026030100000001abc"
URL = f"https://esign.example/v/{ENTRY}"


def _signer(ofd_pki: Pki, ofd_seal: bytes) -> OfdSigner:
    return OfdSigner(ofd_seal, ofd_pki.signer_key, ofd_pki.signer.der, ofd_pki.timestamper(AT), "测试县")


def _stamp(ofd_pki: Pki, ofd_seal: bytes, data: bytes, placement: dict[str, object], qr: bool = True):  # type: ignore[no-untyped-def]
    return stamp_ofd(
        data,
        placement_from_dict(placement),
        _signer(ofd_pki, ofd_seal),
        at=AT,
        entry_id=ENTRY,
        verify_url=URL,
        qr_png=(lambda: qr_artwork(URL).png(dpi=200)) if qr else None,
    )


def _signatures(pkg: OfdPackage) -> list[str]:
    sigs = pkg.xml("Doc_0/Signs/Signatures.xml")
    return [pkg.resolve("Doc_0/Signs/Signatures.xml", s.get("BaseLoc", "")) for s in sigs.iter(q("Signature"))]


def _check_references(pkg: OfdPackage, sig_path: str) -> list[str]:
    """Every CheckValue equals SM3 of the file it names; returns the protected paths."""
    out = []
    for ref in pkg.xml(sig_path).iter(q("Reference")):
        path = pkg.resolve(sig_path, ref.get("FileRef", ""))
        value = ref.findtext(q("CheckValue")) or ""
        assert base64.b64decode(value) == sm3(pkg.read(path)), path
        out.append(path)
    return out


def _verify_ses(ofd_pki: Pki, pkg: OfdPackage, sig_path: str) -> None:
    value = pkg.read(sig_path.replace("Signature.xml", "SignedValue.dat"))
    trust = SesTrust.of([ofd_pki.root], [ofd_pki.issuing], crl_lookup([crl_of(ofd_pki)]))
    report = verify_signature(value, trust, at=AT + dt.timedelta(days=1), data=pkg.read(sig_path))
    assert report.indication is Indication.TOTAL_PASSED, report.to_dict()
    assert parse_signature(value).data_hash == sm3(pkg.read(sig_path))


def _overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def test_helloworld_stamped_by_position(ofd_pki: Pki, ofd_seal: bytes, trust: SesTrust) -> None:
    data = (SAMPLES / "helloworld.ofd").read_bytes()
    out = _stamp(ofd_pki, ofd_seal, data, {"mode": "position", "page": 1, "x_mm": 150, "y_mm": 240})
    pkg = OfdPackage.from_bytes(out.data)
    assert _signatures(pkg) == ["Doc_0/Signs/Sign_0/Signature.xml"]
    assert (pkg.xml("OFD.xml").findtext(f".//{q('Signatures')}") or "") == "/Doc_0/Signs/Signatures.xml"
    sig_path = "Doc_0/Signs/Sign_0/Signature.xml"
    protected = set(_check_references(pkg, sig_path))
    # every file but the signature list and this signature's own Signature.xml / SignedValue.dat
    assert protected == set(pkg.names) - {"Doc_0/Signs/Signatures.xml", sig_path, "Doc_0/Signs/Sign_0/SignedValue.dat"}
    info = pkg.xml(sig_path).find(q("SignedInfo"))
    assert info is not None
    assert [etree.QName(e).localname for e in info] == [
        "Provider",
        "SignatureMethod",
        "SignatureDateTime",
        "References",
        "StampAnnot",
        "Seal",
    ]
    assert info.findtext(q("SignatureMethod")) == "1.2.156.10197.1.501"
    assert info.find(q("References")).get("CheckMethod") == "1.2.156.10197.1.401"  # type: ignore[union-attr]
    assert info.findtext(q("SignatureDateTime")) == "2026-03-01 16:00:00"  # AT in Beijing time
    stamp = info.find(q("StampAnnot"))
    assert stamp is not None and stamp.get("PageRef") == "1" and stamp.get("Boundary") == "129 219 42 42"
    assert pkg.read("Doc_0/Signs/Sign_0/Seal.esl") == ofd_seal
    _verify_ses(ofd_pki, pkg, sig_path)
    # the QR annotation: the entry id, the URL, on free space, beside the seal
    annot = pkg.xml("Doc_0/Annots/Page_0/Annotation.xml").find(q("Annot"))
    assert annot is not None and annot.findtext(q("Remark")) == f"esign:entry={ENTRY}"
    assert annot.findtext(f"{q('Parameters')}/{q('Parameter')}") == URL
    box = tuple(float(v) for v in annot.find(q("Appearance")).get("Boundary").split())  # type: ignore[union-attr]
    page = pages(pkg, "Doc_0/Document.xml")[0]
    assert not any(_overlaps(box, b) for b in occupied(pkg, page))
    assert not _overlaps(box, (129, 219, 42, 42))
    media = pkg.xml("Doc_0/DocumentRes.xml").find(f".//{q('MediaFile')}")
    assert media is not None and pkg.read(f"Doc_0/Res/{media.text}").startswith(b"\x89PNG")
    # and esign's OFD verifier (written apart from the stamper) agrees, and finds the register entry
    report = verify_ofd(out.data, trust=trust, at=AT + dt.timedelta(days=1))
    assert report.indication is Indication.TOTAL_PASSED, report.to_dict()
    assert entry_ids(pkg) == (ENTRY,)


def test_a_second_seal_keeps_ofdrws_signature_and_protects_it(ofd_pki: Pki, ofd_seal: bytes) -> None:
    data = (SAMPLES / "SESV4SignDoc.ofd").read_bytes()
    before = OfdPackage.from_bytes(data)
    out = _stamp(ofd_pki, ofd_seal, data, {"mode": "position", "page": -1, "x_mm": 150, "y_mm": 240})
    pkg = OfdPackage.from_bytes(out.data)
    assert _signatures(pkg) == ["Doc_0/Signs/Sign_0/Signature.xml", "Doc_0/Signs/Sign_1/Signature.xml"]
    old = _check_references(pkg, "Doc_0/Signs/Sign_0/Signature.xml")  # ofdrw's references still hold
    for name in [*old, "Doc_0/Signs/Sign_0/Signature.xml", "Doc_0/Signs/Sign_0/SignedValue.dat"]:
        assert pkg.read(name) == before.read(name), name
    new = set(_check_references(pkg, "Doc_0/Signs/Sign_1/Signature.xml"))
    assert {"Doc_0/Signs/Sign_0/Signature.xml", "Doc_0/Signs/Sign_0/SignedValue.dat"} <= new
    _verify_ses(ofd_pki, pkg, "Doc_0/Signs/Sign_1/Signature.xml")
    assert pkg.xml("Doc_0/Signs/Signatures.xml").findtext(q("MaxSignId")) == "4"
    assert out.qr is False  # Document.xml is protected by ofdrw's signature: not rewritten


def test_stamped_twice(ofd_pki: Pki, ofd_seal: bytes) -> None:
    data = (SAMPLES / "helloworld.ofd").read_bytes()
    once = _stamp(ofd_pki, ofd_seal, data, {"mode": "position", "page": 1, "x_mm": 60, "y_mm": 240}).data
    twice = _stamp(ofd_pki, ofd_seal, once, {"mode": "position", "page": 1, "x_mm": 150, "y_mm": 240}, qr=False)
    pkg = OfdPackage.from_bytes(twice.data)
    assert len(_signatures(pkg)) == 2
    for sig in _signatures(pkg):
        _check_references(pkg, sig)
        _verify_ses(ofd_pki, pkg, sig)


def test_signature_list_protected_by_an_earlier_signature_is_refused(ofd_pki: Pki, ofd_seal: bytes) -> None:
    # keyword.ofd's second signature (Type="Sign") protects Signatures.xml: ofdrw refuses to add more
    with pytest.raises(InputError) as e:
        _stamp(ofd_pki, ofd_seal, (SAMPLES / "keyword.ofd").read_bytes(), {"mode": "keyword", "text": "事由"})
    assert e.value.code == "ofd_signatures_locked"


def _unsigned_keyword_ofd() -> bytes:
    """keyword.ofd without its signatures (files and OFD.xml's reference removed)."""
    pkg = OfdPackage.from_bytes((SAMPLES / "keyword.ofd").read_bytes())
    files = {n: b for n, b in pkg.files().items() if not n.startswith("Doc_0/Signs/")}
    files["OFD.xml"] = files["OFD.xml"].replace(b"<ofd:Signatures>Doc_0/Signs/Signatures.xml</ofd:Signatures>", b"")
    assert b"Signatures" not in files["OFD.xml"]
    return write_package(files)


def test_keyword_across_runs_with_deltax(ofd_pki: Pki, ofd_seal: bytes) -> None:
    # "20200508" is three TextObjects ("2020" with DeltaX "g 3 2.1167", "05", "08") at x 77.5–114.3, y 136–141.8
    out = _stamp(ofd_pki, ofd_seal, _unsigned_keyword_ofd(), {"mode": "keyword", "text": "20200508"})
    pkg = OfdPackage.from_bytes(out.data)
    stamp = pkg.xml("Doc_0/Signs/Sign_0/Signature.xml").find(f".//{q('StampAnnot')}")
    assert stamp is not None
    x, y, w, h = (float(v) for v in stamp.get("Boundary", "").split())
    cx, cy = x + w / 2, y + h / 2
    assert 77 < cx < 115 and 134 < cy < 143, (cx, cy)
    _verify_ses(ofd_pki, pkg, "Doc_0/Signs/Sign_0/Signature.xml")
    with pytest.raises(InputError) as e:
        _stamp(ofd_pki, ofd_seal, _unsigned_keyword_ofd(), {"mode": "keyword", "text": "不存在的字"})
    assert e.value.code == "keyword_not_found"


def test_riding_and_repeated_seals_on_page5(ofd_pki: Pki, ofd_seal: bytes) -> None:
    data = (SAMPLES / "Page5.ofd").read_bytes()
    out = _stamp(
        ofd_pki,
        ofd_seal,
        data,
        {"mode": "position", "page": -1, "x_mm": 100, "y_mm": 200, "riding_seal": True, "also_on_pages": [1]},
    )
    pkg = OfdPackage.from_bytes(out.data)
    annots = list(pkg.xml("Doc_0/Signs/Sign_0/Signature.xml").iter(q("StampAnnot")))
    assert len(annots) == 1 + 1 + 5 and out.impressions == 7
    riding = [a for a in annots if a.get("Clip")]
    assert len(riding) == 5 and len({a.get("PageRef") for a in riding}) == 5
    assert {a.get("Clip", "").split()[2] for a in riding} == {"8.4"}  # 42 mm in five slices
    _verify_ses(ofd_pki, pkg, "Doc_0/Signs/Sign_0/Signature.xml")


def test_placements_refused(ofd_pki: Pki, ofd_seal: bytes) -> None:
    data = (SAMPLES / "helloworld.ofd").read_bytes()
    for placement, code in [
        ({"mode": "position", "page": 3, "x_mm": 100, "y_mm": 100}, "page_out_of_range"),
        ({"mode": "position", "page": 1, "x_mm": 5, "y_mm": 100}, "placement_off_page"),
        ({"mode": "field", "name": "Signature1"}, "placement_unsupported_ofd"),
        ({"mode": "position", "page": 1, "x_mm": 100, "y_mm": 100, "riding_seal": True}, "riding_seal_single_page"),
    ]:
        with pytest.raises(InputError) as e:
            _stamp(ofd_pki, ofd_seal, data, placement)
        assert e.value.code == code, placement


def test_no_qr_where_it_would_rewrite_a_protected_file(ofd_pki: Pki, ofd_seal: bytes) -> None:
    # an earlier signature that protects the page's annotations but not Document.xml: the QR annotation
    # would change a protected file, so it is left out and the earlier signature stays intact
    data = (SAMPLES / "helloworld.ofd").read_bytes()
    once = _stamp(ofd_pki, ofd_seal, data, {"mode": "position", "page": 1, "x_mm": 60, "y_mm": 240}).data
    pkg = OfdPackage.from_bytes(once)
    files = pkg.files()
    sig = "Doc_0/Signs/Sign_0/Signature.xml"
    root = pkg.xml(sig)
    refs = root.find(f".//{q('References')}")
    assert refs is not None
    for ref in list(refs):
        if ref.get("FileRef") in ("/Doc_0/Document.xml",):
            refs.remove(ref)
    files[sig] = etree.tostring(root, xml_declaration=True, encoding="UTF-8")  # (its SES signature no longer
    # matches; only which files are protected matters here)
    twice = _stamp(ofd_pki, ofd_seal, write_package(files), {"mode": "position", "page": 1, "x_mm": 150, "y_mm": 240})
    assert twice.qr is False
    after = OfdPackage.from_bytes(twice.data)
    for name in _check_references(after, sig):
        assert after.read(name) == files[name], name


def test_careless_numbers_are_a_clear_refusal_or_read_leniently(ofd_pki: Pki, ofd_seal: bytes) -> None:
    pkg = OfdPackage.from_bytes((SAMPLES / "helloworld.ofd").read_bytes())
    files = pkg.files()
    page = "Doc_0/Pages/Page_0/Content.xml"
    files[page] = files[page].replace(b'X="', b'X="abc', 1)
    with pytest.raises(InputError) as e:
        _stamp(ofd_pki, ofd_seal, write_package(files), {"mode": "keyword", "text": "你好"})
    assert e.value.code == "ofd_malformed" and "Content.xml" in e.value.message_zh
    files = pkg.files()  # a MaxUnitID that is not a number: counted from its digits, still stamped
    doc = "Doc_0/Document.xml"
    files[doc] = files[doc].replace(b"<ofd:MaxUnitID>4<", b"<ofd:MaxUnitID>u4<")
    out = _stamp(ofd_pki, ofd_seal, write_package(files), {"mode": "position", "page": 1, "x_mm": 100, "y_mm": 240})
    assert OfdPackage.from_bytes(out.data).xml(doc).findtext(f".//{q('MaxUnitID')}") == "7"
