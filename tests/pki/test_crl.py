from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509

from esign.errors import InputError
from esign.pki import build_crl, current_crl, publish_crl, store
from esign.pki.status import CertKind, CertState, CertStatus, RevocationReason
from tests.pki.conftest import PkiFiles, Run, now

AT = dt.datetime(2025, 6, 1, 8, 0, tzinfo=dt.UTC)


def _entry(serial: int, state: CertState, reason: RevocationReason | None, at: dt.datetime | None) -> CertStatus:
    return CertStatus(
        serial=serial,
        kind=CertKind.SEAL,
        issuer_serial=1,
        state=state,
        not_after=AT + dt.timedelta(days=900),
        revoked_at=at,
        reason=reason,
    )


def test_status_record_is_never_unknown() -> None:
    """``unknown`` is a verifier's answer; a record of it would be put in a CRL or OCSP answer as revoked."""
    with pytest.raises(InputError) as e:
        _entry(15, CertState.UNKNOWN, None, None)
    assert e.value.code == "bad_cert_state"


def test_build_crl_fields(pki_files: PkiFiles) -> None:
    pki = pki_files.pki
    entries = [
        _entry(11, CertState.REVOKED, RevocationReason.KEY_COMPROMISE, AT),
        _entry(12, CertState.ON_HOLD, RevocationReason.CERTIFICATE_HOLD, AT),
        _entry(13, CertState.REVOKED, RevocationReason.UNSPECIFIED, AT),
        _entry(14, CertState.GOOD, None, None),
    ]
    crl = x509.load_der_x509_crl(build_crl(pki.issuing, pki.issuing_key, entries, number=7, at=AT))
    assert crl.is_signature_valid(pki.issuing.public_key())
    assert crl.issuer == pki.issuing.subject
    assert crl.last_update_utc == AT and crl.next_update_utc == AT + dt.timedelta(days=7)
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 7
    aki = crl.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == pki.issuing.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    reasons = {}
    for r in crl:
        try:
            reasons[r.serial_number] = r.extensions.get_extension_for_class(x509.CRLReason).value.reason
        except x509.ExtensionNotFound:
            reasons[r.serial_number] = None
    assert reasons == {11: x509.ReasonFlags.key_compromise, 12: x509.ReasonFlags.certificate_hold, 13: None}
    with pytest.raises(InputError):
        build_crl(pki.issuing, pki.issuing_key, [], number=0, at=AT)


def test_publish_and_current(recorded, pki_files: PkiFiles) -> None:  # type: ignore[no-untyped-def]
    s, pki = recorded, pki_files.pki
    first = current_crl(s, pki, at=AT)
    assert x509.load_der_x509_crl(first).extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 1
    assert current_crl(s, pki, at=AT + dt.timedelta(hours=1)) == first  # nothing changed: reused
    store.revoke(s, pki_files.seal.serial_number, RevocationReason.SUPERSEDED, at=AT)
    second = current_crl(s, pki, at=AT + dt.timedelta(hours=2))  # epoch changed: reissued at once
    crl = x509.load_der_x509_crl(second)
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 2
    assert crl.get_revoked_certificate_by_serial_number(pki_files.seal.serial_number) is not None
    # close to nextUpdate: reissued
    third = current_crl(s, pki, at=AT + dt.timedelta(days=6, hours=12))
    assert x509.load_der_x509_crl(third).extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 3
    # publish always makes a new number
    n4 = x509.load_der_x509_crl(publish_crl(s, pki, at=AT + dt.timedelta(days=7)))
    assert n4.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 4


def _write_crl(tmp_path: Path, der: bytes) -> Path:
    path = tmp_path / "crl.der"
    path.write_bytes(der)
    return path


def test_openssl_verifies_crl(recorded, pki_files: PkiFiles, openssl: Run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s, pki, seal = recorded, pki_files.pki, pki_files.seal
    store.revoke(s, seal.serial_number, RevocationReason.KEY_COMPROMISE, at=now())
    crl = _write_crl(tmp_path, publish_crl(s, pki, at=now()))
    out = openssl(
        "crl", "-in", crl, "-inform", "DER", "-CAfile", pki_files.certs / "chain.pem", "-verify", "-noout", "-text"
    )
    assert out.returncode == 0, out.stderr
    assert "verify OK" in out.stdout + out.stderr
    assert f"{seal.serial_number:X}" in out.stdout.replace(":", "").upper()
    assert "Key Compromise" in out.stdout
    # and openssl verify -crl_check now refuses the seal certificate
    out = openssl(
        "verify",
        "-crl_check",
        "-CAfile",
        pki_files.certs / "chain.pem",
        "-CRLfile",
        crl,
        pki_files.certs / "seal.crt",
    )
    assert out.returncode != 0 and "revoked" in (out.stdout + out.stderr)


def test_openssl_hold_then_release(recorded, pki_files: PkiFiles, openssl: Run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s, pki, seal = recorded, pki_files.pki, pki_files.seal
    store.hold(s, seal.serial_number, at=now())
    crl = _write_crl(tmp_path, publish_crl(s, pki, at=now()))
    out = openssl("crl", "-in", crl, "-inform", "DER", "-noout", "-text")
    assert "Certificate Hold" in out.stdout
    store.release_hold(s, seal.serial_number, at=now())
    crl = _write_crl(tmp_path, current_crl(s, pki, at=now()))
    out = openssl("crl", "-in", crl, "-inform", "DER", "-noout", "-text")
    assert "No Revoked Certificates" in out.stdout
    out = openssl(
        "verify", "-crl_check", "-CAfile", pki_files.certs / "chain.pem", "-CRLfile", crl, pki_files.certs / "seal.crt"
    )
    assert out.returncode == 0, out.stdout + out.stderr
