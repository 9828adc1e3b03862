"""GB/T 38540 signatures: signed by us and verified in the order of §7.3; ofdrw's signature from
SESV4SignDoc.ofd read and its arithmetic checked (dataHash = SM3(Signature.xml), the SM2 value)."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import pytest
from asn1crypto import core

from esign.errors import InputError
from esign.pki.sm2 import DEFAULT_USER_ID, Sm2PrivateKey, Sm2PublicKey, sm3
from esign.pki.sm2_tsp import read_sm2_timestamp
from esign.pki.status import CertState
from esign.ses.asn1 import SES_Signature
from esign.ses.chain import crl_lookup
from esign.ses.signature import parse_signature, sign, verify_signature
from esign.ses.verify import SesTrust
from esign.verify.report import Indication, SubIndication
from tests.pki.conftest import Run
from tests.ses.conftest import AT, SAMPLES, Pki, crl_of, make_test_seal

DOC = "县人民政府关于印发某某办法的通知".encode() * 100


def _trust(pki: Pki, crls: list[bytes] | None = None) -> SesTrust:
    return SesTrust.of([pki.root], [pki.issuing], crl_lookup(crls if crls is not None else [crl_of(pki)]))


def _sign(pki: Pki, seal_der: bytes, **kw: object) -> bytes:
    args: dict[str, object] = {
        "data": DOC,
        "property_info": "/Doc_0/Signs/Sign_0/Signature.xml",
        "seal": seal_der,
        "signer_key": pki.signer_key,
        "signer_cert": pki.signer.der,
        "timestamper": pki.timestamper(AT),
        "at": AT,
    }
    args.update(kw)
    return sign(**args)  # type: ignore[arg-type]


def test_sign_and_verify(pki: Pki, seal_der: bytes) -> None:
    der = _sign(pki, seal_der)
    parsed = parse_signature(der)
    assert parsed.seal.der == seal_der and parsed.data_hash == sm3(DOC) and parsed.time_info == AT
    assert parsed.property_info == "/Doc_0/Signs/Sign_0/Signature.xml" and parsed.signer_cert == pki.signer.der
    assert pki.signer.public_key.verify(parsed.signature, parsed.tbs_der)
    assert parsed.timestamp is not None and read_sm2_timestamp(parsed.timestamp, parsed.signature).valid
    assert SES_Signature.load(der).dump(force=True) == der

    report = verify_signature(der, _trust(pki), at=AT + dt.timedelta(days=3), data=DOC)
    assert report.indication is Indication.TOTAL_PASSED, report.to_dict()
    sig = report.signatures[0]
    assert sig.trusted_signing_time == AT and sig.timestamp is not None and sig.timestamp.trusted
    assert sig.intact and sig.crypto_valid and sig.seal is not None and sig.seal.es_id == "14102610000000001"
    assert [c.state.value for c in report.conditions] == ["met", "met", "met", "met"]
    assert report.conclusion_zh.startswith("有效")


def test_sign_from_a_hash_is_the_same(pki: Pki, seal_der: bytes) -> None:
    der = _sign(pki, seal_der, data=None, data_hash=sm3(DOC))
    assert verify_signature(der, _trust(pki), at=AT, data=DOC).indication is Indication.TOTAL_PASSED
    with pytest.raises(InputError):
        _sign(pki, seal_der, data_hash=sm3(DOC))  # both
    with pytest.raises(InputError) as e:  # a signer the seal does not list
        _sign(pki, seal_der, signer_key=pki.other_key, signer_cert=pki.other_signer.der)
    assert e.value.code == "signer_not_in_seal"
    with pytest.raises(InputError):  # key and certificate do not match
        _sign(pki, seal_der, signer_key=pki.other_key)


def test_what_verification_catches(pki: Pki, seal_der: bytes) -> None:
    der = _sign(pki, seal_der)
    trust = _trust(pki)
    # 7: the data changed, or was not given
    r = verify_signature(der, trust, at=AT, data=DOC + b" ")
    assert r.subindication is SubIndication.HASH_FAILURE and r.signatures[0].intact is False
    r = verify_signature(der, trust, at=AT)
    assert r.subindication is SubIndication.SIGNED_DATA_NOT_FOUND and r.indication is Indication.INDETERMINATE
    # 2 and 3: another certificate put in place of the signer's
    sig = SES_Signature.load(der)
    sig["cert"] = core.OctetString(pki.other_signer.der)
    r = verify_signature(sig.dump(force=True), trust, at=AT, data=DOC)
    codes = {f.code for f in r.signatures[0].reasons}
    assert r.subindication is SubIndication.SIG_CRYPTO_FAILURE and {"signature_invalid", "signer_not_in_seal"} <= codes
    # 5: revoked before the proven time / after it
    revoked = _trust(pki, [crl_of(pki, {pki.signer.asn1.serial_number: CertState.REVOKED})])
    r = verify_signature(der, revoked, at=AT + dt.timedelta(days=1), data=DOC)
    assert r.subindication is SubIndication.REVOKED
    late = _sign(pki, seal_der, at=AT - dt.timedelta(days=5), timestamper=pki.timestamper(AT - dt.timedelta(days=5)))
    r = verify_signature(late, revoked, at=AT + dt.timedelta(days=1), data=DOC)
    assert r.indication is Indication.TOTAL_PASSED and "revoked_after_signing" in {
        w.code for w in r.signatures[0].warnings
    }
    # 6: no time-stamp: nothing proves when, a revoked certificate cannot be excused
    bare = _sign(pki, seal_der, timestamper=None)
    r = verify_signature(bare, revoked, at=AT + dt.timedelta(days=1), data=DOC)
    assert r.subindication is SubIndication.REVOKED_NO_POE
    r = verify_signature(bare, trust, at=AT, data=DOC)
    assert r.indication is Indication.TOTAL_PASSED and "no_trusted_time" in {w.code for w in r.signatures[0].warnings}
    # 6: a time-stamp over something else is broken, and proves nothing
    wrong = SES_Signature.load(der)
    wrong["timeStamp"] = core.OctetBitString(pki.timestamper(AT)(b"other"))
    r = verify_signature(wrong.dump(force=True), trust, at=AT, data=DOC)
    assert r.signatures[0].trusted_signing_time is None
    assert "timestamp_broken" in {w.code for w in r.signatures[0].warnings}
    # 4: the seal past its validity at the proven time
    r = verify_signature(
        _sign(pki, seal_der, at=AT + dt.timedelta(days=400), timestamper=pki.timestamper(AT + dt.timedelta(days=400))),
        trust,
        at=AT + dt.timedelta(days=401),
        data=DOC,
    )
    assert "seal_expired" in {f.code for f in r.signatures[0].reasons}
    # 1: not a signature at all
    for bad in (b"", b"\x30\x03\x02\x01\x04", der[:-5]):
        r = verify_signature(bad, trust, at=AT, data=DOC)
        assert r.subindication is SubIndication.FORMAT_FAILURE and r.problems


def test_openssl_reads_our_time_stamp_token(openssl: Run, pki: Pki, seal_der: bytes, tmp_path: Path) -> None:
    parsed = parse_signature(_sign(pki, seal_der))
    assert parsed.timestamp is not None
    (tmp_path / "tst.der").write_bytes(parsed.timestamp)
    out = openssl("ts", "-reply", "-in", tmp_path / "tst.der", "-token_in", "-token_out", "-text")
    assert out.returncode == 0, out.stderr
    assert "Hash Algorithm: sm3" in out.stdout and "Time stamp: Mar  1 08:00:00 2026 GMT" in out.stdout
    dump = out.stdout.split("Message data:")[1].split("Serial number")[0]
    rows = [line.split(" - ", 1)[1][:48] for line in dump.splitlines() if " - " in line]
    hex_bytes = re.findall(r"[0-9a-f]{2}", "".join(rows))
    assert bytes.fromhex("".join(hex_bytes)) == sm3(parsed.signature)
    assert "Policy OID: 1.2.3.4" in out.stdout


def _ofd_signature() -> tuple[bytes, bytes]:
    path = SAMPLES / "SESV4SignDoc.ofd"
    if not path.exists():
        pytest.skip(f"{path} is not there (the shared samples are not mounted)")
    with zipfile.ZipFile(path) as z:
        return z.read("Doc_0/Signs/Sign_0/SignedValue.dat"), z.read("Doc_0/Signs/Sign_0/Signature.xml")


def test_ofdrw_signature_arithmetic(pki: Pki) -> None:
    der, signature_xml = _ofd_signature()
    parsed = parse_signature(der)
    assert parsed.data_hash == sm3(signature_xml)
    assert parsed.property_info == "/Doc_0/Signs/Sign_0/Signature.xml" and parsed.timestamp is None
    assert parsed.seal.es_id == "51f044b76510434e9bc67a1185c2fba5"
    report = verify_signature(der, _trust(pki), at=AT, data=signature_xml)
    sig = report.signatures[0]
    assert sig.crypto_valid is True and sig.intact is True and sig.seal is not None and sig.seal.maker_signature_valid
    codes = {f.code for f in sig.reasons}
    assert {"untrusted_chain", "maker_untrusted", "seal_expired", "out_of_bounds_no_poe"} <= codes, codes
    assert "signature_invalid" not in codes and "hash_mismatch" not in codes
    assert report.indication is not Indication.TOTAL_PASSED
    r = verify_signature(der, _trust(pki), at=AT, data=signature_xml.replace(b"Sign", b"Sigh", 1))
    assert r.signatures[0].intact is False and r.subindication is SubIndication.HASH_FAILURE


class _Signer:
    """The county TSA's signer interface over a key held in memory."""

    def __init__(self, key: Sm2PrivateKey) -> None:
        self._key = key

    @property
    def public_key(self) -> Sm2PublicKey:
        return self._key.public_key()

    def sign(self, data: bytes, *, user_id: bytes = DEFAULT_USER_ID) -> bytes:
        return self._key.sign(data, user_id=user_id)


