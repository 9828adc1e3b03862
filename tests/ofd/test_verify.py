"""verify_ofd: our own signed OFDs pass; each kind of tampering is caught and named; ofdrw's signed
sample is checked and its foreign, expired certificates reported; unsigned samples say so."""

from __future__ import annotations

import datetime as dt

import pytest

from esign.errors import InputError
from esign.ofd import OfdPackage, write_package
from esign.ofd.verify import entry_ids, seal_pictures, verify_ofd
from esign.ses import SesTrust, parse_signature
from esign.verify.report import ChangeCategory, Indication, SubIndication, VerificationReport
from tests.ofd import hostile
from tests.ofd.conftest import SIGNED_AT, VERIFY_AT, sample
from tests.ofd.signed import add_signature, with_entry_annotation
from tests.ses.conftest import Pki, make_test_seal


def _verify(data: bytes, trust: SesTrust) -> VerificationReport:
    return verify_ofd(data, trust=trust, at=VERIFY_AT)


def _codes(report: VerificationReport) -> list[str]:
    return [r.code for s in report.signatures for r in s.reasons]


def _kinds(report: VerificationReport, index: int = 0) -> list[tuple[str, str]]:
    return [(c.kind, c.detail) for c in report.signatures[index].changes.other]


def _tamper(ofd: bytes, path: str, value: bytes) -> bytes:
    files = OfdPackage.from_bytes(ofd).files()
    assert path in files
    files[path] = value
    return write_package(files)


def test_own_signed_ofd_passes(signed_ofd: bytes, trust: SesTrust) -> None:
    report = _verify(signed_ofd, trust)
    assert report.indication is Indication.TOTAL_PASSED, report.to_dict()
    sig = report.signatures[0]
    assert sig.field_name == "Doc_0/Signs/Sign_0/Signature.xml"
    assert sig.intact and sig.crypto_valid and sig.changes.category is ChangeCategory.NONE
    assert sig.trusted_signing_time == SIGNED_AT
    assert sig.seal is not None and sig.seal.name == "测试镇人民政府行政审批服务专用章"
    assert [c.state.value for c in report.conditions] == ["met"] * 4
    assert seal_pictures(signed_ofd)[0][0] == "PNG"


def _content(ofd: bytes) -> bytes:
    return OfdPackage.from_bytes(ofd).read("Doc_0/Pages/Page_0/Content.xml")


def test_changed_content_named_with_page(signed_ofd: bytes, trust: SesTrust) -> None:
    files = OfdPackage.from_bytes(signed_ofd).files()
    files["Doc_0/Pages/Page_0/Content.xml"] = _content(signed_ofd).replace("决定".encode(), "撤销".encode())
    bad = write_package(files)
    report = _verify(bad, trust)
    assert report.indication is Indication.TOTAL_FAILED and report.subindication is SubIndication.HASH_FAILURE
    reason = report.signatures[0].reasons[0]
    assert reason.code == "ofd_reference_mismatch"
    assert "Doc_0/Pages/Page_0/Content.xml" in reason.message_zh and "第 1 页" in reason.message_zh
    assert ("page_content", "Doc_0/Pages/Page_0/Content.xml changed (page 1)") in _kinds(report)
    assert report.conditions[3].state.value == "not_met"


def test_added_page_named(signed_ofd: bytes, trust: SesTrust) -> None:
    files = OfdPackage.from_bytes(signed_ofd).files()
    files["Doc_0/Document.xml"] = files["Doc_0/Document.xml"].replace(
        b"</ofd:Pages>", b'<ofd:Page ID="7" BaseLoc="Pages/Page_1/Content.xml"/></ofd:Pages>'
    )
    files["Doc_0/Pages/Page_1/Content.xml"] = _content(signed_ofd)
    report = _verify(write_package(files), trust)
    assert report.indication is Indication.TOTAL_FAILED
    kinds = _kinds(report)
    assert ("document_changed", "Doc_0/Document.xml changed") in kinds
    assert any(k == "page_added" and "Page_1/Content.xml" in d and "page 2" in d for k, d in kinds)
    assert {"modified_after_signing", "ofd_reference_mismatch"} <= set(_codes(report))


def test_annotation_over_the_seal_named(signed_ofd: bytes, trust: SesTrust) -> None:
    report = _verify(with_entry_annotation(signed_ofd, "A" * 20), trust)
    assert report.indication is Indication.TOTAL_FAILED
    kinds = dict(_kinds(report))
    assert kinds["annotation_added"] == "Doc_0/Pages/Page_0/Annotation.xml added, not covered by the signature (page 1)"
    assert "annotations_added" in kinds and "document_changed" in kinds


