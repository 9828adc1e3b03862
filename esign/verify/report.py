"""The verification report: frozen dataclasses and their stable JSON form.

Indications and sub-indications use the vocabulary of ETSI EN 319 102-1 (clause 5.1.3) as EU DSS
reports it. ``NO_SIGNATURE_FOUND`` is the one esign extension: a document without any seal.

JSON keys (``to_dict``) are stable: new keys may be added, existing keys are never renamed or
removed. Times are ISO 8601 UTC strings ending in ``Z``; absent values are ``null``.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from esign.pki.status import CertState

__all__ = [
    "SUBINDICATION_PRIORITY",
    "CertificateInfo",
    "ChangeCategory",
    "ChangeInfo",
    "ChangesAfterSigning",
    "CheckStatus",
    "ConditionState",
    "Coverage",
    "Finding",
    "Indication",
    "LedgerCheck",
    "LegalCondition",
    "PadesLevel",
    "RegistryCheck",
    "RevocationCheck",
    "RevocationSource",
    "SealDataInfo",
    "SignatureReport",
    "SubIndication",
    "TimestampInfo",
    "VerificationReport",
    "indication_of",
    "worst_subindication",
]


class Indication(enum.StrEnum):
    """ETSI EN 319 102-1 main indication."""

    TOTAL_PASSED = "TOTAL_PASSED"
    TOTAL_FAILED = "TOTAL_FAILED"
    INDETERMINATE = "INDETERMINATE"


class SubIndication(enum.StrEnum):
    """ETSI EN 319 102-1 sub-indication (plus ``NO_SIGNATURE_FOUND``, an esign extension)."""

    # TOTAL_FAILED
    FORMAT_FAILURE = "FORMAT_FAILURE"
    HASH_FAILURE = "HASH_FAILURE"
    SIG_CRYPTO_FAILURE = "SIG_CRYPTO_FAILURE"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"
    NOT_YET_VALID = "NOT_YET_VALID"
    NO_SIGNATURE_FOUND = "NO_SIGNATURE_FOUND"
    # INDETERMINATE
    SIG_CONSTRAINTS_FAILURE = "SIG_CONSTRAINTS_FAILURE"
    CHAIN_CONSTRAINTS_FAILURE = "CHAIN_CONSTRAINTS_FAILURE"
    CERTIFICATE_CHAIN_GENERAL_FAILURE = "CERTIFICATE_CHAIN_GENERAL_FAILURE"
    CRYPTO_CONSTRAINTS_FAILURE = "CRYPTO_CONSTRAINTS_FAILURE"
    REVOKED_NO_POE = "REVOKED_NO_POE"
    REVOKED_CA_NO_POE = "REVOKED_CA_NO_POE"
    OUT_OF_BOUNDS_NO_POE = "OUT_OF_BOUNDS_NO_POE"
    TRY_LATER = "TRY_LATER"
    NO_SIGNING_CERTIFICATE_FOUND = "NO_SIGNING_CERTIFICATE_FOUND"
    NO_CERTIFICATE_CHAIN_FOUND = "NO_CERTIFICATE_CHAIN_FOUND"
    SIGNED_DATA_NOT_FOUND = "SIGNED_DATA_NOT_FOUND"
    NO_POE = "NO_POE"
    GENERIC = "GENERIC"


_FAILED = {
    SubIndication.FORMAT_FAILURE,
    SubIndication.HASH_FAILURE,
    SubIndication.SIG_CRYPTO_FAILURE,
    SubIndication.REVOKED,
    SubIndication.EXPIRED,
    SubIndication.NOT_YET_VALID,
    SubIndication.NO_SIGNATURE_FOUND,
}


#: Most serious first: when several things are wrong, the first of these decides the sub-indication
#: (structure, integrity, the certificate at the proven time, then revocation; every finding is kept).
SUBINDICATION_PRIORITY = (
    SubIndication.FORMAT_FAILURE,
    SubIndication.HASH_FAILURE,
    SubIndication.SIG_CRYPTO_FAILURE,
    SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
    SubIndication.REVOKED,
    SubIndication.EXPIRED,
    SubIndication.NOT_YET_VALID,
    SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
    SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE,
    SubIndication.CHAIN_CONSTRAINTS_FAILURE,
    SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
    SubIndication.OUT_OF_BOUNDS_NO_POE,
    SubIndication.REVOKED_NO_POE,
    SubIndication.TRY_LATER,
    SubIndication.SIG_CONSTRAINTS_FAILURE,
    SubIndication.SIGNED_DATA_NOT_FOUND,
    SubIndication.GENERIC,
)


def worst_subindication(subs: Sequence[SubIndication]) -> SubIndication | None:
    """The most serious of ``subs`` per :data:`SUBINDICATION_PRIORITY` (None when empty)."""
    rank = {s: i for i, s in enumerate(SUBINDICATION_PRIORITY)}
    return min(subs, key=lambda s: rank.get(s, len(rank))) if subs else None


def indication_of(sub: SubIndication | None) -> Indication:
    """The main indication a sub-indication belongs to (None: passed)."""
    if sub is None:
        return Indication.TOTAL_PASSED
    return Indication.TOTAL_FAILED if sub in _FAILED else Indication.INDETERMINATE


class PadesLevel(enum.StrEnum):
    """PAdES baseline level (ETSI EN 319 142-1): the one a signature is made at (:mod:`esign.stamp`) or found
    at (the report)."""

    B_B = "B-B"
    B_T = "B-T"
    B_LT = "B-LT"
    B_LTA = "B-LTA"

    @property
    def timestamped(self) -> bool:
        """Whether the signature carries a signature timestamp."""
        return self is not PadesLevel.B_B

    @property
    def long_term(self) -> bool:
        """Whether validation data is embedded."""
        return self in (PadesLevel.B_LT, PadesLevel.B_LTA)


class ChangeCategory(enum.StrEnum):
    """What happened to the document after a signature."""

    NONE = "none"
    """Nothing: the signature covers the whole file."""
    SIGNATURES_AND_VALIDATION_DATA = "signatures_timestamps_validation_data"
    """Only later signatures, document time-stamps and validation data (DSS) were added."""
    OTHER = "other"
    """Anything else (listed in :attr:`ChangesAfterSigning.other`): the document is not as signed."""


class RevocationSource(enum.StrEnum):
    """Where a piece of revocation information came from."""

    EMBEDDED = "embedded"
    """In the document (DSS or the signature's revocation-info attribute)."""
    SUPPLIED = "supplied"
    """Handed to the verifier by its caller (e.g. the service's current CRL)."""
    LIVE = "live"
    """Fetched over the network from the certificate's CRL or OCSP URL."""
    NONE = "none"
    """No information."""


class CheckStatus(enum.StrEnum):
    """Outcome of an optional online check (registry, ledger)."""

    NOT_CHECKED = "not_checked"
    PASSED = "passed"
    FAILED = "failed"
    UNAVAILABLE = "unavailable"


class ConditionState(enum.StrEnum):
    """Whether a condition of 《电子签名法》第十三条 is met."""

    MET = "met"
    NOT_MET = "not_met"
    CANNOT_TELL = "cannot_tell"


def _t(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Finding:
    """One reason or warning, machine-readable with bilingual text."""

    code: str
    """Stable machine code, e.g. ``modified_after_signing``."""
    message_zh: str
    """Plain Chinese for people."""
    message_en: str
    """English."""

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``code``, ``message_zh``, ``message_en``."""
        return {"code": self.code, "message_zh": self.message_zh, "message_en": self.message_en}


@dataclass(frozen=True)
class CertificateInfo:
    """Who a certificate names and how to identify it."""

    subject: str
    """The full subject DN (RFC 4514)."""
    common_name: str | None
    """CN: for a seal, the seal's full name."""
    organization: str | None
    """O: the township government."""
    organization_identifier: str | None
    """organizationIdentifier (2.5.4.97): the 统一社会信用代码 (USCC), its ``NTRCN-`` prefix removed."""
    serial_hex: str
    """Serial number, lower-case hex without leading zeros."""
    sha256_fingerprint: str
    """SHA-256 of the DER certificate, lower-case hex."""
    issuer: str
    """The issuer DN (RFC 4514)."""
    not_before: dt.datetime
    """Start of validity (UTC)."""
    not_after: dt.datetime
    """End of validity (UTC)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON form with the field names as keys."""
        return {
            "subject": self.subject,
            "common_name": self.common_name,
            "organization": self.organization,
            "organization_identifier": self.organization_identifier,
            "serial_hex": self.serial_hex,
            "sha256_fingerprint": self.sha256_fingerprint,
            "issuer": self.issuer,
            "not_before": _t(self.not_before),
            "not_after": _t(self.not_after),
        }


@dataclass(frozen=True)
class TimestampInfo:
    """An RFC 3161 time-stamp token (a signature time-stamp or a document time-stamp)."""

    time: dt.datetime | None
    """genTime of the token."""
    tsa: str | None
    """Subject DN of the time-stamping unit."""
    intact: bool
    """The token's imprint matches what it time-stamps and its own digest matches."""
    valid: bool
    """The token's signature verifies."""
    trusted: bool
    """Its TSA chains to a trust root and was not revoked; only a trusted token proves time."""
    field_name: str | None = None
    """For a document time-stamp: its form field name."""
    revision: int | None = None
    """For a document time-stamp: the (0-based) revision it closes."""
    problem: str | None = None
    """Why it is not trusted, if it is not."""

    def to_dict(self) -> dict[str, Any]:
        """JSON form with the field names as keys."""
        return {
            "time": _t(self.time),
            "tsa": self.tsa,
            "intact": self.intact,
            "valid": self.valid,
            "trusted": self.trusted,
            "field_name": self.field_name,
            "revision": self.revision,
            "problem": self.problem,
        }


@dataclass(frozen=True)
class Coverage:
    """What the signature's /ByteRange covers, checked byte by byte."""

    byte_range: tuple[int, ...]
    """The /ByteRange as found (normally four integers)."""
    signed_revision: int | None
    """0-based revision whose end the byte range reaches; None if it reaches no revision end."""
    revisions: int
    """Number of revisions in the file."""
    whole_revision: bool
    """The signature covers the whole document as it was when signed (all but its own /Contents)."""
    whole_file: bool
    """The signature covers the whole file: nothing was added after it."""
    problems: tuple[Finding, ...] = ()
    """Structural problems found (any makes the signature fail with FORMAT_FAILURE)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON form with the field names as keys."""
        return {
            "byte_range": list(self.byte_range),
            "signed_revision": self.signed_revision,
            "revisions": self.revisions,
            "whole_revision": self.whole_revision,
            "whole_file": self.whole_file,
            "problems": [p.to_dict() for p in self.problems],
        }


@dataclass(frozen=True)
class ChangeInfo:
    """One change made in a revision after a signature."""

    revision: int
    """0-based revision that made it."""
    kind: str
    """What changed, e.g. ``page_content``, ``annotation_added``, ``form_field``, ``object_modified``,
    ``object_deleted``, ``unlisted_object``, ``trailing_data``, ``catalog``, ``diff_analysis``."""
    object_ref: str | None
    """The object, as ``"12 0"``, when there is one."""
    page: int | None
    """1-based page concerned, when known."""
    detail: str
    """English description (names the annotation subtype, form field, dictionary keys ...)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON form with the field names as keys."""
        return {
            "revision": self.revision,
            "kind": self.kind,
            "object_ref": self.object_ref,
            "page": self.page,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class ChangesAfterSigning:
    """Every change made after a signature, classified."""

    category: ChangeCategory
    """none / later signatures, time-stamps and DSS only / other."""
    later_revisions: int
    """How many revisions follow the signed one."""
    later_signatures: tuple[str, ...] = ()
    """Field names of signatures added later."""
    document_timestamps: tuple[str, ...] = ()
    """Field names of document time-stamps added later."""
    validation_data_updates: int = 0
    """Number of later revisions that added or changed the DSS."""
    other: tuple[ChangeInfo, ...] = ()
    """Every change that is not one of the above (empty unless ``category`` is ``other``)."""
    diff_level: str | None = None
    """pyHanko's difference analysis verdict (ModificationLevel name or ``SUSPICIOUS``), as a second opinion;
    ``LTA_UPDATES`` without asking pyHanko when the only later update added the document's first DSS
    (:mod:`esign.verify.dss_update` proves it, and pyHanko's verdict on such an update is that)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON form with the field names as keys."""
        return {
            "category": self.category.value,
            "later_revisions": self.later_revisions,
            "later_signatures": list(self.later_signatures),
            "document_timestamps": list(self.document_timestamps),
            "validation_data_updates": self.validation_data_updates,
            "other": [c.to_dict() for c in self.other],
            "diff_level": self.diff_level,
        }


@dataclass(frozen=True)
class RevocationCheck:
    """The seal certificate's revocation status at one moment, with its source."""

    state: CertState
    """good / revoked / on_hold / unknown (per the best revocation information found)."""
    source: RevocationSource
    """embedded / supplied / live / none."""
    kind: str | None = None
    """``crl`` or ``ocsp``."""
    issued_at: dt.datetime | None = None
    """thisUpdate of the CRL or OCSP response used."""
    next_update: dt.datetime | None = None
    """nextUpdate of the information used."""
    revoked_at: dt.datetime | None = None
    """Revocation (or hold) time, when revoked or held."""
    reason: str | None = None
    """RFC 5280 reason name, when revoked or held."""

    def to_dict(self) -> dict[str, Any]:
        """JSON form with the field names as keys."""
        return {
            "state": self.state.value,
            "source": self.source.value,
            "kind": self.kind,
            "issued_at": _t(self.issued_at),
            "next_update": _t(self.next_update),
            "revoked_at": _t(self.revoked_at),
            "reason": self.reason,
        }


UNKNOWN_REVOCATION = RevocationCheck(CertState.UNKNOWN, RevocationSource.NONE)


@dataclass(frozen=True)
class RegistryCheck:
    """What the seal registry says about this seal (online only)."""

    status: CheckStatus = CheckStatus.NOT_CHECKED
    """not_checked offline; passed / failed / unavailable online."""
    seal_state_at_signing: str | None = None
    """``active`` / ``suspended`` / ``revoked`` / ``unknown`` at the trusted signing time."""
    seal_state_now: str | None = None
    """The same at validation time."""
    item_authorized: bool | None = None
    """Whether the item was in the township's authority list; None when not known."""
    detail: str | None = None
    """Free text from the registry."""

    def to_dict(self) -> dict[str, Any]:
        """JSON form with the field names as keys."""
        return {
            "status": self.status.value,
            "seal_state_at_signing": self.seal_state_at_signing,
            "seal_state_now": self.seal_state_now,
            "item_authorized": self.item_authorized,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class LedgerCheck:
    """What the usage ledger (用印登记台账) says about this document (online only)."""

    status: CheckStatus = CheckStatus.NOT_CHECKED
    """not_checked offline; passed / failed / unavailable online."""
    found: bool | None = None
    """An entry was found."""
    entry_id: str | None = None
    """The entry's id."""
    hash_matches: bool | None = None
    """The entry's output hash equals the document (or one of its signed revisions)."""
    seal_matches: bool | None = None
    """The entry's certificate serial is one of the document's seals."""
    proof_valid: bool | None = None
    """The inclusion proof against a signed checkpoint verifies; None while pending."""
    detail: str | None = None
    """Free text."""
    cosignatures: int | None = None
    """Witnesses (of ``witnesses``) that cosigned the checkpoint covering the entry; None if none covers it."""
    witnesses: int = 0
    """Witnesses the county has configured (n)."""
    witness_quorum: int = 0
    """Cosignatures the policy asks for (k)."""

    @property
    def witnessed(self) -> bool | None:
        """The entry is covered by a checkpoint cosigned by k of the n witnesses (None: no policy or not covered)."""
        if self.cosignatures is None or self.witness_quorum == 0:
            return None
        return self.cosignatures >= self.witness_quorum

    def to_dict(self) -> dict[str, Any]:
        """JSON form with the field names as keys."""
        return {
            "status": self.status.value,
            "found": self.found,
            "entry_id": self.entry_id,
            "hash_matches": self.hash_matches,
            "seal_matches": self.seal_matches,
            "proof_valid": self.proof_valid,
            "detail": self.detail,
            "cosignatures": self.cosignatures,
            "witnesses": self.witnesses,
            "witness_quorum": self.witness_quorum,
            "witnessed": self.witnessed,
        }


@dataclass(frozen=True)
class LegalCondition:
    """One condition of 《电子签名法》第十三条 (a reliable electronic signature) for the document."""

    number: int
    """1 to 4, in the order of the article."""
    text_zh: str
    """The condition as the law words it."""
    text_en: str
    """An English rendering."""
    state: ConditionState
    """met / not_met / cannot_tell."""
    evidence_zh: str
    """Why, in Chinese."""
    evidence_en: str
    """Why, in English."""

    def to_dict(self) -> dict[str, Any]:
        """JSON form with the field names as keys."""
        return {
            "number": self.number,
            "text_zh": self.text_zh,
            "text_en": self.text_en,
            "state": self.state.value,
            "evidence_zh": self.evidence_zh,
            "evidence_en": self.evidence_en,
        }


@dataclass(frozen=True)
class SealDataInfo:
    """GB/T 38540 seal data (电子印章数据, SES_Seal) as read; set for national-standard seals and signatures."""

    es_id: str
    """esID: the seal's unique code."""
    name: str
    """The seal's name."""
    seal_type: int
    """1 单位印章, 2 个人印章."""
    vid: str
    """Who made the seal data (vendor id)."""
    create_date: dt.datetime
    """When the seal data was made (as it claims)."""
    valid_start: dt.datetime
    """Start of the seal's validity."""
    valid_end: dt.datetime
    """End of the seal's validity."""
    maker: CertificateInfo | None
    """The maker's (制章者) certificate."""
    maker_chain: tuple[str, ...]
    """Issuers above the maker certificate, nearest first, as far as found."""
    maker_signature_valid: bool
    """The maker's signature over SES_SealInfo verifies with the maker certificate."""
    picture_type: str
    """Picture type, e.g. ``PNG``."""
    picture_mm: tuple[int, int]
    """Picture width and height in millimetres."""

    def to_dict(self) -> dict[str, Any]:
        """JSON form with the field names as keys."""
        return {
            "es_id": self.es_id,
            "name": self.name,
            "seal_type": self.seal_type,
            "vid": self.vid,
            "create_date": _t(self.create_date),
            "valid_start": _t(self.valid_start),
            "valid_end": _t(self.valid_end),
            "maker": None if self.maker is None else self.maker.to_dict(),
            "maker_chain": list(self.maker_chain),
            "maker_signature_valid": self.maker_signature_valid,
            "picture_type": self.picture_type,
            "picture_mm": list(self.picture_mm),
        }


@dataclass(frozen=True)
class SignatureReport:
    """The verdict on one signature (seal) in the document."""

    index: int
    """0-based position among the document's signatures, in signing order."""
    field_name: str | None
    """The signature form field's name."""
    indication: Indication
    """TOTAL_PASSED / TOTAL_FAILED / INDETERMINATE."""
    subindication: SubIndication | None
    """Why it did not pass; None when passed."""
    reasons: tuple[Finding, ...]
    """What decided the indication (empty when passed)."""
    warnings: tuple[Finding, ...]
    """Things worth knowing that did not change the indication (e.g. revoked after signing)."""
    signer: CertificateInfo | None
    """The seal certificate; None if it could not be found."""
    chain: tuple[str, ...]
    """Subjects of the issuers above the seal certificate, nearest first, ending at the trust anchor."""
    trusted_signing_time: dt.datetime | None
    """Proven signing time (genTime of a trusted signature or document time-stamp); None if unproven."""
    claimed_signing_time: dt.datetime | None
    """The signer's own claim (signingTime attribute or /M); not proof of anything."""
    timestamp: TimestampInfo | None
    """The signature time-stamp, if any."""
    level: PadesLevel | None
    """PAdES baseline level detected; None if the signature could not be parsed."""
    coverage: Coverage
    """What the byte range covers."""
    changes: ChangesAfterSigning
    """Everything changed after this signature."""
    intact: bool | None
    """The byte-range digest matches the signed message digest (None: not computed)."""
    crypto_valid: bool | None
    """The signature value verifies with the certificate's key (None: not computed)."""
    revocation_at_signing: RevocationCheck
    """Status at the trusted signing time (or validation time without one)."""
    revocation_now: RevocationCheck
    """Latest status known at validation time."""
    certification_level: int | None = None
    """DocMDP /P of a certification signature (1, 2 or 3); None for an approval signature."""
    reason: str | None = None
    """/Reason of the signature dictionary."""
    location: str | None = None
    """/Location of the signature dictionary."""
    registry: RegistryCheck = field(default_factory=RegistryCheck)
    """Seal registry check (not_checked offline)."""
    seal: SealDataInfo | None = None
    """For a GB/T 38540 signature or seal: the seal data (None for PAdES)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON form (see the module docstring)."""
        return {
            "index": self.index,
            "field_name": self.field_name,
            "indication": self.indication.value,
            "subindication": None if self.subindication is None else self.subindication.value,
            "reasons": [r.to_dict() for r in self.reasons],
            "warnings": [w.to_dict() for w in self.warnings],
            "signer": None if self.signer is None else self.signer.to_dict(),
            "chain": list(self.chain),
            "trusted_signing_time": _t(self.trusted_signing_time),
            "claimed_signing_time": _t(self.claimed_signing_time),
            "timestamp": None if self.timestamp is None else self.timestamp.to_dict(),
            "level": None if self.level is None else self.level.value,
            "coverage": self.coverage.to_dict(),
            "changes": self.changes.to_dict(),
            "intact": self.intact,
            "crypto_valid": self.crypto_valid,
            "revocation_at_signing": self.revocation_at_signing.to_dict(),
            "revocation_now": self.revocation_now.to_dict(),
            "certification_level": self.certification_level,
            "reason": self.reason,
            "location": self.location,
            "registry": self.registry.to_dict(),
            "seal": None if self.seal is None else self.seal.to_dict(),
        }


@dataclass(frozen=True)
class VerificationReport:
    """The verdict on a whole PDF. ``verify`` never modifies or signs anything."""

    indication: Indication
    """Overall: TOTAL_PASSED only if every signature passed and nothing else is wrong."""
    subindication: SubIndication | None
    """Overall sub-indication (the deciding signature's, or a document-level one)."""
    conclusion_zh: str
    """One plain-Chinese sentence for people."""
    conclusion_en: str
    """The same in English."""
    validation_time: dt.datetime
    """The ``at`` the document was verified at (UTC)."""
    document_sha256: str
    """SHA-256 of the whole input, lower-case hex."""
    size: int
    """Input size in bytes."""
    revisions: int
    """Number of revisions (0 if the file could not be parsed)."""
    signatures: tuple[SignatureReport, ...]
    """One report per signature, in signing order."""
    document_timestamps: tuple[TimestampInfo, ...]
    """Document time-stamps (PAdES B-LTA), in order."""
    problems: tuple[Finding, ...]
    """Document-level problems (not a PDF, encrypted, ...); also the deciding reason when set."""
    conditions: tuple[LegalCondition, ...]
    """The four conditions of 《电子签名法》第十三条."""
    ledger: LedgerCheck = field(default_factory=LedgerCheck)
    """Usage ledger check (not_checked offline)."""

    @property
    def passed(self) -> bool:
        """True only for TOTAL_PASSED."""
        return self.indication is Indication.TOTAL_PASSED

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``indication``, ``subindication``, ``conclusion_zh``, ``conclusion_en``,
        ``validation_time``, ``document_sha256``, ``size``, ``revisions``, ``signatures``,
        ``document_timestamps``, ``problems``, ``conditions``, ``ledger``."""
        return {
            "indication": self.indication.value,
            "subindication": None if self.subindication is None else self.subindication.value,
            "conclusion_zh": self.conclusion_zh,
            "conclusion_en": self.conclusion_en,
            "validation_time": _t(self.validation_time),
            "document_sha256": self.document_sha256,
            "size": self.size,
            "revisions": self.revisions,
            "signatures": [s.to_dict() for s in self.signatures],
            "document_timestamps": [t.to_dict() for t in self.document_timestamps],
            "problems": [p.to_dict() for p in self.problems],
            "conditions": [c.to_dict() for c in self.conditions],
            "ledger": self.ledger.to_dict(),
        }
