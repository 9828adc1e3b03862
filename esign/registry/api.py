"""What the registry needs from outside, as interfaces: the PKI (implemented by ``esign.pki.SealIssuer``)
and the home its use cases run in (implemented by ``esign.deployment.Deployment``)."""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

__all__ = ["IssuedNationalSeal", "IssuedSealKey", "RegistryHome", "SealCertificateAuthority", "SealIdentity"]


@dataclass(frozen=True)
class SealIdentity:
    """Who a seal certificate names."""

    #: Full seal name, the certificate's CN (蒲县克城镇人民政府行政审批服务专用章).
    seal_name: str
    #: The township government, the certificate's O (蒲县克城镇人民政府).
    organisation: str
    #: The township's 统一社会信用代码, the certificate's organizationIdentifier.
    uscc: str
    #: Province (ST).
    province: str
    #: City and county (L).
    locality: str
    #: The seal's unique code (GB/T 38540 esID of its seal data).
    code: str = ""
    #: The seal's title (行政审批服务专用章), for its picture.
    title: str = ""


class IssuedNationalSeal(Protocol):
    """A seal's SM2 key, certificate and GB/T 38540 seal data (SES_Seal), made together."""

    @property
    def key_id(self) -> str:
        """SM2 key-store id."""
        ...

    @property
    def cert_serial(self) -> str:
        """SM2 certificate serial, lower-case hex."""
        ...

    @property
    def seal_data(self) -> bytes | None:
        """DER SES_Seal (the .esl file); None when the deployment makes no seal data."""
        ...

    @property
    def valid_start(self) -> dt.datetime:
        """validStart of the seal data."""
        ...

    @property
    def valid_end(self) -> dt.datetime:
        """validEnd of the seal data."""
        ...


class IssuedSealKey(Protocol):
    """A seal key pair created and certified at approval."""

    @property
    def key_id(self) -> str:
        """Key-store id of the private key."""
        ...

    @property
    def cert_serial(self) -> str:
        """Certificate serial, lower-case hex."""
        ...

    @property
    def national(self) -> IssuedNationalSeal | None:
        """The SM2 side, when the deployment has an SM2 PKI."""
        ...


class SealCertificateAuthority(Protocol):
    """Creates seal keys and certificates and changes their revocation status, in ``session``.

    The status methods take any certificate serial the authority issued (ECDSA or SM2)."""

    def issue(self, session: Session, identity: SealIdentity, *, key_id: str, at: dt.datetime) -> IssuedSealKey:
        """Generate a key under ``key_id`` and certify it."""
        ...

    def issue_national(
        self, session: Session, identity: SealIdentity, *, key_id: str, at: dt.datetime
    ) -> IssuedNationalSeal | None:
        """Only the SM2 side (for a seal issued before the SM2 PKI existed); None without an SM2 PKI."""
        ...

    def seal_data_for(
        self, session: Session, identity: SealIdentity, *, key_id: str, cert_serial: str, at: dt.datetime
    ) -> IssuedNationalSeal | None:
        """Seal data for a seal's existing SM2 certificate ``cert_serial``; None when none can be made."""
        ...

    def revoke(self, session: Session, cert_serial: str, *, reason: str, at: dt.datetime) -> None:
        """Revoke (reason: an RFC 5280 reason name such as ``cessationOfOperation`` or ``superseded``)."""
        ...

    def hold(self, session: Session, cert_serial: str, *, at: dt.datetime) -> None:
        """Put on hold (suspension)."""
        ...

    def release(self, session: Session, cert_serial: str, *, at: dt.datetime) -> None:
        """Release a hold."""
        ...


class RegistryHome(Protocol):
    """Where the registry's use cases run: a deployment (:class:`esign.deployment.Deployment`).

    The registry sits below the deployment, so it names only what it uses of it."""

    def transaction(self) -> AbstractContextManager[Session]:
        """One database transaction, committed on success and rolled back on error."""
        ...

    def reading(self) -> AbstractContextManager[Session]:
        """One transaction that only reads (a write in it fails on SQLite)."""
        ...

    def one_read(self) -> AbstractContextManager[Session]:
        """:meth:`reading` for a read of one statement (on PostgreSQL, no transaction around it)."""
        ...

    @property
    def seal_ca(self) -> SealCertificateAuthority:
        """Issues and revokes seal certificates (read only by the use cases that change a seal)."""
        ...