def test_swapped_signed_value_named(ofd_pki: Pki, ofd_seal: bytes, signed_ofd: bytes, trust: SesTrust) -> None:
    # the same seal and signer over another document: a genuine SignedValue.dat, but not for this Signature.xml
    other = add_signature(
        hostile.minimal_ofd(("Doc_0/Res/other.txt", b"other")),
        seal=ofd_seal,
        key=ofd_pki.signer_key,
        cert=ofd_pki.signer,
        at=SIGNED_AT,
        timestamper=ofd_pki.timestamper(SIGNED_AT),
    )
    value = OfdPackage.from_bytes(other).read("Doc_0/Signs/Sign_0/SignedValue.dat")
    report = _verify(_tamper(signed_ofd, "Doc_0/Signs/Sign_0/SignedValue.dat", value), trust)
    assert report.subindication is SubIndication.HASH_FAILURE
    assert report.signatures[0].reasons[0].code == "ofd_signature_xml_changed"
    assert report.signatures[0].crypto_valid is True  # the value itself is genuine; it belongs elsewhere


def test_changed_signature_xml_named(signed_ofd: bytes, trust: SesTrust) -> None:
    files = OfdPackage.from_bytes(signed_ofd).files()
    files["Doc_0/Signs/Sign_0/Signature.xml"] = files["Doc_0/Signs/Sign_0/Signature.xml"].replace(
        b'Boundary="120 200 42 42"', b'Boundary="10 10 42 42"'
    )
    report = _verify(write_package(files), trust)
    assert report.subindication is SubIndication.HASH_FAILURE
    assert "ofd_signature_xml_changed" in _codes(report)


def test_changed_seal_file_named(ofd_pki: Pki, signed_ofd: bytes, trust: SesTrust) -> None:
    other_seal = make_test_seal(ofd_pki, name="另一枚印章")
    report = _verify(_tamper(signed_ofd, "Doc_0/Signs/Sign_0/Seal.esl", other_seal), trust)
    assert report.subindication is SubIndication.HASH_FAILURE
    codes = _codes(report)
    assert "ofd_seal_file_mismatch" in codes and "ofd_reference_mismatch" in codes
    assert ("seal_file_changed", "Doc_0/Signs/Sign_0/Seal.esl changed") in _kinds(report)


def test_changed_signed_value_caught(signed_ofd: bytes, trust: SesTrust) -> None:
    value = OfdPackage.from_bytes(signed_ofd).read("Doc_0/Signs/Sign_0/SignedValue.dat")
    signature = parse_signature(value).signature
    forged = value.replace(signature, signature[:-1] + bytes([signature[-1] ^ 1]))  # the value's last byte
    report = _verify(_tamper(signed_ofd, "Doc_0/Signs/Sign_0/SignedValue.dat", forged), trust)
    assert report.subindication is SubIndication.SIG_CRYPTO_FAILURE
    assert report.signatures[0].reasons[0].code == "signature_invalid"
    # the signed part (TBS_Sign: here its propertyInfo) changed: the value no longer verifies either
    changed = value.replace(b"/Sign_0/Signature.xml", b"/Sign_9/Signature.xml")
    report = _verify(_tamper(signed_ofd, "Doc_0/Signs/Sign_0/SignedValue.dat", changed), trust)
    assert report.subindication is SubIndication.SIG_CRYPTO_FAILURE


def test_removed_protected_file_named(signed_ofd: bytes, trust: SesTrust) -> None:
    files = OfdPackage.from_bytes(signed_ofd).files()
    files["Doc_0/Res/new.png"] = files.pop("Doc_0/Signs/Sign_0/Seal.esl")
    report = _verify(write_package(files), trust)
    assert "ofd_reference_missing" in _codes(report)
    assert ("file_removed", "Doc_0/Signs/Sign_0/Seal.esl removed") in _kinds(report)


def test_stamp_annot_must_point_at_a_page(ofd_pki: Pki, ofd_seal: bytes, trust: SesTrust) -> None:
    ofd = add_signature(
        hostile.minimal_ofd(), seal=ofd_seal, key=ofd_pki.signer_key, cert=ofd_pki.signer, at=SIGNED_AT, page_ref="99"
    )
    report = _verify(ofd, trust)
    assert report.subindication is SubIndication.FORMAT_FAILURE
    assert "ofd_stamp_annot_page" in _codes(report)


