"""The SM2 county PKI (esign/pki/sm2_ca.py, sm2_profiles.py, keystore/sm2.py), judged by OpenSSL 3."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest

from esign.db import make_session_factory, session_scope
from esign.errors import ConfigError, ConflictError
from esign.pki.keystore.sm2 import FileSm2KeyStore, Sm2KeyStore
from esign.pki.sm2_ca import SM2_DIR, Sm2CountyPKI, certificate_pem, county_sm2_trust
from esign.pki.sm2_certs import sm2_crl
from esign.pki.status import CertKind, CertState, CertStatus, RevocationReason
from tests.pki.conftest import BASE_URL, COUNTY, PASSPHRASE, SEAL_SUBJECT, PkiFiles, Run, now
from tests.pki.sm2_openssl import DISTID, pkeyutl_verify, public_key_pem, signed_parts


@pytest.fixture(scope="module")
def sm2(tmp_path_factory: pytest.TempPathFactory) -> tuple[Sm2CountyPKI, FileSm2KeyStore, Path]:
    home = tmp_path_factory.mktemp("sm2")
    keys = FileSm2KeyStore(home / "keys" / "sm2", passphrase=PASSPHRASE)
    pki = Sm2CountyPKI.create(keys, home / "certs", COUNTY, base_url=BASE_URL, at=now())
    keys.generate("seal-1")
    seal = pki.issue_seal_certificate(SEAL_SUBJECT, keys.public_key("seal-1"), at=now())
    (home / "certs" / SM2_DIR / "seal.crt").write_bytes(certificate_pem(seal))
    return pki, keys, home / "certs" / SM2_DIR


def test_the_file_store_fills_the_key_store_interface() -> None:
    assert isinstance(FileSm2KeyStore("/nonexistent", passphrase=b"x"), Sm2KeyStore)


def test_openssl_reads_the_seal_certificate_as_a_gbt_20518_signing_certificate(
    sm2, pki_files: PkiFiles, openssl: Run
) -> None:
    _, _, certs = sm2
    text = openssl("x509", "-in", certs / "seal.crt", "-noout", "-text")
    assert text.returncode == 0, text.stderr
    out = text.stdout
    assert out.count("Signature Algorithm: SM2-with-SM3") == 2
    assert "Public Key Algorithm: id-ecPublicKey" in out and "ASN1 OID: SM2" in out
    assert "X509v3 Key Usage: critical\n                Digital Signature, Non Repudiation" in out
    assert "URI:http://127.0.0.1:8000/pki/sm2/crl" in out and "OCSP - URI:http://127.0.0.1:8000/pki/sm2/ocsp" in out
    # The same subject as the seal's ECDSA certificate, as OpenSSL prints both.
    subject_sm2 = openssl("x509", "-in", certs / "seal.crt", "-noout", "-subject", "-nameopt", "RFC2253,-esc_msb")
    subject_ec = openssl(
        "x509", "-in", pki_files.certs / "seal.crt", "-noout", "-subject", "-nameopt", "RFC2253,-esc_msb"
    )
    assert subject_sm2.stdout == subject_ec.stdout and "蒲县克城镇人民政府行政审批服务专用章" in subject_sm2.stdout


def test_openssl_verifies_every_link_of_the_sm2_chain(sm2, openssl: Run) -> None:
    _, _, certs = sm2
    issuing = openssl("verify", "-vfyopt", DISTID, "-CAfile", certs / "root.crt", certs / "issuing.crt")
    assert issuing.returncode == 0 and ": OK" in issuing.stdout, issuing.stdout + issuing.stderr
    for leaf in ("seal.crt", "maker.crt", "tsa.crt", "ocsp.crt"):
        done = openssl("verify", "-vfyopt", DISTID, "-partial_chain", "-CAfile", certs / "issuing.crt", certs / leaf)
        assert done.returncode == 0 and ": OK" in done.stdout, (leaf, done.stdout + done.stderr)
    # and refuses a link that is not one: the seal certificate against the root
    wrong = openssl("verify", "-vfyopt", DISTID, "-partial_chain", "-CAfile", certs / "root.crt", certs / "seal.crt")
    assert wrong.returncode != 0


def test_the_root_signs_itself_with_the_default_user_id(sm2, openssl: Run, tmp_path: Path) -> None:
    pki, _, certs = sm2
    tbs, signature = signed_parts(pki.root.der)
    root_key = public_key_pem(openssl, certs / "root.crt", tmp_path / "root.pub")
    assert pkeyutl_verify(openssl, root_key, tbs, signature, tmp_path)
    assert not pkeyutl_verify(openssl, root_key, tbs[:-1] + bytes([tbs[-1] ^ 1]), signature, tmp_path)


def test_keys_are_encrypted_at_rest_and_never_overwritten(sm2, openssl: Run) -> None:
    _, keys, certs = sm2
    for key_id in ("root", "issuing", "maker", "tsa", "ocsp", "seal-1"):
        path = keys.directory / f"{key_id}.key.pem"
        assert path.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    maker = keys.directory / "maker.key.pem"
    pub = openssl("pkey", "-in", maker, "-passin", f"pass:{PASSPHRASE.decode()}", "-pubout")
    cert_pub = openssl("x509", "-in", certs / "maker.crt", "-noout", "-pubkey")
    assert pub.returncode == 0 and pub.stdout == cert_pub.stdout
    assert openssl("pkey", "-in", maker, "-passin", "pass:wrong", "-noout").returncode != 0
    with pytest.raises(ConfigError) as wrong:
        FileSm2KeyStore(keys.directory, passphrase=b"wrong").signer("maker")
    assert wrong.value.code == "wrong_passphrase"
    with pytest.raises(ConflictError):
        keys.generate("maker")
    with pytest.raises(ConflictError):
        Sm2CountyPKI.create(keys, certs.parent, COUNTY, base_url=BASE_URL, at=now())


def test_loading_checks_the_hierarchy(sm2, tmp_path: Path) -> None:
    pki, keys, certs = sm2
    loaded = Sm2CountyPKI.load(keys, certs.parent)
    assert loaded.maker.der == pki.maker.der and loaded.base_url == BASE_URL
    broken = tmp_path / "certs"
    (broken / SM2_DIR).mkdir(parents=True)
    for name in ("root.crt", "issuing.crt", "tsa.crt", "ocsp.crt"):
        (broken / SM2_DIR / name).write_bytes((certs / name).read_bytes())
    (broken / SM2_DIR / "maker.crt").write_bytes((certs / "seal.crt").read_bytes())  # not the maker's key
    with pytest.raises(ConfigError) as e:
        Sm2CountyPKI.load(keys, broken)
    assert e.value.code == "pki_inconsistent"
    with pytest.raises(ConfigError) as missing:
        Sm2CountyPKI.load(keys, tmp_path / "nothing")
    assert missing.value.code == "sm2_pki_not_initialized"


def test_openssl_reads_an_sm2_crl_and_accepts_its_signature(sm2, openssl: Run, tmp_path: Path) -> None:
    pki, _, certs = sm2
    at = now()
    entries = [
        CertStatus(
            0x1234,
            CertKind.SEAL,
            pki.issuing.asn1.serial_number,
            CertState.REVOKED,
            at,
            at,
            RevocationReason.SUPERSEDED,
        ),
        CertStatus(
            0x5678,
            CertKind.SEAL,
            pki.issuing.asn1.serial_number,
            CertState.ON_HOLD,
            at,
            at,
            RevocationReason.CERTIFICATE_HOLD,
        ),
        CertStatus(0x9ABC, CertKind.SEAL, pki.issuing.asn1.serial_number, CertState.GOOD, at),
    ]
    der = sm2_crl(pki.issuing, pki.issuing_signer, entries, number=7, at=at, period=dt.timedelta(days=7))
    (tmp_path / "crl.der").write_bytes(der)
    text = openssl("crl", "-inform", "DER", "-in", tmp_path / "crl.der", "-noout", "-text")
    assert text.returncode == 0, text.stderr
    assert (
        "Signature Algorithm: SM2-with-SM3" in text.stdout and "X509v3 CRL Number: \n                7" in text.stdout
    )
    assert "Serial Number: 1234" in text.stdout and "Superseded" in text.stdout
    assert "Serial Number: 5678" in text.stdout and "Certificate Hold" in text.stdout
    assert "9ABC" not in text.stdout
    tbs, signature = signed_parts(der)
    issuing_key = public_key_pem(openssl, certs / "issuing.crt", tmp_path / "issuing.pub")
    assert pkeyutl_verify(openssl, issuing_key, tbs, signature, tmp_path)
    root_key = public_key_pem(openssl, certs / "root.crt", tmp_path / "root.pub")
    assert not pkeyutl_verify(openssl, root_key, tbs, signature, tmp_path)
    root_crl = openssl("crl", "-inform", "DER", "-in", certs / "root.crl", "-noout", "-text")
    assert root_crl.returncode == 0 and "No Revoked Certificates" in root_crl.stdout


def test_the_home_trust_is_its_root_issuing_ca_and_their_crls(sm2, engine) -> None:  # type: ignore[no-untyped-def]
    pki, _, certs = sm2
    offline = county_sm2_trust(pki, certs.parent, at=now())
    root_crl = (certs / "root.crl").read_bytes()
    assert offline.roots == (pki.root.der,) and offline.intermediates == (pki.issuing.der,)
    assert offline.crls == (root_crl,)  # no transaction: nothing asked of the database
    factory = make_session_factory(engine)
    online = county_sm2_trust(pki, certs.parent, at=now(), transaction=lambda: session_scope(factory))
    assert online.crls[0] == root_crl and len(online.crls) == 2
    again = county_sm2_trust(pki, certs.parent, at=now(), transaction=lambda: session_scope(factory))
    assert again.crls[1] == online.crls[1]  # the stored CRL is served again, not a new number
