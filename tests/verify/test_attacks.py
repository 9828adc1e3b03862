"""Every attack family of the PDF Insecurity research is caught: never TOTAL_PASSED."""

from __future__ import annotations

from functools import cache

import pytest
from pyhanko.sign import fields

from esign.verify import Indication, SubIndication, verify_pdf
from tests.verify.attacks import ATTACKS, SHADOW_ATTACKS
from tests.verify.docs import shadow_pdf, simple_pdf
from tests.verify.factory import Level, self_signed_impostor
from tests.verify.scenarios import LATER, STAMPED, _county

CERTIFICATION_ATTACKS = {"evil_annotation", "sneaky_signature"}


@cache
def base(kind: str) -> bytes:
    county = _county()
    seal = county.issue_seal()
    if kind == "approval":
        return county.sign(simple_pdf(), seal, at=STAMPED, level=Level.B_T)
    if kind == "lt":
        return county.sign(simple_pdf(), seal, at=STAMPED, level=Level.B_LT)
    if kind == "certified-p2":
        return county.sign(simple_pdf(), seal, at=STAMPED, level=Level.B_T, certify=True)
    if kind == "certified-p3":
        perm = fields.MDPPerm.ANNOTATE
        return county.sign(simple_pdf(), seal, at=STAMPED, level=Level.B_T, certify=True, docmdp=perm)
    if kind == "shadow":
        return county.sign(shadow_pdf(), seal, at=STAMPED, level=Level.B_T)
    raise KeyError(kind)


def verify(data: bytes):
    county = _county()
    return verify_pdf(data, trust_roots=[county.root], at=LATER, crls=[county.crl(LATER)])


@pytest.mark.parametrize("kind", ["approval", "lt", "certified-p2", "certified-p3", "shadow"])
def test_bases_pass(kind: str) -> None:
    assert verify(base(kind)).indication is Indication.TOTAL_PASSED


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attack_detected(name: str) -> None:
    kinds = ["certified-p2", "certified-p3"] if name in CERTIFICATION_ATTACKS else ["approval", "lt"]
    for kind in kinds:
        if name == "swa_relocated_second_part" and kind == "lt":
            continue  # wrapping a signature whose revision is not the last one breaks the file anyway
        report = verify(ATTACKS[name](base(kind)))
        assert report.indication is not Indication.TOTAL_PASSED, (name, kind)
        assert report.indication is Indication.TOTAL_FAILED, (name, kind, report.subindication)
        assert report.subindication in (SubIndication.FORMAT_FAILURE, SubIndication.HASH_FAILURE), report
        assert report.conclusion_zh.startswith("无效")


@pytest.mark.parametrize("name", sorted(SHADOW_ATTACKS))
def test_shadow_attack_detected(name: str) -> None:
    report = verify(SHADOW_ATTACKS[name](base("shadow")))
    assert (report.indication, report.subindication) == (Indication.TOTAL_FAILED, SubIndication.FORMAT_FAILURE)
    sig = report.signatures[0]
    assert sig.intact and sig.crypto_valid  # the signed bytes are untouched ...
    assert sig.changes.category.value == "other"  # ... but the update is named
    kinds = {c.kind for c in sig.changes.other}
    assert kinds & {"page_content", "font"}, kinds


def test_isa_names_page_content() -> None:
    report = verify(ATTACKS["isa_replace_content"](base("approval")))
    other = report.signatures[0].changes.other
    assert any(c.kind == "page_content" and c.page == 1 for c in other), other
    assert "modified_after_signing" in [r.code for r in report.signatures[0].reasons]


def test_evil_annotation_named() -> None:
    report = verify(ATTACKS["evil_annotation"](base("certified-p3")))
    sig = report.signatures[0]
    assert sig.certification_level == 3
    assert any(c.kind == "annotation_added" and "/FreeText" in c.detail for c in sig.changes.other)


def test_swa_keeps_digest_but_fails_structure() -> None:
    report = verify(ATTACKS["swa_relocated_second_part"](base("approval")))
    sig = report.signatures[0]
    assert sig.intact is True  # the wrapped bytes hash correctly: only our own structure check sees it
    codes = {p.code for p in sig.coverage.problems}
    assert "byte_range_gap_not_contents" in codes


def test_sneaky_signature_signed_by_stranger() -> None:
    """The signed variant: a stranger's signature with an appearance over the content."""
    county = _county()
    stranger = self_signed_impostor(county.issue_seal().cert)
    data = county.sign(base("certified-p2"), stranger, at=LATER, level=Level.B_B, field_name="Sneaky", visible=True)
    report = verify(data)
    assert report.indication is not Indication.TOTAL_PASSED
    assert report.signatures[1].subindication is SubIndication.NO_CERTIFICATE_CHAIN_FOUND


def test_certified_no_changes_then_signed_again() -> None:
    county = _county()
    p1 = county.sign(
        simple_pdf(), county.issue_seal(), at=STAMPED, level=Level.B_T, certify=True, docmdp=fields.MDPPerm.NO_CHANGES
    )
    # pyHanko itself refuses to sign a P=1 document, so append the second signature by hand
    from pyhanko.sign.general import SigningError

    with pytest.raises(SigningError):
        county.sign(p1, county.issue_seal(), at=LATER, level=Level.B_T, field_name="Seal2")
