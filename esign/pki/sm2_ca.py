"""The county's SM2 hierarchy beside the ECDSA one: root, issuing CA, TSA, OCSP signer and maker.

Layout: certificates in ``certs/sm2/`` (``root.crt``, ``issuing.crt``, ``tsa.crt``, ``ocsp.crt``,
``maker.crt``, PEM; ``root.crl``), keys in an :class:`~esign.pki.keystore.sm2.Sm2KeyStore` under
the same ids (``HOME/keys/sm2/`` for the file store). Created by ``esign init`` / ``esign demo``
and, for an existing home, by ``esign pki sm2-init`` (idempotent). Like the ECDSA root, the SM2
root key is used only when the hierarchy is made; a loaded :class:`Sm2CountyPKI` does not hold it.

Certificates are :class:`~esign.pki.sm2_certs.Sm2Certificate` values and are recorded in the same
``pki_certificates`` table as the ECDSA ones (cryptography parses SM2 certificates; only their public
key is foreign to it), so revocation, CRL numbers (one counter) and OCSP status share one store. CRLs
and OCSP answers are made by :mod:`esign.pki.sm2_certs` and :mod:`esign.pki.sm2_ocsp`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import pem
from cryptography import x509
from sqlalchemy.orm import Session

from esign.errors import ConfigError, ConflictError
from esign.pki import profiles, sm2_profiles, store
from esign.pki.certio import write_public_file
from esign.pki.crl import CRL_PERIOD, CRL_REFRESH, fresh_crl
from esign.pki.keystore.sm2 import Sm2KeyStore, Sm2Signer
from esign.pki.ocsp import OCSP_VALIDITY, StatusLookup
from esign.pki.profiles import CountyInfo, SealSubject
from esign.pki.sm2 import Sm2PublicKey
from esign.pki.sm2_certs import Sm2Certificate, sm2_crl
from esign.pki.sm2_ocsp import sm2_ocsp_malformed, sm2_ocsp_response
from esign.pki.sm2_profiles import Sm2Issuer, as_key
from esign.pki.sm2_tsa import Sm2TimeStampAuthority
from esign.pki.status import CertKind

__all__ = [
    "SM2_CERT_FILES",
    "SM2_DIR",
    "SM2_KEY_IDS",
    "Sm2CountyPKI",
    "Sm2OcspResponder",
    "Sm2Trust",
    "certificate_pem",
    "county_sm2_trust",
    "to_x509",
]

#: Sub-folder of ``certs/`` for the SM2 hierarchy.
SM2_DIR = "sm2"
#: Key ids of the SM2 hierarchy in its key store.
SM2_KEY_IDS = ("root", "issuing", "tsa", "ocsp", "maker")
#: Certificate files (root last: its presence marks a complete hierarchy).
SM2_CERT_FILES = {k: f"{k}.crt" for k in ("issuing", "tsa", "ocsp", "maker", "root")}
#: Validity of the offline SM2 root's CRL.
ROOT_CRL_PERIOD = dt.timedelta(days=365)


def certificate_pem(cert: Sm2Certificate) -> bytes:
    """PEM of an SM2 certificate."""
    return pem.armor("CERTIFICATE", cert.der)


def to_x509(cert: Sm2Certificate) -> x509.Certificate:
    """The cryptography view (serial, names, dates, extensions; not the SM2 public key)."""
    return x509.load_der_x509_certificate(cert.der)


def _load(data: bytes) -> Sm2Certificate:
    if data.lstrip().startswith(b"-----BEGIN"):
        data = pem.unarmor(data)[2]
    return Sm2Certificate.from_der(data)


def _broken(what: str) -> ConfigError:
    return ConfigError(
        f"SM2 证书体系不一致：{what}。", f"The SM2 county PKI is inconsistent: {what}.", code="pki_inconsistent"
    )


def _signed_by(cert: Sm2Certificate, issuer: Sm2Certificate, what: str) -> None:
    if not cert.signed_by(issuer.public_key) or cert.asn1.issuer != issuer.asn1.subject:
        raise _broken(f"{what} is not signed by its issuer")


@dataclass(frozen=True, eq=False)
class Sm2CountyPKI:
    """The SM2 CA hierarchy with its online signers. Construction checks every signature and key pair."""

    root: Sm2Certificate
    """The self-signed SM2 root (the trust anchor for GB/T 38540 seals)."""
    issuing: Sm2Certificate
    """The online SM2 issuing CA (signs seal, maker, TSA and OCSP certificates and the CRL)."""
    tsa: Sm2Certificate
    """The SM2 time-stamping unit."""
    ocsp: Sm2Certificate
    """The delegated SM2 OCSP signer."""
    maker: Sm2Certificate
    """The maker (制章者) certificate of the county reform office; signs seal data."""
    issuing_signer: Sm2Signer = field(repr=False)
    """The issuing CA's key."""
    tsa_signer: Sm2Signer = field(repr=False)
    """The TSA's key."""
    ocsp_signer: Sm2Signer = field(repr=False)
    """The OCSP signer's key."""
    maker_signer: Sm2Signer = field(repr=False)
    """The maker's key."""
    base_url: str
    """Public base URL printed into certificates (taken from the maker certificate's CRL pointer)."""

    def __post_init__(self) -> None:
        _signed_by(self.root, self.root, "the root")
        _signed_by(self.issuing, self.root, "the issuing CA")
        for name in ("tsa", "ocsp", "maker"):
            _signed_by(getattr(self, name), self.issuing, f"the {name} certificate")
        for name in ("issuing", "tsa", "ocsp", "maker"):
            if getattr(self, name).public_key != getattr(self, f"{name}_signer").public_key():
                raise _broken(f"the {name} key does not match its certificate")

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        keystore: Sm2KeyStore,
        certs_dir: str | os.PathLike[str],
        county: CountyInfo,
        *,
        base_url: str,
        at: dt.datetime,
    ) -> Sm2CountyPKI:
        """Create the five keys and certificates, write them to ``certs_dir/sm2`` with the root's CRL.

        Refuses when any key id or certificate file exists (nothing is overwritten).
        """
        folder = Path(certs_dir) / SM2_DIR
        taken = [k for k in SM2_KEY_IDS if keystore.exists(k)] + [
            n for n in SM2_CERT_FILES.values() if (folder / n).exists()
        ]
        if taken:
            raise ConflictError(
                "已有 SM2 证书体系的密钥或证书，不会覆盖。",
                f"SM2 PKI keys or certificates exist already ({taken}); refusing to overwrite.",
                code="pki_exists",
            )
        publics = {k: keystore.generate(k) for k in SM2_KEY_IDS}
        root_signer = keystore.signer("root")
        root = sm2_profiles.root_ca_certificate(county, root_signer, at=at)
        issuing = sm2_profiles.issuing_ca_certificate(
            county, publics["issuing"], issuer=Sm2Issuer(root, root_signer), at=at
        )
        by_issuing = Sm2Issuer(issuing, keystore.signer("issuing"))
        certs = {
            "root": root,
            "issuing": issuing,
            "tsa": sm2_profiles.tsa_certificate(county, publics["tsa"], issuer=by_issuing, base_url=base_url, at=at),
            "ocsp": sm2_profiles.ocsp_signer_certificate(county, publics["ocsp"], issuer=by_issuing, at=at),
            "maker": sm2_profiles.maker_certificate(
                county, publics["maker"], issuer=by_issuing, base_url=base_url, at=at
            ),
        }
        # The root is offline: its CRL (over the issuing CA) is made now, for a year.
        root_crl = sm2_crl(root, as_key(root_signer), [], number=1, at=at, period=ROOT_CRL_PERIOD)
        write_public_file(folder / "root.crl", root_crl)
        for kind, name in SM2_CERT_FILES.items():
            write_public_file(folder / name, certificate_pem(certs[kind]))
        return cls.load(keystore, certs_dir)

    @classmethod
    def exists_in(cls, certs_dir: str | os.PathLike[str]) -> bool:
        """Whether ``certs_dir`` holds a complete SM2 hierarchy."""
        return (Path(certs_dir) / SM2_DIR / SM2_CERT_FILES["root"]).exists()

    @classmethod
    def load(cls, keystore: Sm2KeyStore, certs_dir: str | os.PathLike[str]) -> Sm2CountyPKI:
        """The hierarchy in ``certs_dir/sm2`` with the online keys from ``keystore``."""
        folder = Path(certs_dir) / SM2_DIR
        certs: dict[str, Sm2Certificate] = {}
        for kind, name in SM2_CERT_FILES.items():
            try:
                certs[kind] = _load((folder / name).read_bytes())
            except FileNotFoundError:
                raise ConfigError(
                    "本数据目录尚无 SM2 证书体系，请运行 esign pki sm2-init。",
                    f"No SM2 county PKI in {folder} ({name} missing): run `esign pki sm2-init`.",
                    code="sm2_pki_not_initialized",
                ) from None
        crl_url = certs["maker"].asn1.crl_distribution_points[0]["distribution_point"].native[0]
        return cls(
            **certs,
            issuing_signer=keystore.signer("issuing"),
            tsa_signer=keystore.signer("tsa"),
            ocsp_signer=keystore.signer("ocsp"),
            maker_signer=keystore.signer("maker"),
            base_url=crl_url.removesuffix("/pki/sm2/crl"),
        )

    def record(self, session: Session, *, at: dt.datetime) -> None:
        """Record the five certificates in the PKI store (once, right after :meth:`create`)."""
        root, issuing = to_x509(self.root), to_x509(self.issuing)
        store.record_issued(session, root, kind=CertKind.ROOT, issuer=root, at=at)
        store.record_issued(session, issuing, kind=CertKind.ISSUING, issuer=root, at=at)
        for kind, cert in ((CertKind.TSA, self.tsa), (CertKind.OCSP, self.ocsp), (CertKind.MAKER, self.maker)):
            store.record_issued(session, to_x509(cert), kind=kind, issuer=issuing, at=at)

    # -- use ------------------------------------------------------------------------------------

    def certificate(self, kind: str) -> Sm2Certificate:
        """``root``, ``issuing``, ``tsa``, ``ocsp`` or ``maker``."""
        return {"root": self.root, "issuing": self.issuing, "tsa": self.tsa, "ocsp": self.ocsp, "maker": self.maker}[
            kind
        ]

    @property
    def issuing_x509(self) -> x509.Certificate:
        """The issuing CA as cryptography sees it (what the store functions take)."""
        return to_x509(self.issuing)

    def issue_seal_certificate(
        self,
        subject: SealSubject,
        public_key: Sm2PublicKey,
        *,
        at: dt.datetime,
        validity: dt.timedelta = profiles.SEAL_VALIDITY,
    ) -> Sm2Certificate:
        """Certify a seal's SM2 key; the caller records it (kind ``seal``)."""
        return sm2_profiles.seal_certificate(
            subject,
            public_key,
            issuer=Sm2Issuer(self.issuing, self.issuing_signer),
            base_url=self.base_url,
            at=at,
            validity=validity,
        )

    def publish_crl(self, session: Session, *, at: dt.datetime, period: dt.timedelta = CRL_PERIOD) -> bytes:
        """Build, store and return the issuing CA's next CRL (DER), numbered from the shared counter."""
        issuing = self.issuing_x509
        epoch = store.revocation_epoch(session)
        number = store.next_crl_number(session)
        entries = store.revoked_list(session, issuing)
        der = sm2_crl(self.issuing, as_key(self.issuing_signer), entries, number=number, at=at, period=period)
        store.save_crl(
            session, issuer=issuing, number=number, epoch=epoch, this_update=at, next_update=at + period, der=der
        )
        return der

    def current_crl(
        self,
        session: Session,
        *,
        at: dt.datetime,
        period: dt.timedelta = CRL_PERIOD,
        refresh: dt.timedelta = CRL_REFRESH,
    ) -> bytes:
        """The latest stored CRL if it reflects every revocation and is not close to expiry; else a new one."""
        stored = fresh_crl(session, self.issuing_x509, at=at, refresh=refresh)
        return stored if stored is not None else self.publish_crl(session, at=at, period=period)

    def ocsp_responder(self, *, validity: dt.timedelta = OCSP_VALIDITY) -> Sm2OcspResponder:
        """The SM2 OCSP responder for the issuing CA."""
        return Sm2OcspResponder(self.issuing, self.ocsp, self.ocsp_signer, validity=validity)

    def timestamp_authority(self) -> Sm2TimeStampAuthority:
        """The SM2 TSA with the issuing CA as its chain."""
        return Sm2TimeStampAuthority(self.tsa, self.tsa_signer)