def test_a_key_stores_signer_signs_like_a_key(pki: Pki, seal_der: bytes) -> None:
    """What the county's key store hands out (a signer, never the key) makes seals and signatures."""
    seal = make_test_seal(pki, maker_key=_Signer(pki.maker_key))
    der = _sign(pki, seal, signer_key=_Signer(pki.signer_key))
    assert verify_signature(der, _trust(pki), at=AT, data=DOC).indication is Indication.TOTAL_PASSED
    with pytest.raises(InputError):
        make_test_seal(pki, maker_key=_Signer(pki.signer_key))


def test_the_county_sm2_tsa_proves_the_time(pki: Pki, seal_der: bytes) -> None:
    """Tokens from the county's SM2 TSA (esign.pki.sm2_tsa: the RFC 3161 request side over sm2_tsp) are read here."""
    from esign.pki.sm2_tsa import Sm2TimeStampAuthority, Sm2TimeStamper

    assert pki.tsa is not None and pki.tsa_key is not None
    authority = Sm2TimeStampAuthority(pki.tsa, pki.tsa_key)
    stamper = Sm2TimeStamper(authority, lambda at: (42, at), clock=lambda: AT + dt.timedelta(seconds=5))
    der = _sign(pki, seal_der, timestamper=stamper)
    report = verify_signature(der, _trust(pki), at=AT + dt.timedelta(days=1), data=DOC)
    sig = report.signatures[0]
    assert report.indication is Indication.TOTAL_PASSED, report.to_dict()
    assert sig.trusted_signing_time == AT + dt.timedelta(seconds=5) and sig.timestamp is not None
    assert sig.timestamp.trusted and sig.timestamp.tsa == "CN=测试县SM2时间戳服务,O=测试县人民政府,C=CN"
