"""GB/T 38540 seal data: made by us, read back, verified; ofdrw's UserV4.esl read field by field and
judged exactly (maker signature good, certificates expired in 2022, a root that is not ours)."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from asn1crypto import algos, core

from esign.pki.sm2 import sm3
from esign.pki.status import CertState
from esign.ses.asn1 import ExtensionDatas, SES_Seal
from esign.ses.chain import crl_lookup
from esign.ses.seal import SealPicture, SesFormatError, _extensions, parse_seal
from esign.ses.verify import SesTrust, verify_seal
from esign.verify.report import Indication, SubIndication
from tests.pki.conftest import Run
from tests.ses.conftest import AT, SAMPLES, Pki, build_pki, crl_of, seal_png

USER_V4 = SAMPLES / "UserV4.esl"


def _trust(pki: Pki, crls: list[bytes] | None = None) -> SesTrust:
    return SesTrust.of([pki.root], [pki.issuing], crl_lookup(crls if crls is not None else [crl_of(pki)]))


def test_made_seal_reads_back_field_by_field(pki: Pki, seal_der: bytes) -> None:
    seal = parse_seal(seal_der)
    assert (seal.vid, seal.es_id, seal.seal_type) == ("esign", "14102610000000001", 1)
    assert seal.name == "测试镇人民政府行政审批服务专用章"
    assert seal.cert_list_type == 1 and seal.signer_certs == (pki.signer.der,)
    assert seal.valid_start == AT - dt.timedelta(days=10) and seal.valid_end == AT + dt.timedelta(days=365)
    assert seal.picture == SealPicture("PNG", seal_png(), 42, 42)
    assert seal.maker_cert == pki.maker.der and seal.sign_alg_id == "1.2.156.10197.1.501"
    assert pki.maker.public_key.verify(seal.signed_value, seal.seal_info_der)
    assert SES_Seal.load(seal_der).dump(force=True) == seal_der  # DER, stable under re-encoding
    assert seal.lists_signer(pki.signer.der) and not seal.lists_signer(pki.other_signer.der)


def test_our_seal_verifies(pki: Pki, seal_der: bytes) -> None:
    report = verify_seal(seal_der, _trust(pki), at=AT)
    assert report.indication is Indication.TOTAL_PASSED, report.to_dict()
    sig = report.signatures[0]
    assert sig.crypto_valid and sig.seal is not None and sig.seal.maker_signature_valid
    assert sig.chain == ("CN=测试县SM2签发CA,O=测试县人民政府,C=CN", "CN=测试县SM2根CA,O=测试县人民政府,C=CN")
    assert sig.revocation_now.state.value == "good"
    assert report.conclusion_zh.startswith("有效")
    assert report.to_dict()["signatures"][0]["seal"]["es_id"] == "14102610000000001"


def test_seal_refusals(pki: Pki, seal_der: bytes) -> None:
    # Altered seal data: the maker's signature no longer verifies.
    name = "测试镇人民政府行政审批服务专用章".encode()
    forged = seal_der.replace(name, "测试镇人民政府合同专用章印章印章".encode()[: len(name)])
    assert len(forged) == len(seal_der) and forged != seal_der
    r = verify_seal(forged, _trust(pki), at=AT)
    assert r.subindication is SubIndication.SIG_CRYPTO_FAILURE and r.signatures[0].crypto_valid is False
    # Another county's root: no chain.
    stranger = build_pki()
    r = verify_seal(seal_der, SesTrust.of([stranger.root], [stranger.issuing]), at=AT)
    assert "maker_untrusted" in {f.code for f in r.signatures[0].reasons}
    # After the seal's validEnd.
    r = verify_seal(seal_der, _trust(pki), at=AT + dt.timedelta(days=400))
    assert r.subindication is SubIndication.EXPIRED and "seal_expired" in {f.code for f in r.signatures[0].reasons}
    # The maker certificate revoked.
    r = verify_seal(seal_der, _trust(pki, [crl_of(pki, {pki.maker.asn1.serial_number: CertState.REVOKED})]), at=AT)
    assert r.subindication is SubIndication.REVOKED
    # No revocation information: cannot tell yet.
    r = verify_seal(seal_der, SesTrust.of([pki.root], [pki.issuing]), at=AT)
    assert r.indication is Indication.INDETERMINATE and r.subindication is SubIndication.TRY_LATER


@pytest.mark.parametrize(
    "data",
    [b"", b"\x30\x00", b"garbage", b"\x30\x82\xff\xff" + b"\0" * 10, b"\x30\x84\x01\x00\x00\x01" + bytes(2**24)],
    ids=["empty", "empty-seq", "garbage", "truncated", "too-large"],
)
def test_malformed_input_is_a_format_failure(pki: Pki, data: bytes) -> None:
    r = verify_seal(data, _trust(pki), at=AT)
    assert r.indication is Indication.TOTAL_FAILED and r.subindication is SubIndication.FORMAT_FAILURE
    assert r.problems and r.problems[0].message_zh


def test_wrong_version_is_refused(pki: Pki, seal_der: bytes) -> None:
    seal = SES_Seal.load(seal_der)
    header = seal["eSealInfo"]["header"]
    header["version"] = core.Integer(1)
    with pytest.raises(SesFormatError):
        parse_seal(seal.dump(force=True))
    with pytest.raises(SesFormatError):
        parse_seal(seal_der[:-3])


def _user_v4() -> bytes:
    if not USER_V4.exists():
        pytest.skip(f"{USER_V4} is not there (the shared samples are not mounted)")
    return USER_V4.read_bytes()


def test_ofdrw_user_v4_field_by_field() -> None:
    seal = parse_seal(_user_v4())
    assert (seal.vid, seal.es_id, seal.seal_type) == ("OFDR&WTest", "51f044b76510434e9bc67a1185c2fba5", 3)
    assert seal.name == "OFD R&W 测试用印章"
    assert seal.cert_list_type == 1 and len(seal.signer_certs) == 1
    utc = dt.UTC
    assert seal.create_date == dt.datetime(2020, 4, 22, 2, 9, tzinfo=utc) == seal.valid_start
    assert seal.valid_end == dt.datetime(2022, 4, 22, 2, 9, tzinfo=utc)
    assert seal.picture.type == "PNG" and seal.picture.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert (seal.picture.width_mm, seal.picture.height_mm) == (40, 40)
    assert seal.ext_datas == () and seal.sign_alg_id == "1.2.156.10197.1.501"


def test_ofdrw_user_v4_is_reported_expired_and_foreign(pki: Pki) -> None:
    report = verify_seal(_user_v4(), _trust(pki), at=AT)
    sig = report.signatures[0]
    assert sig.crypto_valid is True and sig.seal is not None and sig.seal.maker_signature_valid
    codes = [f.code for f in sig.reasons]
    assert set(codes) == {"maker_untrusted", "maker_expired", "seal_expired", "signer_cert_expired"}, codes
    assert report.indication is Indication.TOTAL_FAILED and report.subindication is SubIndication.EXPIRED
    untrusted = next(f for f in sig.reasons if f.code == "maker_untrusted")
    assert "OFD Reader and WriterROOT Certificate" in untrusted.message_zh
    expired = next(f for f in sig.reasons if f.code == "maker_expired")
    assert "2022-04-21" in expired.message_zh
    assert sig.signer is not None and sig.signer.not_after.year == 2022
    assert report.conclusion_zh.startswith("无效：制章者证书已过期")  # an EXPIRED reason decides, not the chain


def test_openssl_checks_the_maker_signature(openssl: Run, pki: Pki, seal_der: bytes, tmp_path: Path) -> None:
    for name, der in (("ours", seal_der), ("ofdrw", _user_v4())):
        seal = parse_seal(der)
        (tmp_path / "info").write_bytes(seal.seal_info_der)
        (tmp_path / "sig").write_bytes(seal.signed_value)
        (tmp_path / "maker.pem").write_text(
            "-----BEGIN CERTIFICATE-----\n"
            + base64.encodebytes(seal.maker_cert).decode()
            + "-----END CERTIFICATE-----\n"
        )
        args = (
            "pkeyutl",
            "-verify",
            "-certin",
            "-inkey",
            tmp_path / "maker.pem",
            "-rawin",
            "-digest",
            "sm3",
            "-pkeyopt",
            "distid:1234567812345678",
            "-in",
            tmp_path / "info",
            "-sigfile",
            tmp_path / "sig",
        )
        out = openssl(*args)
        assert out.returncode == 0 and "Verified Successfully" in out.stdout, (name, out.stdout, out.stderr)
        (tmp_path / "info").write_bytes(seal.seal_info_der[:-1] + bytes([seal.seal_info_der[-1] ^ 1]))
        assert openssl(*args).returncode != 0


def test_foreign_variants_are_read(pki: Pki, seal_der: bytes) -> None:
    """What other makers write: a bare r||s maker signature (device output), ExtData without its
    DEFAULT critical, a certListType 2 digest list."""
    seal = parse_seal(seal_der)
    rs = algos.DSASignature.load(seal.signed_value)
    r, s = rs["r"].native, rs["s"].native
    bare = SES_Seal.load(seal_der)
    bare["signedValue"] = core.OctetBitString(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
    report = verify_seal(bare.dump(force=True), _trust(pki), at=AT)
    assert report.indication is Indication.TOTAL_PASSED, report.to_dict()
    assert [w.code for w in report.signatures[0].warnings] == ["signature_raw_rs"]
    bad = SES_Seal.load(seal_der)
    bad["signedValue"] = core.OctetBitString((r ^ 1).to_bytes(32, "big") + s.to_bytes(32, "big"))
    assert verify_seal(bad.dump(force=True), _trust(pki), at=AT).subindication is SubIndication.SIG_CRYPTO_FAILURE

    ext = ExtensionDatas.load(bytes.fromhex("300b3009060355040104020501"))  # SEQUENCE { OID 2.5.4.1, OCTET STRING }
    assert ext[0]["critical"].native is None and _extensions(ext)[0].critical is False

    by_digest = dataclasses.replace(
        seal, cert_list_type=2, signer_certs=(), cert_digests=(("SM3", sm3(pki.signer.der)),)
    )
    assert by_digest.lists_signer(pki.signer.der) and not by_digest.lists_signer(pki.other_signer.der)
