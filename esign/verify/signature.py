"""The verdict on one signature: structure, integrity, time, certificate, revocation, changes.

Order of precedence for the sub-indication when several things are wrong (every finding is kept
in ``reasons``): structure (FORMAT_FAILURE), integrity (HASH_FAILURE, SIG_CRYPTO_FAILURE), changes
after signing (FORMAT_FAILURE, as DSS's format-checking block reports PDF modifications), then
the certificate at the proven signing time (EXPIRED, NOT_YET_VALID, chain problems), then
revocation (REVOKED, REVOKED_NO_POE, TRY_LATER).

Time: the proven signing time (``poe``) is the genTime of a trusted signature time-stamp, else of
the earliest trusted document time-stamp added after the signature. With a ``poe`` the certificate
path is validated at that time (so a certificate that expired later still passes, and one that
had expired then fails with EXPIRED); without one it is validated at ``at`` (an expired
certificate gives OUT_OF_BOUNDS_NO_POE).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from asn1crypto import cms
from cryptography import x509
from pyhanko.sign.general import find_unique_cms_attribute
from pyhanko.sign.validation import generic_cms
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import PdfSignatureStatus

from esign.pki.status import CertState
from esign.verify._pdf import dget
from esign.verify.certs import certificate_info, from_asn1
from esign.verify.findings import finding
from esign.verify.report import (
    UNKNOWN_REVOCATION,
    ChangeCategory,
    ChangesAfterSigning,
    Coverage,
    Finding,
    PadesLevel,
    RevocationCheck,
    RevocationSource,
    SignatureReport,
    SubIndication,
    TimestampInfo,
    indication_of,
    worst_subindication,
)
from esign.verify.revocation import collect_evidence, decide
from esign.verify.timestamps import RevocationData, check_token, validation_context

__all__ = ["SignatureContext", "evaluate_signature", "unreadable_signature"]

_SUBFILTERS = {"/ETSI.CAdES.detached", "/adbe.pkcs7.detached"}


@dataclass(frozen=True)
class SignatureContext:
    """What every signature of one document is checked against."""

    roots: tuple[x509.Certificate, ...]
    """Trust anchors."""
    at: dt.datetime
    """Validation time."""
    dss_certs: tuple[x509.Certificate, ...]
    """Certificates from the DSS (extra path-building material, never trust)."""
    revocation: RevocationData
    """All CRLs and OCSP responses at hand."""
    doc_timestamps: tuple[TimestampInfo, ...]
    """Checked document time-stamps (with revisions)."""
    dss_revisions: tuple[int, ...]
    """Revisions that added or changed the DSS (0 if the first revision already had one)."""


def _t(value: dt.datetime | None) -> str:
    return "?" if value is None else value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _chain(path: object, leaf: x509.Certificate) -> tuple[str, ...]:
    if path is None:
        return ()
    try:
        certs = [from_asn1(c) for c in path.iter_certs(include_root=True)]  # type: ignore[attr-defined]
    except Exception:
        return ()
    out: list[str] = []
    cur = leaf
    for _ in range(len(certs)):
        nxt = next((c for c in certs if c.subject == cur.issuer and c != cur), None)
        if nxt is None:
            break
        out.append(certificate_info(nxt).subject)
        if nxt.subject == nxt.issuer:
            break
        cur = nxt
    return tuple(out)


def _issuer_from(path: object, leaf: x509.Certificate, pool: Sequence[x509.Certificate]) -> x509.Certificate | None:
    candidates: list[x509.Certificate] = []
    if path is not None:
        try:
            candidates = [from_asn1(c) for c in path.iter_certs(include_root=True)]  # type: ignore[attr-defined]
        except Exception:
            candidates = []
    for c in [*candidates, *pool]:
        if c.subject == leaf.issuer and c != leaf and _issued_by(leaf, c):
            return c
    return None


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except Exception:  # InvalidSignature, ValueError, TypeError for mismatched key types
        return False
    return True


def _adobe_revinfo(signer_info: cms.SignerInfo) -> tuple[list[bytes], list[bytes]]:
    try:
        attr = find_unique_cms_attribute(signer_info["signed_attrs"], "adobe_revocation_info_archival")
    except Exception:
        return [], []
    crls = [c.dump() for c in (attr["crl"] or [])] if attr["crl"] else []
    ocsps = [o.dump() for o in (attr["ocsp"] or [])] if attr["ocsp"] else []
    return crls, ocsps


def unreadable_signature(
    index: int, field_name: str | None, coverage: Coverage, changes: ChangesAfterSigning, detail: str
) -> SignatureReport:
    """The report for a signature whose CMS data cannot even be parsed."""
    reasons = (*coverage.problems, finding("signature_unreadable", detail=detail))
    return SignatureReport(
        index=index,
        field_name=field_name,
        indication=indication_of(SubIndication.FORMAT_FAILURE),
        subindication=SubIndication.FORMAT_FAILURE,
        reasons=reasons,
        warnings=(),
        signer=None,
        chain=(),
        trusted_signing_time=None,
        claimed_signing_time=None,
        timestamp=None,
        level=None,
        coverage=coverage,
        changes=changes,
        intact=None,
        crypto_valid=None,
        revocation_at_signing=UNKNOWN_REVOCATION,
        revocation_now=UNKNOWN_REVOCATION,
    )


class _Verdict:
    """What the checks of one signature found, in the order they ran (mutable while checking)."""

    def __init__(self) -> None:
        self.subs: list[SubIndication] = []
        self.reasons: list[Finding] = []
        self.warnings: list[Finding] = []

    def fail(self, sub: SubIndication, *reasons: Finding) -> None:
        self.subs.append(sub)
        self.reasons.extend(reasons)


@dataclass(frozen=True)
class _ProvenTime:
    """What proves when a signature was made."""

    token: TimestampInfo | None
    """The signature time-stamp (the first trusted one, else the last one read)."""
    poe: dt.datetime | None
    """The proven signing time: the trusted signature time-stamp's, else the earliest trusted later document
    time-stamp's; None when nothing proves it."""
    timestamped: bool
    """A signature time-stamp or a later document time-stamp is present (trusted or not)."""


