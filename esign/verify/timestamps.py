"""RFC 3161 time-stamp tokens: is one intact, signed, from a trusted TSA, and not revoked?

A token is validated at ``at``; if its TSA certificate has expired by then, it is validated again
at the time proven by a later trusted document time-stamp (the PAdES B-LTA chain), if there is
one. A TSA certificate revoked before the token's genTime, or revoked for keyCompromise at any
time, makes the token untrusted (its key could have back-dated tokens). Without revocation
information about the TSA the token is accepted (soft-fail: the TSA shares the county CA, so the
seal's own revocation check already depends on that CA).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from asn1crypto import cms, tsp
from cryptography import x509
from pyhanko.sign.ades.report import AdESIndeterminate
from pyhanko.sign.validation import generic_cms
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.policy_decl import NO_REVOCATION, CertRevTrustPolicy

from esign.pki.status import CertState
from esign.verify.certs import KNOWN_SIGNATURES, from_asn1, to_asn1
from esign.verify.report import RevocationSource, TimestampInfo
from esign.verify.revocation import collect_evidence

__all__ = ["CheckedToken", "RevocationData", "check_token", "validation_context"]


@dataclass(frozen=True)
class RevocationData:
    """All CRLs and OCSP responses at hand, with their sources."""

    crls: tuple[tuple[bytes, RevocationSource], ...] = ()
    """DER CRLs."""
    ocsps: tuple[tuple[bytes, RevocationSource], ...] = ()
    """DER OCSP responses."""


def validation_context(
    roots: Sequence[x509.Certificate], other_certs: Sequence[x509.Certificate], moment: dt.datetime
) -> ValidationContext:
    """A certvalidator context for path building at ``moment``; revocation is checked by esign itself, signatures
    that verified once are remembered (:class:`esign.verify.certs.KnownSignatures`)."""
    return ValidationContext(
        trust_roots=[to_asn1(c) for c in roots],
        other_certs=[to_asn1(c) for c in other_certs],
        moment=moment,
        best_signature_time=moment,
        allow_fetching=False,
        revinfo_policy=CertRevTrustPolicy(NO_REVOCATION),
        signature_validator=KNOWN_SIGNATURES,
    )


@dataclass(frozen=True)
class CheckedToken:
    """A checked time-stamp token."""

    info: TimestampInfo
    """For the report."""
    gen_time: dt.datetime | None
    """genTime (also when untrusted)."""


def _tst_info(sd: cms.SignedData) -> tsp.TSTInfo | None:
    content = sd["encap_content_info"]["content"]
    parsed = content.parsed if content is not None else None
    return parsed if isinstance(parsed, tsp.TSTInfo) else None


async def check_token(
    signed_data: cms.SignedData,
    imprint: Callable[[str], bytes],
    *,
    roots: Sequence[x509.Certificate],
    other_certs: Sequence[x509.Certificate],
    at: dt.datetime,
    later_poe: dt.datetime | None,
    revocation: RevocationData,
    field_name: str | None = None,
    revision: int | None = None,
) -> CheckedToken:
    """Check one token (see the module docstring)."""
    try:
        info = _tst_info(signed_data)
        gen_time = info["gen_time"].native if info is not None else None
    except Exception:
        info, gen_time = None, None
    if info is None:
        return CheckedToken(
            TimestampInfo(None, None, False, False, False, field_name, revision, "not a time-stamp token"), None
        )
    moments = [at] + ([later_poe] if later_poe is not None and later_poe < at else [])
    kwargs: dict[str, object] = {}
    problem: str | None = None
    for moment in moments:
        try:
            kwargs = await generic_cms.validate_tst_signed_data(
                signed_data, validation_context(roots, other_certs, moment), imprint
            )
        except SignatureValidationError as e:
            return CheckedToken(
                TimestampInfo(gen_time, None, False, False, False, field_name, revision, e.failure_message), gen_time
            )
        except Exception as e:  # malformed tokens raise from deep inside asn1crypto
            return CheckedToken(
                TimestampInfo(gen_time, None, False, False, False, field_name, revision, f"unreadable token: {e}"),
                gen_time,
            )
        indic = kwargs.get("trust_problem_indic")
        if indic is None:
            problem = None
            break
        problem = f"TSA certificate: {getattr(indic, 'name', indic)}"
        if (
            indic is not AdESIndeterminate.OUT_OF_BOUNDS_NO_POE
            and indic is not AdESIndeterminate.CERTIFICATE_CHAIN_GENERAL_FAILURE
        ):
            break
    intact, valid = bool(kwargs.get("intact")), bool(kwargs.get("valid"))
    signer = kwargs.get("signing_cert")
    tsa_name = from_asn1(signer).subject.rfc4514_string() if signer is not None else None
    trusted = intact and valid and problem is None
    path = kwargs.get("validation_path")
    if trusted and signer is not None and path is not None:
        revoked = _tsa_revoked(from_asn1(signer), path, revocation, at, gen_time)
        if revoked:
            trusted, problem = False, revoked
    if not intact:
        problem = "the token does not match what it time-stamps"
    elif not valid:
        problem = "the token's signature does not verify"
    return CheckedToken(
        TimestampInfo(gen_time, tsa_name, intact, valid, trusted, field_name, revision, problem), gen_time
    )


def _tsa_revoked(
    tsa: x509.Certificate, path: object, revocation: RevocationData, at: dt.datetime, gen_time: dt.datetime | None
) -> str | None:
    certs = [from_asn1(c) for c in path.iter_certs(include_root=True)]  # type: ignore[attr-defined]
    issuer = next((c for c in certs if c.subject == tsa.issuer and c != tsa), None)
    if issuer is None:
        return None
    for ev in collect_evidence(tsa, issuer, crls=revocation.crls, ocsps=revocation.ocsps, at=at):
        if ev.state is not CertState.REVOKED or ev.revoked_at is None:
            continue
        if ev.reason == "keyCompromise" or (gen_time is not None and ev.revoked_at <= gen_time):
            return f"TSA certificate revoked at {ev.revoked_at.isoformat()} ({ev.reason or 'unspecified'})"
    return None
