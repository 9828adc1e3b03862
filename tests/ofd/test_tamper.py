"""Tampering with OFDs stamped by esign.ofd.stamp: each change is caught by verify_ofd and named —
the page content, a page added, an annotation added over the seal, the signature file swapped, the
seal file changed, the signature value changed."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from esign.ofd import OfdPackage, write_package
from esign.ofd.verify import entry_ids, verify_ofd
from esign.ses import SesTrust
from esign.verify.report import ChangeCategory, Indication, SubIndication, VerificationReport
from tests.ofd.conftest import STAMP_ENTRY, VERIFY_AT, stamp_helloworld
from tests.ses.conftest import Pki, make_test_seal

SIG = "Doc_0/Signs/Sign_0/"

Files = dict[str, bytes]


def _verify(data: bytes, trust: SesTrust) -> VerificationReport:
    return verify_ofd(data, trust=trust, at=VERIFY_AT)


def _changed(stamped: bytes, change: Callable[[Files], None]) -> bytes:
    files = OfdPackage.from_bytes(stamped).files()
    before = dict(files)
    change(files)
    assert files != before, "the tampering changed nothing"
    return write_package(files)


def test_stamped_ofd_passes_and_names_its_entry(stamped_ofd: bytes, trust: SesTrust) -> None:
    report = _verify(stamped_ofd, trust)
    assert report.indication is Indication.TOTAL_PASSED, report.to_dict()
    assert report.signatures[0].changes.category is ChangeCategory.NONE
    assert entry_ids(OfdPackage.from_bytes(stamped_ofd)) == (STAMP_ENTRY,)


def _content(files: Files) -> None:
    files["Doc_0/Pages/Page_0/Content.xml"] = files["Doc_0/Pages/Page_0/Content.xml"].replace(
        "你好".encode(), "再见".encode()
    )


def _new_page(files: Files) -> None:
    files["Doc_0/Document.xml"] = files["Doc_0/Document.xml"].replace(
        b"</ofd:Pages>", b'<ofd:Page ID="99" BaseLoc="Pages/Page_1/Content.xml"/></ofd:Pages>'
    )
    files["Doc_0/Pages/Page_1/Content.xml"] = files["Doc_0/Pages/Page_0/Content.xml"]


def _annotation_over_seal(files: Files) -> None:
    path = "Doc_0/Annots/Page_0/Annotation.xml"
    files[path] = files[path].replace(
        b"</ofd:PageAnnot>",
        b'<ofd:Annot ID="98" Type="Stamp"><ofd:Appearance Boundary="129 219 42 42">'
        b'<ofd:PathObject ID="97" Boundary="0 0 42 42" Fill="true"><ofd:FillColor Value="255 255 255"/>'
        b"<ofd:AbbreviatedData>M 0 0 L 42 0 L 42 42 L 0 42 C</ofd:AbbreviatedData></ofd:PathObject>"
        b"</ofd:Appearance></ofd:Annot></ofd:PageAnnot>",
    )


def _new_annotation_file(files: Files) -> None:
    files["Doc_0/Annots/Page_0/Annotation_cover.xml"] = files["Doc_0/Annots/Page_0/Annotation.xml"]


@pytest.mark.parametrize(
    ("change", "reason", "named"),
    [
        (_content, "ofd_reference_mismatch", ("page_content", "Doc_0/Pages/Page_0/Content.xml changed (page 1)")),
        (_new_page, "modified_after_signing", ("page_added", "page 2")),
        (_annotation_over_seal, "ofd_reference_mismatch", ("annotation_changed", "Doc_0/Annots/Page_0/Annotation.xml")),
        (_new_annotation_file, "modified_after_signing", ("file_added", "Annotation_cover.xml added")),
    ],
    ids=["content", "new_page", "annotation_over_seal", "annotation_file_added"],
)
def test_content_tampering_named(
    stamped_ofd: bytes, trust: SesTrust, change: Callable[[Files], None], reason: str, named: tuple[str, str]
) -> None:
    report = _verify(_changed(stamped_ofd, change), trust)
    assert report.indication is Indication.TOTAL_FAILED
    sig = report.signatures[0]
    assert reason in [r.code for r in sig.reasons]
    kind, text = named
    assert any(c.kind == kind and text in c.detail for c in sig.changes.other), sig.changes.other
    assert report.conditions[3].state.value == "not_met"


def test_signature_file_swapped(stamped_ofd: bytes, ofd_pki: Pki, ofd_seal: bytes, trust: SesTrust) -> None:
    """Signature.xml of another stamping of the same document (the seal elsewhere) put in place of ours."""
    other = OfdPackage.from_bytes(stamp_helloworld(ofd_pki, ofd_seal, x_mm=60))
    swapped = _changed(stamped_ofd, lambda f: f.update({SIG + "Signature.xml": other.read(SIG + "Signature.xml")}))
    report = _verify(swapped, trust)
    assert report.subindication is SubIndication.HASH_FAILURE
    assert report.signatures[0].reasons[0].code == "ofd_signature_xml_changed"
    assert SIG + "Signature.xml" in report.signatures[0].reasons[0].message_zh


def test_seal_file_changed(stamped_ofd: bytes, ofd_pki: Pki, trust: SesTrust) -> None:
    other = make_test_seal(ofd_pki, name="另一枚印章")
    report = _verify(_changed(stamped_ofd, lambda f: f.update({SIG + "Seal.esl": other})), trust)
    codes = [r.code for r in report.signatures[0].reasons]
    assert report.subindication is SubIndication.HASH_FAILURE
    assert "ofd_seal_file_mismatch" in codes and "ofd_reference_mismatch" in codes


def test_signed_value_changed(stamped_ofd: bytes, trust: SesTrust) -> None:
    def flip(files: Files) -> None:
        value = bytearray(files[SIG + "SignedValue.dat"])
        at = bytes(value).index(b"/Doc_0/Signs/Sign_0/Signature.xml")  # inside TBS_Sign.propertyInfo
        value[at + 1] ^= 0x20
        files[SIG + "SignedValue.dat"] = bytes(value)

    report = _verify(_changed(stamped_ofd, flip), trust)
    assert report.subindication is SubIndication.SIG_CRYPTO_FAILURE
    assert report.signatures[0].reasons[0].code == "signature_invalid"


def test_signatures_list_pointing_elsewhere(stamped_ofd: bytes, trust: SesTrust) -> None:
    def drop(files: Files) -> None:
        files["Doc_0/Signs/Signatures.xml"] = files["Doc_0/Signs/Signatures.xml"].replace(
            b"Sign_0/Signature.xml", b"Sign_7/Signature.xml"
        )

    report = _verify(_changed(stamped_ofd, drop), trust)
    assert report.indication is Indication.TOTAL_FAILED
    assert report.signatures[0].reasons[0].code == "ofd_structure"
