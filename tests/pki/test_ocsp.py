from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp

from esign.errors import InputError
from esign.pki import OcspResponder, store
from esign.pki.status import CertKind, CertState, CertStatus, RevocationReason
from tests.pki.conftest import PkiFiles, Run, now

# OCSP CertIDs are SHA-1 by default (RFC 5019); it only names the issuer, no signature relies on it.
SHA1 = hashes.SHA1()  # noqa: S303


def _request(
    pki_files: PkiFiles,
    *,
    algorithm: hashes.HashAlgorithm = SHA1,
    nonce: bytes | None = None,
    cert: x509.Certificate | None = None,
) -> bytes:
    b = ocsp.OCSPRequestBuilder().add_certificate(cert or pki_files.seal, pki_files.pki.issuing, algorithm)
    if nonce is not None:
        b = b.add_extension(x509.OCSPNonce(nonce), critical=False)
    return b.build().public_bytes(Encoding.DER)


class Lookup:
    """A small fake status source counting its calls."""

    def __init__(self, *statuses: CertStatus) -> None:
        self.statuses = {s.serial: s for s in statuses}
        self.calls = 0

    def __call__(self, serial: int) -> CertStatus | None:
        self.calls += 1
        return self.statuses.get(serial)


def _status(
    pki_files: PkiFiles,
    state: CertState = CertState.GOOD,
    reason: RevocationReason | None = None,
    revoked_at: dt.datetime | None = None,
) -> CertStatus:
    return CertStatus(
        serial=pki_files.seal.serial_number,
        kind=CertKind.SEAL,
        issuer_serial=pki_files.pki.issuing.serial_number,
        state=state,
        not_after=pki_files.seal.not_valid_after_utc,
        revoked_at=revoked_at,
        reason=reason,
    )


def _single(der: bytes) -> ocsp.OCSPResponse:
    resp = ocsp.load_der_ocsp_response(der)
    assert resp.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    return resp


@pytest.mark.parametrize("algorithm", [SHA1, hashes.SHA256()])
def test_good_revoked_hold_unknown(pki_files: PkiFiles, algorithm: hashes.HashAlgorithm) -> None:
    at = dt.datetime(2025, 6, 1, 8, 0, tzinfo=dt.UTC)
    responder = pki_files.pki.ocsp_responder()
    req = _request(pki_files, algorithm=algorithm)

    resp = _single(responder.respond(req, Lookup(_status(pki_files)), at=at))
    assert resp.certificate_status is ocsp.OCSPCertStatus.GOOD
    assert resp.serial_number == pki_files.seal.serial_number
    assert resp.hash_algorithm.name == algorithm.name
    assert resp.this_update_utc == at and resp.next_update_utc == at + dt.timedelta(days=1)
    assert (
        resp.responder_key_hash
        == pki_files.pki.ocsp.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    )
    assert resp.certificates == [pki_files.pki.ocsp]

    revoked_at = at - dt.timedelta(hours=1)
    resp = _single(
        responder.respond(
            req, Lookup(_status(pki_files, CertState.REVOKED, RevocationReason.KEY_COMPROMISE, revoked_at)), at=at
        )
    )
    assert resp.certificate_status is ocsp.OCSPCertStatus.REVOKED
    assert resp.revocation_time_utc == revoked_at
    assert resp.revocation_reason is x509.ReasonFlags.key_compromise

    resp = _single(
        responder.respond(
            req, Lookup(_status(pki_files, CertState.ON_HOLD, RevocationReason.CERTIFICATE_HOLD, revoked_at)), at=at
        )
    )
    assert resp.certificate_status is ocsp.OCSPCertStatus.REVOKED
    assert resp.revocation_reason is x509.ReasonFlags.certificate_hold

    resp = _single(responder.respond(req, Lookup(), at=at))
    assert resp.certificate_status is ocsp.OCSPCertStatus.UNKNOWN


def test_serial_of_another_issuer_is_unknown(pki_files: PkiFiles) -> None:
    # the issuing CA's own serial, asked about as if issued by itself: the store knows it, issued by the root
    pki = pki_files.pki
    req = (
        ocsp.OCSPRequestBuilder()
        .add_certificate_by_hash(*_issuer_hashes(pki_files), pki.issuing.serial_number, SHA1)
        .build()
        .public_bytes(Encoding.DER)
    )
    st = CertStatus(
        serial=pki.issuing.serial_number,
        kind=CertKind.ISSUING,
        issuer_serial=pki.root.serial_number,
        state=CertState.GOOD,
        not_after=pki.issuing.not_valid_after_utc,
    )
    resp = _single(pki.ocsp_responder().respond(req, Lookup(st), at=now()))
    assert resp.certificate_status is ocsp.OCSPCertStatus.UNKNOWN


def _issuer_hashes(pki_files: PkiFiles) -> tuple[bytes, bytes]:
    req = ocsp.load_der_ocsp_request(_request(pki_files))
    return req.issuer_name_hash, req.issuer_key_hash


def test_nonce_is_echoed_and_not_cached(pki_files: PkiFiles) -> None:
    responder = pki_files.pki.ocsp_responder()
    lookup = Lookup(_status(pki_files))
    at = now()
    for nonce in (b"\x01" * 16, b"\x02" * 16):
        resp = _single(responder.respond(_request(pki_files, nonce=nonce), lookup, at=at, epoch=3))
        assert resp.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == nonce
    assert lookup.calls == 2