@dataclass(frozen=True)
class _Crypto:
    """Integrity, signature value and certificate path."""

    intact: bool | None = None
    valid: bool | None = None
    path: object = None
    """certvalidator's validation path (None when none was found)."""
    cert_problem: bool = False
    """The certificate path failed; its revocation then decides nothing more."""


async def evaluate_signature(
    ctx: SignatureContext,
    emb: EmbeddedPdfSignature,
    *,
    index: int,
    coverage: Coverage,
    changes: ChangesAfterSigning,
    signed_revision: int,
) -> SignatureReport:
    """Check one /Sig signature (see the module docstring)."""
    verdict = _Verdict()
    _check_format(verdict, emb.sig_object, coverage, changes)
    signer = _signer_certificate(verdict, emb)
    time = await _proven_time(verdict, ctx, emb, signed_revision)
    crypto = _Crypto()
    at_signing = now = UNKNOWN_REVOCATION
    embedded_evidence = False
    if signer is not None:
        crypto = await _check_crypto(verdict, ctx, emb, signer, time.poe)
        at_signing, now, embedded_evidence = _check_revocation(verdict, ctx, emb, signer, crypto, time.poe)
    sub = worst_subindication(verdict.subs)
    reasons = tuple(verdict.reasons)
    return SignatureReport(
        index=index,
        field_name=emb.field_name,
        indication=indication_of(sub),
        subindication=sub,
        reasons=reasons if sub is not None else (),
        warnings=tuple(verdict.warnings) + (reasons if sub is None else ()),
        signer=certificate_info(signer) if signer is not None else None,
        chain=_chain(crypto.path, signer) if signer is not None else (),
        trusted_signing_time=time.poe,
        claimed_signing_time=_claimed_time(emb),
        timestamp=time.token,
        level=_level(time.timestamped, embedded_evidence, signed_revision, ctx),
        coverage=coverage,
        changes=changes,
        intact=crypto.intact,
        crypto_valid=crypto.valid,
        revocation_at_signing=at_signing,
        revocation_now=now,
        certification_level=_certification_level(emb),
        reason=_text(dget(emb.sig_object, "/Reason")),
        location=_text(dget(emb.sig_object, "/Location")),
    )


def _check_format(verdict: _Verdict, sig_obj: object, coverage: Coverage, changes: ChangesAfterSigning) -> None:
    """Structure: the byte range, the signature format, and what changed after signing."""
    if coverage.problems:
        verdict.fail(SubIndication.FORMAT_FAILURE, *coverage.problems)
    subfilter = str(dget(sig_obj, "/SubFilter", ""))
    if subfilter not in _SUBFILTERS:
        verdict.fail(SubIndication.FORMAT_FAILURE, finding("unsupported_subfilter", subfilter=subfilter or "(none)"))
    if changes.category is ChangeCategory.OTHER:
        detail = "; ".join(c.detail for c in changes.other[:5])
        if len(changes.other) > 5:
            detail += f"; and {len(changes.other) - 5} more"
        verdict.fail(SubIndication.FORMAT_FAILURE, finding("modified_after_signing", detail=detail))


