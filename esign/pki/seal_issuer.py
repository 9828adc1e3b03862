"""Seal keys and certificates for the registry (implements ``esign.registry.api.SealCertificateAuthority``).

Every change of a certificate's status republishes the CRL in the same transaction, so CRL and
OCSP (which reads the shared store) reflect a revocation at once in every worker.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from esign.pki import store
from esign.pki._util import serial_hex
from esign.pki.ca import CountyPKI
from esign.pki.crl import publish_crl
from esign.pki.keys import KeyAlgorithm
from esign.pki.keystore.api import KeyStore
from esign.pki.profiles import SealSubject
from esign.pki.status import CertKind, RevocationReason

__all__ = ["IssuedKey", "SealIssuer"]


class _Identity(Protocol):
    """What a seal certificate names (``esign.registry.SealIdentity`` fits)."""

    @property
    def seal_name(self) -> str: ...
    @property
    def organisation(self) -> str: ...
    @property
    def uscc(self) -> str: ...
    @property
    def province(self) -> str: ...
    @property
    def locality(self) -> str: ...


@dataclass(frozen=True)
class IssuedKey:
    """A seal key created in the key store and certified."""

    #: Key-store id of the private key.
    key_id: str
    #: Certificate serial, lower-case hex.
    cert_serial: str


class SealIssuer:
    """Issues seal certificates from a county PKI and keeps their status in the store."""

    def __init__(self, pki: CountyPKI, keystore: KeyStore, *, algorithm: KeyAlgorithm = KeyAlgorithm.EC_P256) -> None:
        self.pki = pki
        self.keystore = keystore
        self.algorithm = algorithm

    def issue(self, session: Session, identity: _Identity, *, key_id: str, at: dt.datetime) -> IssuedKey:
        """Generate the seal key in the key store and certify it (recorded as good)."""
        subject = SealSubject(
            province=identity.province,
            locality=identity.locality,
            organization=identity.organisation,
            common_name=identity.seal_name,
            organization_identifier=identity.uscc,
        )
        public_key = self.keystore.generate(key_id, self.algorithm)
        cert = self.pki.issue_seal_certificate(subject, public_key, at=at)
        store.record_issued(session, cert, kind=CertKind.SEAL, issuer=self.pki.issuing, at=at)
        return IssuedKey(key_id, serial_hex(cert))

    def revoke(self, session: Session, cert_serial: str, *, reason: str, at: dt.datetime) -> None:
        """Revoke for good and republish the CRL."""
        store.revoke(session, cert_serial, RevocationReason.parse(reason), at=at)
        publish_crl(session, self.pki, at=at)

    def hold(self, session: Session, cert_serial: str, *, at: dt.datetime) -> None:
        """Suspend (certificateHold) and republish the CRL."""
        store.hold(session, cert_serial, at=at)
        publish_crl(session, self.pki, at=at)

    def release(self, session: Session, cert_serial: str, *, at: dt.datetime) -> None:
        """Release a hold and republish the CRL."""
        store.release_hold(session, cert_serial, at=at)
        publish_crl(session, self.pki, at=at)
