"""Revocation evidence for one certificate, and the DSS-style decision on it.

Evidence is a CRL or an OCSP response whose signature verifies: a CRL signed by the certificate's
issuer, an OCSP response signed by the issuer or by a delegated responder the issuer certified for
OCSPSigning. Delta CRLs and partitioned CRLs (issuingDistributionPoint) are ignored, as are
statements issued after ``at`` (the verifier reasons as of ``at``). A "good" statement issued after
the certificate expired proves nothing (CAs drop expired certificates from CRLs) and is ignored.
What one CRL or response says about one certificate is worked out once per process, by the SHA-256 of its exact
bytes and the exact certificate and issuer (new revocation data is a new entry; ``at`` applies afterwards).

The rule (:func:`decide`), with ``poe`` the proven signing time (a trusted time-stamp) or None:

1. Any evidence of a permanent revocation at R: if ``poe < R`` the signature stands (revoked after
   signing); if ``poe >= R`` it fails (REVOKED); with no ``poe`` it is INDETERMINATE/REVOKED_NO_POE.
2. The latest evidence says on hold (certificateHold, a suspension) since H: if ``poe < H`` the
   signature stands (suspended after signing); otherwise INDETERMINATE/TRY_LATER, since a hold may
   be released or turned into a revocation. Only the latest statement counts for a hold: a hold
   that was released again is gone, as RFC 5280 treats it.
3. Otherwise some "good" evidence must cover the moment B (``poe``, or ``at`` without one): issued
   at or after B, or valid over B (thisUpdate <= B < nextUpdate). Else INDETERMINATE/TRY_LATER.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from esign.pki.status import CertState
from esign.verify._cache import Lru
from esign.verify.report import RevocationCheck, RevocationSource, SubIndication

__all__ = ["Evidence", "RevocationDecision", "collect_evidence", "decide"]

#: Clock skew tolerated between revocation information and the moment it must cover.
SKEW = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Evidence:
    """One verified statement about the certificate."""

    kind: str
    """``crl`` or ``ocsp``."""
    source: RevocationSource
    """Where it came from."""
    issued_at: dt.datetime
    """thisUpdate."""
    next_update: dt.datetime | None
    """nextUpdate, if given."""
    state: CertState
    """good / revoked / on_hold (never unknown)."""
    revoked_at: dt.datetime | None = None
    """Revocation or hold time."""
    reason: str | None = None
    """RFC 5280 reason name."""

    def check(self) -> RevocationCheck:
        """As a report field."""
        return RevocationCheck(
            state=self.state,
            source=self.source,
            kind=self.kind,
            issued_at=self.issued_at,
            next_update=self.next_update,
            revoked_at=self.revoked_at,
            reason=self.reason,
        )


@dataclass(frozen=True)
class RevocationDecision:
    """The outcome of :func:`decide`."""

    subindication: SubIndication | None
    """None if revocation does not stand in the way."""
    at_signing: RevocationCheck
    """Status at the proven signing time (or at ``at`` without one)."""
    now: RevocationCheck
    """Latest status known as of ``at``."""
    revoked_after_signing: bool = False
    """Revoked, but only after the proven signing time."""
    held_after_signing: bool = False
    """On hold, but only since after the proven signing time."""


def _verify(public_key: object, signature: bytes, data: bytes, algorithm: hashes.HashAlgorithm | None) -> bool:
    try:
        if isinstance(public_key, ec.EllipticCurvePublicKey) and algorithm is not None:
            public_key.verify(signature, data, ec.ECDSA(algorithm))
        elif isinstance(public_key, rsa.RSAPublicKey) and algorithm is not None:
            public_key.verify(signature, data, padding.PKCS1v15(), algorithm)
        else:
            return False
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def _reason_name(reason: x509.ReasonFlags | None) -> str | None:
    return None if reason is None else reason.value


def _from_crl(
    der: bytes, source: RevocationSource, cert: x509.Certificate, issuer: x509.Certificate
) -> Evidence | None:
    try:
        crl = x509.load_der_x509_crl(der)
    except ValueError:
        try:
            crl = x509.load_pem_x509_crl(der)
        except ValueError:
            return None
    try:
        if crl.issuer != issuer.subject or not crl.is_signature_valid(issuer.public_key()):  # type: ignore[arg-type]
            return None
        for ext in crl.extensions:
            if isinstance(ext.value, x509.DeltaCRLIndicator | x509.IssuingDistributionPoint):
                return None
        entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
        issued, nxt = crl.last_update_utc, crl.next_update_utc
        if entry is None:
            return Evidence("crl", source, issued, nxt, CertState.GOOD)
        reason: x509.ReasonFlags | None = None
        try:
            reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
        except x509.ExtensionNotFound:
            pass
        state = CertState.ON_HOLD if reason is x509.ReasonFlags.certificate_hold else CertState.REVOKED
        return Evidence("crl", source, issued, nxt, state, entry.revocation_date_utc, _reason_name(reason))
    except (ValueError, TypeError):
        return None


def _ocsp_signer(resp: ocsp.OCSPResponse, issuer: x509.Certificate) -> x509.Certificate | None:
    """The certificate that signed ``resp``: the issuer itself or a delegated responder it certified."""
    candidates = [issuer, *resp.certificates]
    for cand in candidates:
        if resp.responder_name is not None:
            if cand.subject != resp.responder_name:
                continue
        else:
            ski = x509.SubjectKeyIdentifier.from_public_key(cand.public_key()).digest
            if ski != resp.responder_key_hash:
                continue
        if cand is issuer or cand == issuer:
            return issuer
        try:
            cand.verify_directly_issued_by(issuer)
            eku = cand.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except (ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound):
            continue
        produced = resp.produced_at_utc
        if (
            ExtendedKeyUsageOID.OCSP_SIGNING in eku
            and cand.not_valid_before_utc <= produced <= cand.not_valid_after_utc
        ):
            return cand
    return None


def _from_ocsp(
    der: bytes, source: RevocationSource, cert: x509.Certificate, issuer: x509.Certificate
) -> Evidence | None:
    try:
        resp = ocsp.load_der_ocsp_response(der)
        if resp.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
            return None
        # An answer about other certificates says nothing about this one, whoever signed it: its signature is
        # checked only when it may be used (a document's answer about its seal is offered for its TSA too).
        singles = [single for single in resp.responses if single.serial_number == cert.serial_number]
        if not singles:
            return None
        signer = _ocsp_signer(resp, issuer)
        if signer is None or not _verify(
            signer.public_key(), resp.signature, resp.tbs_response_bytes, resp.signature_hash_algorithm
        ):
            return None
        for single in singles:
            algo = single.hash_algorithm
            h = hashes.Hash(algo)
            h.update(issuer.subject.public_bytes())
            if h.finalize() != single.issuer_name_hash:
                continue
            issued, nxt = single.this_update_utc, single.next_update_utc
            if single.certificate_status is ocsp.OCSPCertStatus.GOOD:
                return Evidence("ocsp", source, issued, nxt, CertState.GOOD)
            if single.certificate_status is ocsp.OCSPCertStatus.REVOKED:
                reason = single.revocation_reason
                state = CertState.ON_HOLD if reason is x509.ReasonFlags.certificate_hold else CertState.REVOKED
                return Evidence("ocsp", source, issued, nxt, state, single.revocation_time_utc, _reason_name(reason))
            return None
    except (ValueError, TypeError, NotImplementedError):
        return None
    return None


# The same CRLs and OCSP responses come with every document of a revocation epoch: what one says about one
# certificate is verified once per process. Keyed by the SHA-256 of the exact bytes, the certificate and the issuer
# (cryptography compares those by their DER), so new revocation data is a new entry; the answer does not depend on
# the validation time, which collect_evidence applies afterwards.
_STATEMENTS: Lru[tuple[object, ...], Evidence | None] = Lru(1024)


def _verified(
    kind: str, der: bytes, source: RevocationSource, cert: x509.Certificate, issuer: x509.Certificate
) -> Evidence | None:
    read = _from_crl if kind == "crl" else _from_ocsp
    key = (kind, hashlib.sha256(der).digest(), len(der), source, cert, issuer)
    return _STATEMENTS.get(key, lambda: read(der, source, cert, issuer))


def collect_evidence(
    cert: x509.Certificate,
    issuer: x509.Certificate,
    *,
    crls: Iterable[tuple[bytes, RevocationSource]],
    ocsps: Iterable[tuple[bytes, RevocationSource]],
    at: dt.datetime,
) -> list[Evidence]:
    """Every verified statement about ``cert`` issued no later than ``at`` (see the module docstring)."""
    out: list[Evidence] = []
    seen: set[tuple[object, ...]] = set()
    for der, source in crls:
        ev = _verified("crl", der, source, cert, issuer)
        if ev is not None:
            out.append(ev)
    for der, source in ocsps:
        ev = _verified("ocsp", der, source, cert, issuer)
        if ev is not None:
            out.append(ev)
    result = []
    for ev in out:
        if ev.issued_at > at + SKEW:
            continue
        if ev.state is CertState.GOOD and ev.issued_at > cert.not_valid_after_utc:
            continue
        ident = (ev.kind, ev.issued_at, ev.state, ev.revoked_at)
        if ident in seen:
            continue
        seen.add(ident)
        result.append(ev)
    return result


_SOURCE_RANK = {RevocationSource.LIVE: 3, RevocationSource.SUPPLIED: 2, RevocationSource.EMBEDDED: 1}


def decide(evidence: list[Evidence], *, poe: dt.datetime | None, at: dt.datetime) -> RevocationDecision:
    """Apply the rule of the module docstring."""
    unknown = RevocationCheck(CertState.UNKNOWN, RevocationSource.NONE)
    if not evidence:
        return RevocationDecision(SubIndication.TRY_LATER, unknown, unknown)
    latest = max(evidence, key=lambda e: (e.issued_at, _SOURCE_RANK.get(e.source, 0), e.kind == "ocsp"))
    revoked = [e for e in evidence if e.state is CertState.REVOKED and e.revoked_at is not None]
    if revoked:
        first = min(revoked, key=lambda e: e.revoked_at or at)
        assert first.revoked_at is not None
        now = first.check()
        if poe is not None and poe < first.revoked_at:
            # Revocation dates are authoritative: before R the certificate was not revoked.
            at_signing = _covering(evidence, poe) or replace(now, state=CertState.GOOD, revoked_at=None, reason=None)
            return RevocationDecision(None, at_signing, now, revoked_after_signing=True)
        if poe is not None:
            return RevocationDecision(SubIndication.REVOKED, now, now)
        return RevocationDecision(SubIndication.REVOKED_NO_POE, unknown, now)
    now = latest.check()
    if latest.state is CertState.ON_HOLD and latest.revoked_at is not None:
        if poe is not None and poe < latest.revoked_at:
            at_signing = _covering(evidence, poe) or replace(now, state=CertState.GOOD, revoked_at=None, reason=None)
            return RevocationDecision(None, at_signing, now, held_after_signing=True)
        return RevocationDecision(SubIndication.TRY_LATER, now if poe is not None else unknown, now)
    moment = poe or at
    covering = _covering(evidence, moment)
    if covering is None:
        return RevocationDecision(SubIndication.TRY_LATER, unknown, now)
    return RevocationDecision(None, covering, now)


def _covering(evidence: list[Evidence], moment: dt.datetime) -> RevocationCheck | None:
    good = [
        e
        for e in evidence
        if e.state is CertState.GOOD
        and (e.issued_at >= moment - SKEW or (e.next_update is not None and e.issued_at <= moment < e.next_update))
    ]
    if not good:
        return None
    # Prefer the statement closest after the moment (what was known right after signing).
    best = min(good, key=lambda e: (abs((e.issued_at - moment).total_seconds()), -_SOURCE_RANK.get(e.source, 0)))
    return best.check()