def _signer_certificate(verdict: _Verdict, emb: EmbeddedPdfSignature) -> x509.Certificate | None:
    """The seal certificate the CMS data names, or None (with the reason) when it has none or cannot be read."""
    try:
        return from_asn1(emb.signer_cert)
    except SignatureValidationError:
        verdict.fail(SubIndication.NO_SIGNING_CERTIFICATE_FOUND, finding("no_signing_certificate"))
    except Exception as e:
        verdict.fail(SubIndication.FORMAT_FAILURE, finding("signature_unreadable", detail=str(e)[:200]))
    return None


async def _proven_time(
    verdict: _Verdict, ctx: SignatureContext, emb: EmbeddedPdfSignature, signed_revision: int
) -> _ProvenTime:
    """The signature time-stamp, else the earliest trusted document time-stamp added after the signature."""
    later_docts = [t for t in ctx.doc_timestamps if t.revision is not None and t.revision > signed_revision]
    trusted_docts = sorted((t for t in later_docts if t.trusted and t.time is not None), key=lambda t: t.time)  # type: ignore[arg-type, return-value]
    docts_poe = trusted_docts[0].time if trusted_docts else None
    token: TimestampInfo | None = None
    has_sig_ts = False
    try:
        for tst in generic_cms.extract_tst_data_iter(emb.signer_info, signed=False):
            has_sig_ts = True
            checked = await check_token(
                tst,
                generic_cms.message_imprint_checker(emb.signer_info),
                roots=ctx.roots,
                other_certs=ctx.dss_certs + tuple(from_asn1(c) for c in emb.other_embedded_certs),
                at=ctx.at,
                later_poe=docts_poe,
                revocation=ctx.revocation,
            )
            token = checked.info
            if token.trusted:
                break
    except Exception as e:
        verdict.warnings.append(finding("timestamp_untrusted", detail=f"unreadable ({str(e)[:100]})"))
    if token is not None and not token.trusted:
        verdict.warnings.append(finding("timestamp_untrusted", detail=token.problem or "untrusted"))
    poe = token.time if token is not None and token.trusted else docts_poe
    if poe is None:
        verdict.warnings.append(finding("no_trusted_time"))
    return _ProvenTime(token, poe, has_sig_ts or bool(later_docts))


async def _check_crypto(
    verdict: _Verdict,
    ctx: SignatureContext,
    emb: EmbeddedPdfSignature,
    signer: x509.Certificate,
    poe: dt.datetime | None,
) -> _Crypto:
    """Integrity, the signature value, and the certificate path at the proven time (or at ``at``)."""
    try:
        digest = emb.compute_digest()
        kwargs = await generic_cms.cms_basic_validation(
            emb.signed_data,
            raw_digest=digest,
            validation_context=validation_context(ctx.roots, ctx.dss_certs, poe or ctx.at),
            key_usage_settings=PdfSignatureStatus.default_usage_constraints(),
        )
    except SignatureValidationError as e:
        name = getattr(e.ades_subindication, "name", "FORMAT_FAILURE")
        sub = SubIndication.__members__.get(name, SubIndication.FORMAT_FAILURE)
        verdict.fail(sub, finding("signature_unreadable", detail=e.failure_message[:200]))
        return _Crypto()
    except Exception as e:
        verdict.fail(SubIndication.FORMAT_FAILURE, finding("signature_unreadable", detail=str(e)[:200]))
        return _Crypto()
    intact, valid = bool(kwargs["intact"]), bool(kwargs["valid"])
    path = kwargs.get("validation_path")
    if not intact:
        verdict.fail(SubIndication.HASH_FAILURE, finding("hash_mismatch"))
    elif not valid:
        verdict.fail(SubIndication.SIG_CRYPTO_FAILURE, finding("signature_invalid"))
    indic = kwargs.get("trust_problem_indic")
    cert_problem = False
    if intact and valid and _self_signed_stranger(signer, ctx.roots):
        # A self-signed certificate that is not a trust anchor has no chain at all, whatever
        # certvalidator makes of look-alike names in the pool.
        cert_problem = True
        verdict.fail(SubIndication.NO_CERTIFICATE_CHAIN_FOUND, finding("untrusted_chain"))
    elif intact and valid and indic is not None:
        cert_problem = True
        _certificate_problem(verdict, getattr(indic, "name", str(indic)), signer, poe)
    return _Crypto(intact, valid, path, cert_problem)


