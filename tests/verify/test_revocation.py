"""The revocation rule of esign.verify.revocation, on hand-made evidence."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp

from esign.pki.status import CertState
from esign.verify.report import RevocationSource, SubIndication
from esign.verify.revocation import Evidence, collect_evidence, decide
from tests.verify.scenarios import LATER, STAMPED, _county

H = dt.timedelta(hours=1)
GOOD = CertState.GOOD


def ev(state: CertState, issued: dt.datetime, revoked: dt.datetime | None = None) -> Evidence:
    return Evidence("crl", RevocationSource.SUPPLIED, issued, issued + 7 * 24 * H, state, revoked)


@pytest.mark.parametrize(
    ("evidence", "poe", "expected"),
    [
        ([], STAMPED, SubIndication.TRY_LATER),
        ([ev(GOOD, STAMPED)], STAMPED, None),
        ([ev(GOOD, STAMPED)], None, None),  # still valid at LATER (nextUpdate a week on)
        ([ev(GOOD, STAMPED - 30 * 24 * H)], None, SubIndication.TRY_LATER),  # stale
        ([ev(CertState.REVOKED, LATER, STAMPED + H)], STAMPED, None),
        ([ev(CertState.REVOKED, LATER, STAMPED - H)], STAMPED, SubIndication.REVOKED),
        ([ev(CertState.REVOKED, LATER, STAMPED + H)], None, SubIndication.REVOKED_NO_POE),
        ([ev(CertState.ON_HOLD, LATER, STAMPED + H)], STAMPED, None),
        ([ev(CertState.ON_HOLD, LATER, STAMPED - H)], STAMPED, SubIndication.TRY_LATER),
        ([ev(CertState.ON_HOLD, LATER, STAMPED + H)], None, SubIndication.TRY_LATER),
        # a hold that was released again is gone (only the latest statement counts for holds)
        ([ev(CertState.ON_HOLD, STAMPED, STAMPED - H), ev(GOOD, LATER)], STAMPED, None),
        # a permanent revocation is never forgotten, even if a later statement omits it
        ([ev(CertState.REVOKED, STAMPED, STAMPED - H), ev(GOOD, LATER)], STAMPED, SubIndication.REVOKED),
    ],
)
def test_decide(evidence: list[Evidence], poe: dt.datetime | None, expected: SubIndication | None) -> None:
    assert decide(evidence, poe=poe, at=LATER).subindication is expected


def test_revoked_after_signing_reports_good_at_signing() -> None:
    d = decide([ev(CertState.REVOKED, LATER, STAMPED + H)], poe=STAMPED, at=LATER)
    assert d.revoked_after_signing and d.at_signing.state is GOOD and d.now.state is CertState.REVOKED


def test_collect_checks_signatures_and_time() -> None:
    county = _county()
    other = __import__("tests.verify.factory", fromlist=["TestPKI"]).TestPKI.create()
    seal = county.issue_seal()
    good = county.crl(STAMPED)
    forged = other.crl(STAMPED)  # same issuer name, other key: must be ignored
    future = county.crl(LATER + 24 * H)  # issued after ``at``: ignored
    evs = collect_evidence(
        seal.cert,
        county.pki.issuing,
        crls=[(good, RevocationSource.EMBEDDED), (forged, RevocationSource.SUPPLIED), (future, RevocationSource.LIVE)],
        ocsps=[(county.ocsp(seal.cert, STAMPED), RevocationSource.EMBEDDED), (b"junk", RevocationSource.SUPPLIED)],
        at=LATER,
    )
    assert sorted((e.kind, e.source.value) for e in evs) == [("crl", "embedded"), ("ocsp", "embedded")]
    assert all(e.state is GOOD for e in evs)


def test_ocsp_hold_and_revocation_read() -> None:
    county = _county()
    held, revoked = county.issue_seal(), county.issue_seal()
    county.hold(held, at=STAMPED)
    county.revoke(revoked, at=STAMPED)
    for seal, state in ((held, CertState.ON_HOLD), (revoked, CertState.REVOKED)):
        (e,) = collect_evidence(
            seal.cert,
            county.pki.issuing,
            crls=[],
            ocsps=[(county.ocsp(seal.cert, LATER), RevocationSource.LIVE)],
            at=LATER,
        )
        assert e.state is state and e.revoked_at == STAMPED


def _forged_answer(seal_cert: x509.Certificate, issuer: x509.Certificate) -> bytes:
    """A "good" OCSP answer about ``seal_cert`` naming ``issuer`` as its responder, signed by another key (the
    responder certificate the builder wants is a look-alike of ``issuer`` with that key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    look_alike = (
        x509.CertificateBuilder()
        .subject_name(issuer.subject)
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(STAMPED - H)
        .not_valid_after(LATER + H)
        .sign(key, hashes.SHA256())
    )
    builder = (
        ocsp.OCSPResponseBuilder()
        .add_response(
            cert=seal_cert,
            issuer=issuer,
            algorithm=hashes.SHA256(),
            cert_status=ocsp.OCSPCertStatus.GOOD,
            this_update=LATER - H,
            next_update=LATER + H,
            revocation_time=None,
            revocation_reason=None,
        )
        .responder_id(ocsp.OCSPResponderEncoding.NAME, look_alike)
    )
    return builder.sign(key, hashes.SHA256()).public_bytes(Encoding.DER)


def test_ocsp_answer_signed_with_another_key_is_ignored() -> None:
    """A "good" answer about a revoked seal that names the county's CA as responder but is signed by another key
    says nothing; the county's own "revoked" answer beside it is read, and an answer about another certificate
    says nothing about this one."""
    county = _county()
    seal, other = county.issue_seal(), county.issue_seal()
    county.revoke(seal, at=STAMPED)
    forged = _forged_answer(seal.cert, county.pki.issuing)
    ocsps = [(forged, RevocationSource.SUPPLIED), (county.ocsp(seal.cert, LATER), RevocationSource.EMBEDDED)]
    (e,) = collect_evidence(seal.cert, county.pki.issuing, crls=[], ocsps=ocsps, at=LATER)
    assert e.state is CertState.REVOKED and e.source is RevocationSource.EMBEDDED
    assert collect_evidence(seal.cert, county.pki.issuing, crls=[], ocsps=ocsps[:1], at=LATER) == []
    assert collect_evidence(other.cert, county.pki.issuing, crls=[], ocsps=ocsps[1:], at=LATER) == []
