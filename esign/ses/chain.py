"""SM2 certificate paths and their revocation status, for GB/T 38540 seals and signatures.

pyHanko's certvalidator cannot check SM2 signatures, so paths are built here, small and strict
(RFC 5280 §6 reduced to what a county hierarchy needs): from the end certificate, each issuer is a
certificate whose subject equals the issuer name *and* whose SM2 key verifies the signature (default
user ID); the path ends at a trust root (same DER, or same subject and key). Checked on the way:
validity of every certificate at the time asked, basicConstraints cA and keyUsage keyCertSign on
issuers, and the revocation status of every non-root certificate from the caller's
:data:`RevocationLookup` (:func:`crl_lookup` reads SM2-signed CRLs). Not checked: name constraints,
policies, path length beyond the depth limit (a county hierarchy has none of these).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509

from esign.pki.sm2 import SM2_WITH_SM3_OID
from esign.pki.sm2_certs import ASN1_REASONS, Sm2Certificate
from esign.pki.status import CertState
from esign.verify.report import UNKNOWN_REVOCATION, RevocationCheck, RevocationSource

__all__ = ["ChainResult", "RevocationLookup", "crl_lookup", "load_sm2_certificates", "name_text", "validate_chain"]

#: (certificate, its issuer, time) -> its status at that time as far as the caller knows.
RevocationLookup = Callable[[Sm2Certificate, Sm2Certificate, dt.datetime], RevocationCheck]

_MAX_DEPTH = 6


@dataclass(frozen=True)
class ChainResult:
    """A path from an end certificate towards a trust root, and what is wrong with it."""

    path: tuple[Sm2Certificate, ...]
    """End certificate first, then its issuers as far as they were found."""
    trusted: bool
    """The path ends at a trust root."""
    expired: tuple[Sm2Certificate, ...]
    """Certificates of the path whose notAfter is before the time asked."""
    not_yet_valid: tuple[Sm2Certificate, ...]
    """Certificates of the path whose notBefore is after the time asked."""
    bad_issuers: tuple[Sm2Certificate, ...]
    """Issuers that are not CAs or may not sign certificates."""
    revocation: RevocationCheck
    """Status of the end certificate."""
    revoked_issuers: tuple[Sm2Certificate, ...]
    """Issuers (not roots) revoked or held at the time asked."""

    @property
    def leaf(self) -> Sm2Certificate:
        """The end certificate."""
        return self.path[0]

    @property
    def top_issuer(self) -> str:
        """The issuer name of the last certificate found (who a stranger's chain claims to come from)."""
        return name_text(self.path[-1].asn1["tbs_certificate"]["issuer"].dump())

    @property
    def issuer_subjects(self) -> tuple[str, ...]:
        """Subjects of the issuers found, nearest first (RFC 4514)."""
        return tuple(name_text(c.subject_der) for c in self.path[1:])


_SHORT = {
    "common_name": "CN",
    "organization_name": "O",
    "organizational_unit_name": "OU",
    "country_name": "C",
    "state_or_province_name": "ST",
    "locality_name": "L",
    "organization_identifier": "organizationIdentifier",
}


def name_text(name_der: bytes) -> str:
    """A DER Name as RFC 4514-style text, most specific first (``CN=...,O=...,C=CN``)."""
    parts = []
    for rdn in reversed(list(asn1_x509.Name.load(name_der).chosen)):
        for atv in rdn:
            key = _SHORT.get(atv["type"].native, atv["type"].dotted)
            try:
                value = atv["value"].native
            except ValueError:  # a value not of its attribute's type (seen in other makers' certificates)
                value = "#" + atv.contents[-64:].hex()
            parts.append(f"{key}={value}")
    return ",".join(parts)


def load_sm2_certificates(data: bytes) -> tuple[Sm2Certificate, ...]:
    """SM2 certificates from DER or a PEM bundle (several ``CERTIFICATE`` blocks)."""
    from asn1crypto import pem

    if pem.detect(data):
        return tuple(Sm2Certificate.from_der(der) for kind, _, der in pem.unarmor(data, multiple=True))
    return (Sm2Certificate.from_der(data),)


def _same(a: Sm2Certificate, b: Sm2Certificate) -> bool:
    return a.der == b.der or (a.subject_der == b.subject_der and a.public_key == b.public_key)


def _valid_issuer(cert: Sm2Certificate) -> bool:
    bc = cert.asn1.basic_constraints_value
    ku = cert.asn1.key_usage_value
    return bc is not None and bool(bc["ca"].native) and (ku is None or "key_cert_sign" in ku.native)


def validate_chain(
    leaf: Sm2Certificate,
    *,
    roots: Sequence[Sm2Certificate],
    intermediates: Sequence[Sm2Certificate] = (),
    at: dt.datetime,
    revocation: RevocationLookup | None = None,
    revocation_at: dt.datetime | None = None,
) -> ChainResult:
    """Build and check the path of ``leaf`` at time ``at`` (see the module docstring).

    Revocation is asked at ``revocation_at`` (default ``at``: a signature proven at ``at`` is judged
    with what is known now); an issuer counts as revoked only if it was revoked at or before ``at``.
    """
    path = [leaf]
    trusted = any(_same(leaf, r) for r in roots)
    pool = [*roots, *intermediates]
    while not trusted and len(path) < _MAX_DEPTH:
        current = path[-1]
        issuer_name = current.asn1["tbs_certificate"]["issuer"].dump()
        issuer = next(
            (c for c in pool if c.subject_der == issuer_name and current.signed_by(c.public_key) and c not in path),
            None,
        )
        if issuer is None:
            break
        path.append(issuer)
        trusted = any(_same(issuer, r) for r in roots)

    def window(c: Sm2Certificate) -> tuple[dt.datetime, dt.datetime]:
        validity = c.asn1["tbs_certificate"]["validity"]
        return validity["not_before"].native, validity["not_after"].native

    expired = tuple(c for c in path if window(c)[1] < at)
    not_yet = tuple(c for c in path if window(c)[0] > at)
    bad_issuers = tuple(c for c in path[1:] if not _valid_issuer(c))
    leaf_status = UNKNOWN_REVOCATION
    revoked_issuers: list[Sm2Certificate] = []
    if revocation is not None:
        for i, cert in enumerate(path[:-1]):
            status = revocation(cert, path[i + 1], revocation_at or at)
            if i == 0:
                leaf_status = status
            elif status.state in (CertState.REVOKED, CertState.ON_HOLD) and (
                status.revoked_at is None or status.revoked_at <= at
            ):
                revoked_issuers.append(cert)
    return ChainResult(tuple(path), trusted, expired, not_yet, bad_issuers, leaf_status, tuple(revoked_issuers))


_REASON_NAMES = {name: reason.value for reason, name in ASN1_REASONS.items()}


def crl_lookup(crls: Sequence[bytes]) -> RevocationLookup:
    """A :data:`RevocationLookup` over DER CRLs signed with SM2-with-SM3 by the certificates' issuers.

    A CRL counts only if its issuer name matches, its signature verifies with the issuer's key, and
    it was issued at or before the time asked; the newest such CRL answers. No CRL: unknown.
    """
    parsed = [asn1_crl.CertificateList.load(d) for d in crls]

    def lookup(cert: Sm2Certificate, issuer: Sm2Certificate, at: dt.datetime) -> RevocationCheck:
        best: asn1_crl.CertificateList | None = None
        for c in parsed:
            tbs = c["tbs_cert_list"]
            if tbs["issuer"].dump() != issuer.subject_der or c["signature_algorithm"]["algorithm"].dotted != (
                SM2_WITH_SM3_OID
            ):
                continue
            if tbs["this_update"].native > at or not issuer.public_key.verify(bytes(c["signature"]), tbs.dump()):
                continue
            if best is None or tbs["this_update"].native > best["tbs_cert_list"]["this_update"].native:
                best = c
        if best is None:
            return UNKNOWN_REVOCATION
        tbs = best["tbs_cert_list"]
        issued, next_update = tbs["this_update"].native, tbs["next_update"].native
        for entry in tbs["revoked_certificates"] or []:
            if entry["user_certificate"].native != cert.asn1.serial_number:
                continue
            reason = entry.crl_reason_value.native if entry.crl_reason_value is not None else None
            held = reason == "certificate_hold"
            return RevocationCheck(
                CertState.ON_HOLD if held else CertState.REVOKED,
                RevocationSource.SUPPLIED,
                "crl",
                issued,
                next_update,
                entry["revocation_date"].native,
                _REASON_NAMES.get(reason, reason) if reason else None,
            )
        return RevocationCheck(CertState.GOOD, RevocationSource.SUPPLIED, "crl", issued, next_update)

    return lookup
