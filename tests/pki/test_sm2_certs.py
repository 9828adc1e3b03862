"""SM2 certificates, CRLs and OCSP answers, checked by OpenSSL 3.

OpenSSL 3.0 checks SM2 signatures on certificates only when told the distinguishing ID
(``openssl verify -vfyopt distid:1234567812345678``; openssl/openssl#22234, Tongsuo#559: "openssl doesn't
set the default user id of SM2 signature"), and passes that ID to the end certificate only, so a chain
with an intermediate fails even then (openssl/openssl#23471, open for 3.0-3.6). Each link is therefore
verified on its own (``-partial_chain`` with the issuer as the trust anchor). ``openssl crl -verify`` and
``openssl ocsp`` cannot be given the ID at all: they parse and print our CRL and OCSP answer, and the
signatures are checked with ``openssl pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:...`` over the
exact signed bytes.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from pathlib import Path

import pytest
from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from esign.errors import InputError
from esign.pki.sm2 import Sm2KeyError, Sm2PrivateKey, Sm2PublicKey
from esign.pki.sm2_certs import Sm2Certificate, signing_key_usage, sm2_certificate, sm2_crl
from esign.pki.sm2_ocsp import sm2_ocsp_response
from esign.pki.status import CertKind, CertState, CertStatus, RevocationReason
from tests.pki.conftest import Run

AT = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
DISTID = "distid:1234567812345678"
_ANY_TIME = ("-validity_period", "999999999")  # the answers are made at AT, not now


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "测试县数据局"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _ext(value: x509.ExtensionType, critical: bool) -> x509.Extension[x509.ExtensionType]:
    return x509.Extension(value.oid, critical, value)


def _ca_ku() -> x509.KeyUsage:
    return x509.KeyUsage(False, False, False, False, False, True, True, False, False)


class Chain:
    def __init__(self) -> None:
        self.root_key, self.issuing_key, self.leaf_key, self.ocsp_key = (Sm2PrivateKey.generate() for _ in range(4))
        span = {"not_before": AT - dt.timedelta(days=1), "not_after": AT + dt.timedelta(days=365)}
        self.root = Sm2Certificate.from_der(
            sm2_certificate(
                _name("测试县SM2根CA"),
                self.root_key.public_key(),
                issuer=None,
                issuer_key=self.root_key,
                serial=1,
                extensions=[_ext(x509.BasicConstraints(True, 1), True), _ext(_ca_ku(), True)],
                **span,
            )
        )
        self.issuing = Sm2Certificate.from_der(
            sm2_certificate(
                _name("测试县SM2签发CA"),
                self.issuing_key.public_key(),
                issuer=self.root,
                issuer_key=self.root_key,
                serial=2,
                extensions=[_ext(x509.BasicConstraints(True, 0), True), _ext(_ca_ku(), True)],
                **span,
            )
        )
        self.leaf = Sm2Certificate.from_der(
            sm2_certificate(
                _name("测试镇人民政府"),
                self.leaf_key.public_key(),
                issuer=self.issuing,
                issuer_key=self.issuing_key,
                serial=0x1234567890ABCDEF,
                extensions=[_ext(x509.BasicConstraints(False, None), True), signing_key_usage()],
                **span,
            )
        )
        eku = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING])
        self.ocsp = Sm2Certificate.from_der(
            sm2_certificate(
                _name("测试县SM2 OCSP"),
                self.ocsp_key.public_key(),
                issuer=self.issuing,
                issuer_key=self.issuing_key,
                serial=3,
                extensions=[
                    _ext(x509.BasicConstraints(False, None), True),
                    _ext(eku, False),
                    _ext(x509.OCSPNoCheck(), False),
                ],
                **span,
            )
        )

    def write(self, d: Path) -> None:
        for name in ("root", "issuing", "leaf", "ocsp"):
            cert: Sm2Certificate = getattr(self, name)
            (d / f"{name}.pem").write_text(_pem("CERTIFICATE", cert.der))
        (d / "issuing.pub").write_text(_pem("PUBLIC KEY", self.issuing.public_key.spki_der()))
        (d / "ocsp.pub").write_text(_pem("PUBLIC KEY", self.ocsp.public_key.spki_der()))


def _pem(kind: str, der: bytes) -> str:
    return f"-----BEGIN {kind}-----\n{base64.encodebytes(der).decode()}-----END {kind}-----\n"


@pytest.fixture(scope="module")
def chain() -> Chain:
    return Chain()


def _openssl_verifies(openssl: Run, pub: Path, signed: bytes, signature: bytes, tmp: Path) -> bool:
    (tmp / "tbs").write_bytes(signed)
    (tmp / "sig").write_bytes(signature)
    out = openssl(
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        pub,
        "-rawin",
        "-digest",
        "sm3",
        "-pkeyopt",
        DISTID,
        "-in",
        tmp / "tbs",
        "-sigfile",
        tmp / "sig",
    )
    return out.returncode == 0 and "Verified Successfully" in out.stdout


def test_openssl_reads_the_gbt20518_profile(openssl: Run, chain: Chain, tmp_path: Path) -> None:
    chain.write(tmp_path)
    out = openssl("x509", "-in", tmp_path / "leaf.pem", "-noout", "-text", "-nameopt", "oneline,-esc_msb")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert text.count("Signature Algorithm: SM2-with-SM3") == 2
    assert "id-ecPublicKey" in text and "ASN1 OID: SM2" in text
    assert "Digital Signature, Non Repudiation" in text and "critical" in text
    assert "CN = 测试镇人民政府" in text and "CN = 测试县SM2签发CA" in text
    assert "(0x1234567890abcdef)" in text


def test_openssl_verifies_each_link(openssl: Run, chain: Chain, tmp_path: Path) -> None:
    chain.write(tmp_path)
    root, issuing, leaf = (tmp_path / f"{n}.pem" for n in ("root", "issuing", "leaf"))
    at = str(int(AT.timestamp()))
    ok = openssl("verify", "-vfyopt", DISTID, "-attime", at, "-CAfile", root, issuing)
    assert ok.returncode == 0 and ": OK" in ok.stdout, ok.stdout + ok.stderr
    ok = openssl("verify", "-vfyopt", DISTID, "-attime", at, "-partial_chain", "-CAfile", issuing, leaf)
    assert ok.returncode == 0 and ": OK" in ok.stdout, ok.stdout + ok.stderr
    # A leaf signed by another key is refused by the same command.
    other = Sm2PrivateKey.generate()
    forged = sm2_certificate(
        _name("伪造"),
        other.public_key(),
        issuer=chain.issuing,
        issuer_key=chain.issuing_key,
        serial=9,
        not_before=AT - dt.timedelta(days=1),
        not_after=AT + dt.timedelta(days=9),
    )
    tampered = bytearray(forged)
    tampered[tampered.index("伪造".encode())] ^= 1
    (tmp_path / "bad.pem").write_text(_pem("CERTIFICATE", bytes(tampered)))
    bad = openssl(
        "verify", "-vfyopt", DISTID, "-attime", at, "-partial_chain", "-CAfile", issuing, tmp_path / "bad.pem"
    )
    assert bad.returncode != 0
    assert chain.leaf.signed_by(chain.issuing.public_key) and not chain.leaf.signed_by(chain.root.public_key)


def test_crl_parsed_and_its_signature_checked_by_openssl(openssl: Run, chain: Chain, tmp_path: Path) -> None:
    chain.write(tmp_path)

    def entry(serial: int, state: CertState, reason: RevocationReason | None) -> CertStatus:
        return CertStatus(
            serial=serial,
            kind=CertKind.SEAL,
            issuer_serial=2,
            state=state,
            not_after=AT + dt.timedelta(days=300),
            revoked_at=AT,
            reason=reason,
        )

    entries = [
        entry(11, CertState.REVOKED, RevocationReason.KEY_COMPROMISE),
        entry(12, CertState.ON_HOLD, None),
        entry(13, CertState.REVOKED, RevocationReason.UNSPECIFIED),
        entry(14, CertState.GOOD, None),
    ]
    der = sm2_crl(chain.issuing, chain.issuing_key, entries, number=7, at=AT, period=dt.timedelta(days=7))
    (tmp_path / "crl.der").write_bytes(der)
    out = openssl("crl", "-inform", "DER", "-in", tmp_path / "crl.der", "-noout", "-text")
    assert out.returncode == 0, out.stderr
    assert "Signature Algorithm: SM2-with-SM3" in out.stdout and "X509v3 CRL Number: \n                7" in out.stdout
    assert re.findall(r"Serial Number: (\w+)", out.stdout) == ["0B", "0C", "0D"]  # the good one is not listed
    assert "Key Compromise" in out.stdout and "Certificate Hold" in out.stdout
    crl = asn1_crl.CertificateList.load(der)
    tbs, sig = crl["tbs_cert_list"].dump(), bytes(crl["signature"])
    assert _openssl_verifies(openssl, tmp_path / "issuing.pub", tbs, sig, tmp_path)
    assert not _openssl_verifies(openssl, tmp_path / "ocsp.pub", tbs, sig, tmp_path)


def test_ocsp_answer_read_by_openssl(openssl: Run, chain: Chain, tmp_path: Path) -> None:
    chain.write(tmp_path)
    made = openssl(
        "ocsp", "-issuer", tmp_path / "issuing.pem", "-cert", tmp_path / "leaf.pem", "-reqout", tmp_path / "req.der"
    )
    assert made.returncode == 0, made.stderr
    states = {chain.leaf.asn1.serial_number: CertState.ON_HOLD}

    def lookup(serial: int) -> CertStatus | None:
        if serial not in states:
            return None
        return CertStatus(
            serial=serial,
            kind=CertKind.SEAL,
            issuer_serial=2,
            state=states[serial],
            not_after=AT + dt.timedelta(days=300),
            revoked_at=AT,
            reason=None,
        )

    der = sm2_ocsp_response(
        (tmp_path / "req.der").read_bytes(),
        lookup,
        issuer=chain.issuing,
        responder=chain.ocsp,
        responder_key=chain.ocsp_key,
        at=AT,
    )
    (tmp_path / "resp.der").write_bytes(der)
    out = openssl(
        "ocsp",
        "-respin",
        tmp_path / "resp.der",
        "-resp_text",
        "-noverify",
        "-issuer",
        tmp_path / "issuing.pem",
        "-cert",
        tmp_path / "leaf.pem",
        *_ANY_TIME,
    )
    assert out.returncode == 0, out.stderr
    assert "Signature Algorithm: SM2-with-SM3" in out.stdout
    assert "leaf.pem: revoked" in out.stdout, out.stdout
    assert "Reason: certificateHold" in out.stdout
    basic = asn1_ocsp.OCSPResponse.load(der).basic_ocsp_response
    tbs, sig = basic["tbs_response_data"].dump(), bytes(basic["signature"])
    assert _openssl_verifies(openssl, tmp_path / "ocsp.pub", tbs, sig, tmp_path)

    states[chain.leaf.asn1.serial_number] = CertState.GOOD
    der = sm2_ocsp_response(
        (tmp_path / "req.der").read_bytes(),
        lookup,
        issuer=chain.issuing,
        responder=chain.ocsp,
        responder_key=chain.ocsp_key,
        at=AT,
    )
    (tmp_path / "resp.der").write_bytes(der)
    out = openssl(
        "ocsp",
        "-respin",
        tmp_path / "resp.der",
        "-noverify",
        "-issuer",
        tmp_path / "issuing.pem",
        "-cert",
        tmp_path / "leaf.pem",
        *_ANY_TIME,
    )
    assert "leaf.pem: good" in out.stdout, out.stdout + out.stderr

    # Garbage, and a question about another CA's certificate.
    bad = sm2_ocsp_response(
        b"\x30\x03\x02\x01\x00", lookup, issuer=chain.issuing, responder=chain.ocsp, responder_key=chain.ocsp_key, at=AT
    )
    assert asn1_ocsp.OCSPResponse.load(bad)["response_status"].native == "malformed_request"
    other = sm2_ocsp_response(
        (tmp_path / "req.der").read_bytes(),
        lookup,
        issuer=chain.root,
        responder=chain.ocsp,
        responder_key=chain.ocsp_key,
        at=AT,
    )
    assert asn1_ocsp.OCSPResponse.load(other)["response_status"].native == "unauthorized"


def test_builder_refusals(chain: Chain) -> None:
    span = {"not_before": AT, "not_after": AT + dt.timedelta(days=1)}
    pub: Sm2PublicKey = chain.leaf_key.public_key()
    with pytest.raises(Sm2KeyError):  # self-signed with someone else's key
        sm2_certificate(_name("x"), pub, issuer=None, issuer_key=chain.root_key, serial=5, **span)
    with pytest.raises(Sm2KeyError):  # issuer key does not match the issuer certificate
        sm2_certificate(_name("x"), pub, issuer=chain.issuing, issuer_key=chain.root_key, serial=5, **span)
    with pytest.raises(InputError):
        sm2_certificate(_name("x"), pub, issuer=chain.issuing, issuer_key=chain.issuing_key, serial=0, **span)
    with pytest.raises(InputError):
        sm2_certificate(
            _name("x"), pub, issuer=chain.issuing, issuer_key=chain.issuing_key, serial=5, not_before=AT, not_after=AT
        )
    with pytest.raises(InputError):
        Sm2Certificate.from_der(b"not a certificate")
