"""esign.verify: a PDF in, a frozen report out. Never modifies or signs.

Start with :func:`verify_pdf`; the report types are in :mod:`esign.verify.report`, the online hooks
(seal registry, usage ledger) in :mod:`esign.verify.api`.
"""

from esign.verify.api import LedgerAnswer, LedgerLookup, LedgerQuery, RegistryAnswer, RegistryLookup, SealState
from esign.verify.conclusion import ARTICLE_13
from esign.verify.engine import MAX_PDF_SIZE, MAX_REVISIONS, MAX_SIGNATURES, async_verify_pdf, verify_pdf
from esign.verify.report import (
    CertificateInfo,
    ChangeCategory,
    ChangeInfo,
    ChangesAfterSigning,
    CheckStatus,
    ConditionState,
    Coverage,
    Finding,
    Indication,
    LedgerCheck,
    LegalCondition,
    PadesLevel,
    RegistryCheck,
    RevocationCheck,
    RevocationSource,
    SignatureReport,
    SubIndication,
    TimestampInfo,
    VerificationReport,
)

__all__ = [
    "ARTICLE_13",
    "MAX_PDF_SIZE",
    "MAX_REVISIONS",
    "MAX_SIGNATURES",
    "CertificateInfo",
    "ChangeCategory",
    "ChangeInfo",
    "ChangesAfterSigning",
    "CheckStatus",
    "ConditionState",
    "Coverage",
    "Finding",
    "Indication",
    "LedgerAnswer",
    "LedgerCheck",
    "LedgerLookup",
    "LedgerQuery",
    "LegalCondition",
    "PadesLevel",
    "RegistryAnswer",
    "RegistryCheck",
    "RegistryLookup",
    "RevocationCheck",
    "RevocationSource",
    "SealState",
    "SignatureReport",
    "SubIndication",
    "TimestampInfo",
    "VerificationReport",
    "async_verify_pdf",
    "verify_pdf",
]