class Sm2OcspResponder:
    """The SM2 issuing CA's OCSP responder (:func:`esign.pki.sm2_ocsp.sm2_ocsp_response` with the delegated signer)."""

    def __init__(
        self, issuer: Sm2Certificate, responder: Sm2Certificate, signer: Sm2Signer, *, validity: dt.timedelta
    ) -> None:
        self._issuer, self._responder, self._signer, self._validity = issuer, responder, signer, validity

    @staticmethod
    def malformed_response() -> bytes:
        """A DER ``malformedRequest`` response."""
        return sm2_ocsp_malformed()

    def respond(self, request_der: bytes, status_lookup: StatusLookup, *, at: dt.datetime) -> bytes:
        """The DER OCSPResponse to ``request_der`` at ``at``; never raises on a bad request."""
        return sm2_ocsp_response(
            request_der,
            status_lookup,
            issuer=self._issuer,
            responder=self._responder,
            responder_key=as_key(self._signer),
            at=at,
            validity=self._validity,
        )


@dataclass(frozen=True)
class Sm2Trust:
    """What a relying party on this home trusts for GB/T 38540 seals and signatures, all DER."""

    roots: tuple[bytes, ...]
    """The county's SM2 root (the trust anchor)."""
    intermediates: tuple[bytes, ...]
    """The SM2 issuing CA."""
    crls: tuple[bytes, ...]
    """The root's CRL over the issuing CA (when the home has it) and, when asked, the issuing CA's current CRL."""


def county_sm2_trust(
    pki: Sm2CountyPKI,
    certs_dir: str | os.PathLike[str],
    *,
    at: dt.datetime,
    transaction: Callable[[], AbstractContextManager[Session]] | None = None,
) -> Sm2Trust:
    """The SM2 hierarchy of a home as trust material: its root, its issuing CA, the root's CRL and, given
    ``transaction``, the issuing CA's current CRL (made and stored in that one transaction when due, as
    ``/pki/sm2/crl`` does). Without ``transaction`` nothing is read from or written to the database."""
    crls: list[bytes] = []
    root_crl = Path(certs_dir) / SM2_DIR / "root.crl"
    if root_crl.exists():
        crls.append(root_crl.read_bytes())
    if transaction is not None:
        with transaction() as session:
            crls.append(pki.current_crl(session, at=at))
    return Sm2Trust(roots=(pki.root.der,), intermediates=(pki.issuing.der,), crls=tuple(crls))
