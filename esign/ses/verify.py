"""Verifying GB/T 38540 seal data on its own (``esign ses verify FILE.esl``) and the seal part of a signature.

The checks, in the order of GB/T 38540-2020 §7.3 (its seal steps), each with the sub-indication it
gives (ETSI EN 319 102-1 vocabulary, as the PAdES verifier reports):

1. format: a DER SES_Seal, header ``ES`` version 4, SM2-with-SM3, a signer list (FORMAT_FAILURE);
2. the maker's signature over DER(SES_SealInfo) with the maker certificate's key (SIG_CRYPTO_FAILURE);
3. the maker certificate: its path to a trust root (NO_CERTIFICATE_CHAIN_FOUND), issuers that are CAs
   (CHAIN_CONSTRAINTS_FAILURE), validity at the time asked (EXPIRED / NOT_YET_VALID, or
   OUT_OF_BOUNDS_NO_POE inside a signature without a proven time), revocation (REVOKED, TRY_LATER);
4. the seal's own validity, validStart <= time <= validEnd (EXPIRED / NOT_YET_VALID);
5. for a seal on its own, the validity of the signer certificates it lists (EXPIRED).

Every finding is kept in ``reasons``; the sub-indication is the most serious one. A seal on its own is
judged at ``at``; inside a signature, :func:`check_seal` is called with the proven signing time.
Not checked here: anything about a document (that is :mod:`esign.ses.signature`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography import x509

from esign.errors import InputError
from esign.pki.sm2 import Sm2PublicKey, signature_from_raw
from esign.pki.sm2_certs import Sm2Certificate
from esign.pki.status import CertState
from esign.ses.chain import ChainResult, RevocationLookup, name_text, validate_chain
from esign.ses.findings import finding
from esign.ses.seal import Seal, SesFormatError, parse_seal
from esign.verify.certs import certificate_info
from esign.verify.conclusion import conclusion, legal_conditions
from esign.verify.report import (
    SUBINDICATION_PRIORITY,
    UNKNOWN_REVOCATION,
    CertificateInfo,
    ChangeCategory,
    ChangesAfterSigning,
    Coverage,
    Finding,
    Indication,
    SealDataInfo,
    SignatureReport,
    SubIndication,
    VerificationReport,
    indication_of,
    worst_subindication,
)

__all__ = [
    "SealCheck",
    "SesTrust",
    "by_severity",
    "cert_info",
    "check_seal",
    "verify_seal",
    "verify_value",
    "worst",
]


def worst(subs: Sequence[SubIndication]) -> SubIndication | None:
    """The most serious sub-indication of ``subs`` (the PAdES verifier's order)."""
    return worst_subindication(subs)


def by_severity(subs: Sequence[SubIndication], reasons: Sequence[Finding]) -> tuple[Finding, ...]:
    """``reasons`` (one per entry of ``subs``) most serious first, so the first one explains the verdict."""
    if len(subs) != len(reasons):
        return tuple(reasons)
    rank = {s: i for i, s in enumerate(SUBINDICATION_PRIORITY)}
    pairs = sorted(zip(subs, reasons, strict=True), key=lambda p: rank.get(p[0], len(rank)))
    return tuple(r for _, r in pairs)


def _t(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M:%S 北京时间")


@dataclass(frozen=True)
class SesTrust:
    """What seals and signatures are checked against."""

    roots: tuple[Sm2Certificate, ...]
    """Trust anchors (the county's SM2 root)."""
    intermediates: tuple[Sm2Certificate, ...] = ()
    """Other certificates that may complete a path (the issuing CA)."""
    revocation: RevocationLookup | None = None
    """Revocation status source; None: unknown (gives TRY_LATER for trusted certificates)."""

    @classmethod
    def of(
        cls,
        roots: Sequence[bytes | Sm2Certificate],
        intermediates: Sequence[bytes | Sm2Certificate] = (),
        revocation: RevocationLookup | None = None,
    ) -> SesTrust:
        """From DER certificates or parsed ones."""

        def load(items: Sequence[bytes | Sm2Certificate]) -> tuple[Sm2Certificate, ...]:
            return tuple(c if isinstance(c, Sm2Certificate) else Sm2Certificate.from_der(c) for c in items)

        return cls(load(roots), load(intermediates), revocation)


def verify_value(public_key: Sm2PublicKey, signature: bytes, data: bytes) -> tuple[bool, bool]:
    """(valid, bare): an SM2 signature in DER, or else a bare 64-byte ``r || s`` (what some devices and
    seal makers write; GB/T 38540 v4 means DER). ``bare`` says the second form was needed."""
    if public_key.verify(signature, data):
        return True, False
    if len(signature) == 64:
        return public_key.verify(signature_from_raw(signature), data), True
    return False, False


def cert_info(der: bytes) -> CertificateInfo | None:
    """What a report shows of a certificate (None if cryptography cannot read it)."""
    try:
        return certificate_info(x509.load_der_x509_certificate(der))
    except ValueError:
        return None


def _not_after(cert: Sm2Certificate) -> dt.datetime:
    value: dt.datetime = cert.asn1["tbs_certificate"]["validity"]["not_after"].native
    return value


@dataclass
class SealCheck:
    """The outcome of :func:`check_seal` (mutable while the caller adds its own findings)."""

    seal: Seal
    """The seal data as read."""
    maker_valid: bool
    """The maker's signature verifies."""
    maker_chain: ChainResult | None
    """The maker certificate's path (None if the certificate is not an SM2 certificate)."""
    subs: list[SubIndication] = field(default_factory=list)
    """Sub-indications found."""
    reasons: list[Finding] = field(default_factory=list)
    """What was found wrong."""
    warnings: list[Finding] = field(default_factory=list)
    """What is worth knowing but decides nothing."""

    def info(self) -> SealDataInfo:
        """The report's view of the seal."""
        s = self.seal
        return SealDataInfo(
            es_id=s.es_id,
            name=s.name,
            seal_type=s.seal_type,
            vid=s.vid,
            create_date=s.create_date,
            valid_start=s.valid_start,
            valid_end=s.valid_end,
            maker=cert_info(s.maker_cert),
            maker_chain=() if self.maker_chain is None else self.maker_chain.issuer_subjects,
            maker_signature_valid=self.maker_valid,
            picture_type=s.picture.type,
            picture_mm=(s.picture.width_mm, s.picture.height_mm),
        )


def check_seal(
    seal: Seal, trust: SesTrust, *, time: dt.datetime, now: dt.datetime, proven: bool, standalone: bool
) -> SealCheck:
    """Steps 2-5 of the module docstring for a parsed seal at ``time``, revocation as known at ``now``.

    ``proven``: ``time`` is a fact (the validation time of a seal on its own, or a trusted time-stamp),
    so an expired certificate is EXPIRED and a revocation after ``time`` does not count; otherwise
    OUT_OF_BOUNDS_NO_POE and REVOKED_NO_POE. ``standalone`` adds step 5.
    """
    try:
        maker = Sm2Certificate.from_der(seal.maker_cert)
    except InputError:
        check = SealCheck(seal, False, None)
        check.subs.append(SubIndication.FORMAT_FAILURE)
        check.reasons.append(finding("ses_unreadable", detail="制章者证书不是 SM2 证书 / maker certificate is not SM2"))
        return check
    valid, bare = verify_value(maker.public_key, seal.signed_value, seal.seal_info_der)
    chain = validate_chain(
        maker,
        roots=trust.roots,
        intermediates=trust.intermediates,
        at=time,
        revocation=trust.revocation,
        revocation_at=now,
    )
    check = SealCheck(seal, valid, chain)
    subs, reasons = check.subs, check.reasons
    if valid and bare:
        check.warnings.append(finding("signature_raw_rs", what="制章者", what_en="maker's"))
    if not valid:
        subs.append(SubIndication.SIG_CRYPTO_FAILURE)
        reasons.append(finding("maker_signature_invalid"))
    if not chain.trusted:
        subs.append(SubIndication.NO_CERTIFICATE_CHAIN_FOUND)
        reasons.append(finding("maker_untrusted", issuer=chain.top_issuer))
    if chain.bad_issuers:
        subs.append(SubIndication.CHAIN_CONSTRAINTS_FAILURE)
        reasons.append(finding("chain_constraints"))
    if chain.expired:
        subs.append(SubIndication.EXPIRED if proven else SubIndication.OUT_OF_BOUNDS_NO_POE)
        reasons.append(finding("maker_expired", until=_t(min(_not_after(c) for c in chain.expired))))
    if chain.not_yet_valid:
        subs.append(SubIndication.NOT_YET_VALID if proven else SubIndication.OUT_OF_BOUNDS_NO_POE)
        reasons.append(finding("maker_not_yet_valid"))
    status = chain.revocation
    revoked = status.state in (CertState.REVOKED, CertState.ON_HOLD)
    if (revoked and not (proven and status.revoked_at is not None and status.revoked_at > time)) or (
        chain.revoked_issuers
    ):
        subs.append(SubIndication.REVOKED if proven else SubIndication.REVOKED_NO_POE)
        reasons.append(finding("maker_revoked", when=_t(status.revoked_at or time)))
    elif chain.trusted and status.state is CertState.UNKNOWN:
        subs.append(SubIndication.TRY_LATER)
        reasons.append(finding("maker_no_revocation_info"))
    if time > seal.valid_end:
        subs.append(SubIndication.EXPIRED)
        reasons.append(finding("seal_expired", until=_t(seal.valid_end)))
    elif time < seal.valid_start:
        subs.append(SubIndication.NOT_YET_VALID)
        reasons.append(finding("seal_not_yet_valid", since=_t(seal.valid_start)))
    if standalone:
        for der in seal.signer_certs:
            try:
                signer = Sm2Certificate.from_der(der)
            except InputError:
                continue
            if _not_after(signer) < time:
                subs.append(SubIndication.EXPIRED)
                subject = name_text(signer.subject_der)
                reasons.append(finding("signer_cert_expired", subject=subject, until=_t(_not_after(signer))))
    return check


_SEAL_PASSED = (
    "有效：电子印章数据真实有效，由受信任的制章者制作，当前在有效期内。",
    "Valid: the electronic seal data is genuine, made by a trusted maker, and currently within its validity.",
)


def _report(
    data: bytes,
    at: dt.datetime,
    signatures: tuple[SignatureReport, ...],
    problems: tuple[Finding, ...],
    passed_text: tuple[str, str],
) -> VerificationReport:
    if problems:
        sub: SubIndication | None = SubIndication.FORMAT_FAILURE
    else:
        sub = worst([s.subindication for s in signatures if s.subindication is not None])
    indication = indication_of(sub)
    if indication is Indication.TOTAL_PASSED:
        zh, en = passed_text
    else:
        zh, en = conclusion(indication, signatures, problems)
    return VerificationReport(
        indication=indication,
        subindication=sub,
        conclusion_zh=zh,
        conclusion_en=en,
        validation_time=at,
        document_sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        revisions=0,
        signatures=signatures,
        document_timestamps=(),
        problems=problems,
        conditions=legal_conditions(signatures, problems),
    )


def verify_seal(data: bytes, trust: SesTrust, *, at: dt.datetime) -> VerificationReport:
    """Verify a seal (DER SES_Seal) on its own at ``at``; never raises for bad input, the report says it."""
    at = at.astimezone(dt.UTC)
    try:
        seal = parse_seal(data)
    except SesFormatError as e:
        problem = Finding("ses_unreadable", e.message_zh, e.message_en)
        return _report(data, at, (), (problem,), _SEAL_PASSED)
    check = check_seal(seal, trust, time=at, now=at, proven=True, standalone=True)
    sub = worst(check.subs)
    chain = check.maker_chain
    report = SignatureReport(
        index=0,
        field_name=f"esID:{seal.es_id}",
        indication=indication_of(sub),
        subindication=sub,
        reasons=by_severity(check.subs, check.reasons),
        warnings=tuple(check.warnings),
        signer=cert_info(seal.maker_cert),
        chain=() if chain is None else chain.issuer_subjects,
        trusted_signing_time=None,
        claimed_signing_time=seal.create_date,
        timestamp=None,
        level=None,
        coverage=Coverage(byte_range=(), signed_revision=None, revisions=0, whole_revision=True, whole_file=True),
        changes=ChangesAfterSigning(ChangeCategory.NONE, 0),
        intact=True,
        crypto_valid=check.maker_valid,
        revocation_at_signing=UNKNOWN_REVOCATION if chain is None else chain.revocation,
        revocation_now=UNKNOWN_REVOCATION if chain is None else chain.revocation,
        seal=check.info(),
    )
    return _report(data, at, (report,), (), _SEAL_PASSED)
