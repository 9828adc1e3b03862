"""Seal keys and certificates for the registry (implements ``esign.registry.api.SealCertificateAuthority``).

Every change of a certificate's status republishes its issuer's CRL in the same transaction, so CRL
and OCSP (which read the shared store) reflect a revocation at once in every worker. With an SM2
PKI (:class:`NationalSealIssuer`), issuing a seal also makes its SM2 key and certificate and its
GB/T 38540 seal data, in the same transaction; the status methods take either certificate's serial.
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
from esign.pki.keystore.sm2 import Sm2KeyStore
from esign.pki.profiles import SealSubject
from esign.pki.sm2_ca import Sm2CountyPKI, to_x509
from esign.pki.sm2_certs import Sm2Certificate
from esign.pki.status import CertKind, RevocationReason

__all__ = ["IssuedKey", "IssuedNational", "NationalSealIssuer", "SealDataMaker", "SealIdentityView", "SealIssuer"]


class SealIdentityView(Protocol):
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
    @property
    def code(self) -> str: ...
    @property
    def title(self) -> str: ...


def _subject(identity: SealIdentityView) -> SealSubject:
    return SealSubject(
        province=identity.province,
        locality=identity.locality,
        organization=identity.organisation,
        common_name=identity.seal_name,
        organization_identifier=identity.uscc,
    )


@dataclass(frozen=True)
class IssuedNational:
    """A seal's SM2 key, certificate and seal data."""

    #: SM2 key-store id.
    key_id: str
    #: SM2 certificate serial, lower-case hex.
    cert_serial: str
    #: DER SES_Seal (GB/T 38540), the .esl file; None when no seal-data maker is configured.
    seal_data: bytes | None
    #: validStart of the seal data (the certificate's notBefore without seal data).
    valid_start: dt.datetime
    #: validEnd of the seal data (the certificate's notAfter without seal data).
    valid_end: dt.datetime


@dataclass(frozen=True)
class IssuedKey:
    """A seal key created in the key store and certified."""

    #: Key-store id of the private key.
    key_id: str
    #: Certificate serial, lower-case hex.
    cert_serial: str
    #: The SM2 side, when the deployment has an SM2 PKI.
    national: IssuedNational | None = None


class SealDataMaker(Protocol):
    """Makes a seal's GB/T 38540 seal data for its SM2 certificate: ``(der, valid_start, valid_end)``."""

    def __call__(
        self, identity: SealIdentityView, certificate: Sm2Certificate, *, at: dt.datetime
    ) -> tuple[bytes, dt.datetime, dt.datetime] | None: ...


class NationalSealIssuer:
    """Issues a seal's SM2 certificate (GB/T 20518) and its seal data (GB/T 38540) from the SM2 PKI."""

    def __init__(self, pki: Sm2CountyPKI, keystore: Sm2KeyStore, make_seal_data: SealDataMaker | None) -> None:
        self.pki = pki
        self.keystore = keystore
        self.make_seal_data = make_seal_data

    def issue(self, session: Session, identity: SealIdentityView, *, key_id: str, at: dt.datetime) -> IssuedNational:
        """Generate the SM2 key, certify it (recorded as good) and make the seal data; on any failure
        the SM2 key is removed again."""
        subject = _subject(identity)
        subject.to_name()
        public_key = self.keystore.generate(key_id)
        try:
            cert = self.pki.issue_seal_certificate(subject, public_key, at=at)
            store.record_issued(session, to_x509(cert), kind=CertKind.SEAL, issuer=self.pki.issuing_x509, at=at)
            made = None if self.make_seal_data is None else self.make_seal_data(identity, cert, at=at)
        except BaseException:
            self.keystore.discard(key_id)
            raise
        serial = serial_hex(cert.asn1.serial_number)
        if made is None:
            validity = cert.asn1["tbs_certificate"]["validity"]
            return IssuedNational(key_id, serial, None, validity["not_before"].native, validity["not_after"].native)
        return IssuedNational(key_id, serial, *made)

    def seal_data_for(
        self, session: Session, identity: SealIdentityView, *, key_id: str, cert_serial: str, at: dt.datetime
    ) -> IssuedNational | None:
        """Seal data for an SM2 certificate issued earlier (None without a seal-data maker)."""
        row = session.get(store.PkiCertificate, cert_serial)
        if self.make_seal_data is None or row is None:
            return None
        made = self.make_seal_data(identity, Sm2Certificate.from_der(row.der), at=at)
        return None if made is None else IssuedNational(key_id, cert_serial, *made)


class SealIssuer:
    """Issues seal certificates from a county PKI and keeps their status in the store."""

    def __init__(
        self,
        pki: CountyPKI,
        keystore: KeyStore,
        *,
        algorithm: KeyAlgorithm = KeyAlgorithm.EC_P256,
        national: NationalSealIssuer | None = None,
    ) -> None:
        self.pki = pki
        self.keystore = keystore
        self.algorithm = algorithm
        self.national = national

    def issue(self, session: Session, identity: SealIdentityView, *, key_id: str, at: dt.datetime) -> IssuedKey:
        """Generate the seal key in the key store and certify it (recorded as good); with an SM2
        PKI also the SM2 key, certificate and seal data. On any failure no key is left behind."""
        subject = _subject(identity)
        subject.to_name()  # a name the profile cannot hold is refused before any key exists
        public_key = self.keystore.generate(key_id, self.algorithm)
        try:
            cert = self.pki.issue_seal_certificate(subject, public_key, at=at)
            store.record_issued(session, cert, kind=CertKind.SEAL, issuer=self.pki.issuing, at=at)
            national = self.issue_national(session, identity, key_id=key_id, at=at)
        except BaseException:
            # No certificate, no key: a key left behind would also block the seal's next attempt (key_exists).
            self.keystore.discard(key_id)
            raise
        return IssuedKey(key_id, serial_hex(cert), national)

    def issue_national(
        self, session: Session, identity: SealIdentityView, *, key_id: str, at: dt.datetime
    ) -> IssuedNational | None:
        """Only the SM2 side; None without an SM2 PKI."""
        if self.national is None:
            return None
        return self.national.issue(session, identity, key_id=key_id, at=at)

    def seal_data_for(
        self, session: Session, identity: SealIdentityView, *, key_id: str, cert_serial: str, at: dt.datetime
    ) -> IssuedNational | None:
        """Seal data for a seal's existing SM2 certificate; None without an SM2 PKI."""
        if self.national is None:
            return None
        return self.national.seal_data_for(session, identity, key_id=key_id, cert_serial=cert_serial, at=at)

    def revoke(self, session: Session, cert_serial: str, *, reason: str, at: dt.datetime) -> None:
        """Revoke for good and republish the issuer's CRL."""
        status = store.revoke(session, cert_serial, RevocationReason.parse(reason), at=at)
        self._publish(session, status.issuer_serial, at)

    def hold(self, session: Session, cert_serial: str, *, at: dt.datetime) -> None:
        """Suspend (certificateHold) and republish the issuer's CRL."""
        self._publish(session, store.hold(session, cert_serial, at=at).issuer_serial, at)

    def release(self, session: Session, cert_serial: str, *, at: dt.datetime) -> None:
        """Release a hold and republish the issuer's CRL."""
        self._publish(session, store.release_hold(session, cert_serial, at=at).issuer_serial, at)

    def _publish(self, session: Session, issuer_serial: int, at: dt.datetime) -> None:
        if self.national is not None and issuer_serial == self.national.pki.issuing.asn1.serial_number:
            self.national.pki.publish_crl(session, at=at)
        else:
            publish_crl(session, self.pki, at=at)