def test_cache_keyed_by_epoch(pki_files: PkiFiles) -> None:
    responder = pki_files.pki.ocsp_responder(cache_for=dt.timedelta(minutes=10))
    at = now()
    req = _request(pki_files)
    good = Lookup(_status(pki_files))
    first = responder.respond(req, good, at=at, epoch=5)
    assert responder.respond(req, good, at=at + dt.timedelta(minutes=1), epoch=5) == first
    assert good.calls == 1
    # after a revocation the epoch changes: the cached "good" must not be served
    revoked = Lookup(_status(pki_files, CertState.REVOKED, RevocationReason.SUPERSEDED, at))
    resp = _single(responder.respond(req, revoked, at=at + dt.timedelta(minutes=2), epoch=6))
    assert resp.certificate_status is ocsp.OCSPCertStatus.REVOKED
    # too old: answered afresh
    third = responder.respond(req, good, at=at + dt.timedelta(minutes=30), epoch=5)
    assert third != first and good.calls == 2
    # without an epoch nothing is cached
    responder.respond(req, good, at=at)
    responder.respond(req, good, at=at)
    assert good.calls == 4


@pytest.mark.parametrize("garbage", [b"", b"\x00", b"hello world", b"\x30\x03\x02\x01\x01", b"\x30" * 1000])
def test_garbage_is_malformed(pki_files: PkiFiles, garbage: bytes) -> None:
    resp = ocsp.load_der_ocsp_response(pki_files.pki.ocsp_responder().respond(garbage, Lookup(), at=now()))
    assert resp.response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_truncated_request_is_malformed(pki_files: PkiFiles) -> None:
    req = _request(pki_files)
    resp = ocsp.load_der_ocsp_response(pki_files.pki.ocsp_responder().respond(req[:-3], Lookup(), at=now()))
    assert resp.response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_other_issuer_or_hash_is_unauthorized(pki_files: PkiFiles) -> None:
    pki = pki_files.pki
    responder = pki.ocsp_responder()
    # asking about the seal as if the root had issued it
    req = ocsp.OCSPRequestBuilder().add_certificate(pki_files.seal, pki.root, SHA1).build()
    der = req.public_bytes(Encoding.DER)
    assert ocsp.load_der_ocsp_response(responder.respond(der, Lookup(), at=now())).response_status is (
        ocsp.OCSPResponseStatus.UNAUTHORIZED
    )
    der = _request(pki_files, algorithm=hashes.SHA384())
    assert ocsp.load_der_ocsp_response(responder.respond(der, Lookup(), at=now())).response_status is (
        ocsp.OCSPResponseStatus.UNAUTHORIZED
    )


def test_responder_checks_its_certificate(pki_files: PkiFiles) -> None:
    pki = pki_files.pki
    with pytest.raises(InputError):  # the TSA certificate is not an OCSP signer
        OcspResponder(pki.issuing, pki.tsa, pki.tsa_key)
    with pytest.raises(InputError):  # wrong key
        OcspResponder(pki.issuing, pki.ocsp, pki.tsa_key)


def _openssl_status(openssl: Run, pki_files: PkiFiles, resp: Path, digest: str) -> str:
    c = pki_files.certs
    out = openssl(
        "ocsp",
        digest,
        "-no_nonce",
        "-respin",
        resp,
        "-issuer",
        c / "issuing.crt",
        "-cert",
        c / "seal.crt",
        "-CAfile",
        c / "chain.pem",
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Response verify OK" in out.stderr + out.stdout
    return out.stdout


@pytest.mark.parametrize("digest", ["-sha1", "-sha256"])
def test_openssl_client(recorded, pki_files: PkiFiles, openssl: Run, tmp_path: Path, digest: str) -> None:  # type: ignore[no-untyped-def]
    s, c = recorded, pki_files.certs
    responder = pki_files.pki.ocsp_responder()
    req, resp = tmp_path / "req.der", tmp_path / "resp.der"
    out = openssl("ocsp", digest, "-issuer", c / "issuing.crt", "-cert", c / "seal.crt", "-reqout", req)
    assert out.returncode == 0, out.stderr

    def answer() -> None:
        resp.write_bytes(
            responder.respond(req.read_bytes(), lambda n: store.status(s, n), at=now(), epoch=store.revocation_epoch(s))
        )

    answer()
    assert "seal.crt: good" in _openssl_status(openssl, pki_files, resp, digest)
    # the nonce of the request file is echoed: openssl compares it when given the request
    out = openssl("ocsp", "-reqin", req, "-respin", resp, "-CAfile", c / "chain.pem")
    assert out.returncode == 0 and "Response verify OK" in out.stderr + out.stdout, out.stderr
    other = tmp_path / "other.der"
    openssl("ocsp", "-issuer", c / "issuing.crt", "-cert", c / "seal.crt", "-reqout", other)
    out = openssl("ocsp", "-reqin", other, "-respin", resp, "-CAfile", c / "chain.pem")
    assert out.returncode != 0 and "Nonce Verify error" in out.stdout + out.stderr

    store.revoke(s, pki_files.seal.serial_number, RevocationReason.KEY_COMPROMISE, at=now())
    answer()
    text = _openssl_status(openssl, pki_files, resp, digest)
    assert "seal.crt: revoked" in text and "Reason: keyCompromise" in text
