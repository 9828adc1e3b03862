"""Certificate kinds, states and revocation reasons, and the status record OCSP and CRLs read.

No SQL here: :mod:`esign.pki.store` keeps these in the database, :mod:`esign.pki.ocsp` and
:mod:`esign.pki.crl` only consume :class:`CertStatus` values.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from cryptography import x509

from esign.errors import InputError

__all__ = ["CertKind", "CertState", "CertStatus", "RevocationReason"]


class CertKind(enum.StrEnum):
    """What a certificate is for."""

    ROOT = "root"
    ISSUING = "issuing"
    TSA = "tsa"
    OCSP = "ocsp"
    SEAL = "seal"
    MAKER = "maker"
    """The SM2 maker (制章者) certificate that signs GB/T 38540 seal data."""


class CertState(enum.StrEnum):
    """Revocation state of a certificate. ``on_hold`` is a suspension (certificateHold) that can be released.

    The store records good, revoked or on_hold; ``unknown`` is a verifier's answer when no revocation
    information covers the certificate (:class:`CertStatus` refuses it)."""

    GOOD = "good"
    REVOKED = "revoked"
    ON_HOLD = "on_hold"
    UNKNOWN = "unknown"


class RevocationReason(enum.StrEnum):
    """RFC 5280 CRLReason names (value 7 is unused in the RFC and absent here)."""

    UNSPECIFIED = "unspecified"
    KEY_COMPROMISE = "keyCompromise"
    CA_COMPROMISE = "cACompromise"
    AFFILIATION_CHANGED = "affiliationChanged"
    SUPERSEDED = "superseded"
    CESSATION_OF_OPERATION = "cessationOfOperation"
    CERTIFICATE_HOLD = "certificateHold"
    """Only through a hold (suspension), never as a permanent revocation reason."""
    REMOVE_FROM_CRL = "removeFromCRL"
    """Delta-CRL marker of a released hold; esign drops released holds from the full CRL instead."""
    PRIVILEGE_WITHDRAWN = "privilegeWithdrawn"
    AA_COMPROMISE = "aACompromise"

    @classmethod
    def parse(cls, value: str) -> RevocationReason:
        """The reason named ``value`` (RFC 5280 spelling); :class:`esign.errors.InputError` otherwise."""
        try:
            return cls(value)
        except ValueError:
            raise InputError(
                "未知的吊销原因。",
                f"Unknown revocation reason {value!r}; use an RFC 5280 name such as keyCompromise or superseded.",
                code="bad_reason",
                field="reason",
            ) from None

    def to_x509(self) -> x509.ReasonFlags:
        """The matching cryptography enum member."""
        return x509.ReasonFlags(self.value)


@dataclass(frozen=True)
class CertStatus:
    """The revocation status of one certificate, as the store knows it."""

    serial: int
    """The certificate serial number."""
    kind: CertKind
    """What the certificate is for."""
    issuer_serial: int
    """Serial of the issuing certificate (its own serial for the self-signed root)."""
    state: CertState
    """good, revoked or on_hold."""
    not_after: dt.datetime
    """End of validity (aware UTC)."""
    revoked_at: dt.datetime | None = None
    """When it was revoked or put on hold (aware UTC); None when good."""
    reason: RevocationReason | None = None
    """Why; ``certificateHold`` for a hold; None when good."""

    def __post_init__(self) -> None:
        # OCSP and CRL answers are built from these records: an "unknown" one would be answered as revoked.
        if self.state is CertState.UNKNOWN:
            raise InputError(
                "证书状态记录必须是有效、吊销或挂起。",
                "A certificate status record is good, revoked or on_hold, never unknown.",
                code="bad_cert_state",
                field="state",
            )

    @property
    def is_good(self) -> bool:
        """Neither revoked nor on hold."""
        return self.state is CertState.GOOD