def test_second_signature_keeps_the_first(ofd_pki: Pki, ofd_seal: bytes, signed_ofd: bytes, trust: SesTrust) -> None:
    later = SIGNED_AT + dt.timedelta(hours=1)
    twice = add_signature(
        signed_ofd,
        seal=ofd_seal,
        key=ofd_pki.signer_key,
        cert=ofd_pki.signer,
        at=later,
        timestamper=ofd_pki.timestamper(later),
    )
    report = _verify(twice, trust)
    assert report.indication is Indication.TOTAL_PASSED, report.to_dict()
    first = report.signatures[0]
    assert first.changes.category is ChangeCategory.SIGNATURES_AND_VALIDATION_DATA
    assert first.changes.later_signatures == ("Doc_0/Signs/Sign_1/Signature.xml",)
    # then a page content changed after both: both signatures name it
    files = OfdPackage.from_bytes(twice).files()
    files["Doc_0/Pages/Page_0/Content.xml"] += b" "
    broken = _verify(write_package(files), trust)
    assert [s.subindication for s in broken.signatures] == [SubIndication.HASH_FAILURE] * 2


def test_entry_id_read_from_the_qr_annotation(ofd_pki: Pki, ofd_seal: bytes) -> None:
    ofd = with_entry_annotation(hostile.minimal_ofd(), "AbCdEfGhIjKlMnOp1234")
    assert entry_ids(OfdPackage.from_bytes(ofd)) == ("AbCdEfGhIjKlMnOp1234",)


def test_ofdrw_signedsample(trust: SesTrust) -> None:
    """ofdrw's v4 SES signature: references and signature value check out; its 2022 certificates and
    foreign root are reported, so it does not pass."""
    report = verify_ofd(sample("SESV4SignDoc.ofd"), trust=trust, at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    assert report.indication is Indication.TOTAL_FAILED and report.subindication is SubIndication.EXPIRED
    sig = report.signatures[0]
    assert sig.intact is True and sig.crypto_valid is True
    assert sig.changes.category is ChangeCategory.NONE
    codes = [r.code for r in sig.reasons]
    assert {"seal_expired", "maker_untrusted", "untrusted_chain", "maker_expired"} <= set(codes)
    assert "OFD Reader and Writer" in sig.chain[-1] if sig.chain else "OFD Reader and Writer" in str(sig.reasons)
    assert sig.seal is not None and sig.seal.valid_end.year == 2022


def test_keyword_sample_is_signed_and_was_modified(trust: SesTrust) -> None:
    """keyword.ofd carries two signatures (a seal by tongz's plugin, a GB/T 35275 Sign) whose protected
    files ofdrw changed later for its keyword tests: each change is named."""
    report = _verify(sample("keyword.ofd"), trust)
    assert report.indication is Indication.TOTAL_FAILED
    first = report.signatures[0]
    assert ("page_content", "Doc_0/Pages/Page_0/Content.xml changed (page 1)") in _kinds(report)
    assert first.crypto_valid is True  # the SES value verifies (bare r||s, with a warning)
    assert "ofd_not_ses" in [r.code for r in report.signatures[1].reasons]


@pytest.mark.parametrize("name", ["helloworld.ofd", "Page5.ofd"])
def test_unsigned_samples(name: str, trust: SesTrust) -> None:
    report = _verify(sample(name), trust)
    assert report.subindication is SubIndication.NO_SIGNATURE_FOUND
    assert report.problems[0].code == "no_signature"


@pytest.mark.parametrize("case", ["path_traversal", "duplicate_entry", "xxe", "zip_bomb_entry", "not_zip"])
def test_hostile_refused(case: str, trust: SesTrust) -> None:
    build, code = hostile.HOSTILE_OFDS[case]
    with pytest.raises(InputError) as info:
        _verify(build(), trust)
    assert info.value.code == code


def test_repeated_references_hash_each_file_once(
    signed_ofd: bytes, trust: SesTrust, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hostile Signature.xml naming the same file 20 000 times costs one SM3 of it, not 20 000."""
    import esign.ofd.verify as ofd_verify

    files = OfdPackage.from_bytes(signed_ofd).files()
    sig_path = "Doc_0/Signs/Sign_0/Signature.xml"
    one = files[sig_path].split(b"<ofd:Reference ", 2)[1].split(b"</ofd:Reference>", 1)[0]
    many = b"".join(b"<ofd:Reference " + one + b"</ofd:Reference>" for _ in range(20_000))
    files[sig_path] = files[sig_path].replace(
        b'<ofd:References CheckMethod="SM3">', b'<ofd:References CheckMethod="SM3">' + many
    )
    calls: list[int] = []
    real = ofd_verify.sm3

    def counting(data: bytes) -> bytes:
        calls.append(len(data))
        return real(data)

    monkeypatch.setattr(ofd_verify, "sm3", counting)
    report = _verify(write_package(files), trust)
    assert report.subindication is SubIndication.HASH_FAILURE  # Signature.xml no longer matches dataHash
    assert "ofd_signature_xml_changed" in _codes(report)
    assert len(calls) <= len(files)