def _check_revocation(
    verdict: _Verdict,
    ctx: SignatureContext,
    emb: EmbeddedPdfSignature,
    signer: x509.Certificate,
    crypto: _Crypto,
    poe: dt.datetime | None,
) -> tuple[RevocationCheck, RevocationCheck, bool]:
    """The seal certificate's status at signing and now, and whether embedded data said so."""
    issuer = _issuer_from(crypto.path, signer, [*ctx.dss_certs, *(from_asn1(c) for c in emb.other_embedded_certs)])
    crls, ocsps = list(ctx.revocation.crls), list(ctx.revocation.ocsps)
    a_crls, a_ocsps = _adobe_revinfo(emb.signer_info)
    crls += [(d, RevocationSource.EMBEDDED) for d in a_crls]
    ocsps += [(d, RevocationSource.EMBEDDED) for d in a_ocsps]
    evidence = collect_evidence(signer, issuer, crls=crls, ocsps=ocsps, at=ctx.at) if issuer is not None else []
    embedded_evidence = any(e.source is RevocationSource.EMBEDDED for e in evidence)
    decision = decide(evidence, poe=poe, at=ctx.at)
    now = decision.now
    # Once the certificate failed, its revocation status decides nothing more (but is still said).
    if decision.revoked_after_signing and not crypto.cert_problem:
        verdict.warnings.append(finding("revoked_after_signing", when=_t(now.revoked_at)))
    if decision.held_after_signing:
        verdict.warnings.append(finding("suspended_after_signing", when=_t(now.revoked_at)))
    if decision.subindication is SubIndication.REVOKED:
        verdict.reasons.append(finding("revoked", when=_t(now.revoked_at)))
    elif decision.subindication is SubIndication.REVOKED_NO_POE:
        verdict.reasons.append(finding("revoked_no_poe", when=_t(now.revoked_at)))
    elif decision.subindication is SubIndication.TRY_LATER:
        if now.revoked_at is not None and now.state is CertState.ON_HOLD:
            verdict.reasons.append(finding("suspended", when=_t(now.revoked_at)))
        else:
            verdict.reasons.append(finding("no_revocation_info"))
    if decision.subindication is not None and not crypto.cert_problem:
        verdict.subs.append(decision.subindication)
    return decision.at_signing, now, embedded_evidence


def _claimed_time(emb: EmbeddedPdfSignature) -> dt.datetime | None:
    try:
        return emb.self_reported_timestamp
    except Exception:
        return None


def _certification_level(emb: EmbeddedPdfSignature) -> int | None:
    try:
        perm = emb.docmdp_level
    except Exception:
        return None
    return None if perm is None else int(perm.value)


def _self_signed_stranger(cert: x509.Certificate, roots: Sequence[x509.Certificate]) -> bool:
    return cert.issuer == cert.subject and cert not in roots and _issued_by(cert, cert)


def _text(value: object) -> str | None:
    return None if value is None else str(value)[:500]


def _certificate_problem(verdict: _Verdict, name: str, signer: x509.Certificate, poe: dt.datetime | None) -> None:
    """certvalidator's verdict on the path, as a sub-indication and a reason (EXPIRED or NOT_YET_VALID when a
    proven time shows the certificate out of its validity then)."""
    if name == "OUT_OF_BOUNDS_NO_POE":
        if poe is not None and poe > signer.not_valid_after_utc:
            verdict.fail(SubIndication.EXPIRED, finding("expired", until=_t(signer.not_valid_after_utc)))
        elif poe is not None and poe < signer.not_valid_before_utc:
            verdict.fail(SubIndication.NOT_YET_VALID, finding("not_yet_valid"))
        else:
            verdict.fail(SubIndication.OUT_OF_BOUNDS_NO_POE, finding("out_of_bounds_no_poe"))
    elif name == "NO_CERTIFICATE_CHAIN_FOUND":
        verdict.fail(SubIndication.NO_CERTIFICATE_CHAIN_FOUND, finding("untrusted_chain"))
    elif name == "CHAIN_CONSTRAINTS_FAILURE":
        verdict.fail(SubIndication.CHAIN_CONSTRAINTS_FAILURE, finding("chain_constraints"))
    elif name.startswith("CRYPTO_CONSTRAINTS_FAILURE"):
        verdict.fail(SubIndication.CRYPTO_CONSTRAINTS_FAILURE, finding("crypto_constraints"))
    else:
        verdict.fail(
            SubIndication.__members__.get(name, SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE),
            finding("chain_invalid", detail=name),
        )


def _level(has_time: bool, embedded_evidence: bool, signed_revision: int, ctx: SignatureContext) -> PadesLevel:
    if not has_time:
        return PadesLevel.B_B
    if not embedded_evidence:
        return PadesLevel.B_T
    dss_after = [r for r in ctx.dss_revisions if r >= signed_revision]
    first_dss = min(dss_after) if dss_after else signed_revision
    if any(t.revision is not None and t.revision >= first_dss for t in ctx.doc_timestamps):
        return PadesLevel.B_LTA
    return PadesLevel.B_LT
