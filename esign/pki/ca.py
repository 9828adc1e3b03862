"""The county PKI as one object: its certificates, the online keys, and seal issuance.

Layout on disk: certificates are public and live as PEM files in ``certs_dir`` (``root.crt``,
``issuing.crt``, ``tsa.crt``, ``ocsp.crt``); private keys live in a :class:`KeyStore` under the ids
``root``, ``issuing``, ``tsa`` and ``ocsp``. The root key is only used by :meth:`CountyPKI.generate`
(offline-style): a loaded :class:`CountyPKI` never holds it.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature

from esign.errors import ConfigError, ConflictError
from esign.pki import profiles
from esign.pki.certio import certificate_pem, load_certificate, write_public_file
from esign.pki.keys import KeyAlgorithm, PrivateKey, PublicKey
from esign.pki.keystore.api import KeyStore
from esign.pki.ocsp import OCSP_CACHE_FOR, OCSP_VALIDITY, OcspResponder
from esign.pki.profiles import CountyInfo, SealSubject
from esign.pki.tsa import TimeStampAuthority

__all__ = ["CERT_FILES", "KEY_IDS", "CountyPKI", "published_base_url"]

#: Key ids of the county PKI in its key store.
KEY_IDS = ("root", "issuing", "tsa", "ocsp")
#: File names of the county PKI certificates in ``certs_dir`` (root last: its presence marks a complete PKI).
CERT_FILES = {"issuing": "issuing.crt", "tsa": "tsa.crt", "ocsp": "ocsp.crt", "root": "root.crt"}


def _broken(what: str) -> ConfigError:
    return ConfigError(
        f"县级证书体系不一致：{what}。", f"The county PKI is inconsistent: {what}.", code="pki_inconsistent"
    )


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate, what: str) -> None:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature) as e:
        raise _broken(f"{what} is not signed by its issuer") from e


def _same_key(cert: x509.Certificate, key: PrivateKey, what: str) -> None:
    if cert.public_key() != key.public_key():
        raise _broken(f"the {what} key does not match its certificate")


def _base_url_of(cert: x509.Certificate) -> str:
    try:
        dps = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
        url = dps[0].full_name[0].value if dps[0].full_name else ""
    except (x509.ExtensionNotFound, IndexError):
        url = ""
    suffix = "/pki/crl"
    if not isinstance(url, str) or not url.endswith(suffix):
        raise _broken("the TSA certificate has no esign CRL distribution point")
    return url[: -len(suffix)]


def published_base_url(certs_dir: str | os.PathLike[str]) -> str | None:
    """The public base URL the county's certificates carry (from ``tsa.crt``), or None without a PKI."""
    path = Path(certs_dir) / CERT_FILES["tsa"]
    if not path.exists():
        return None
    return _base_url_of(load_certificate(path.read_bytes()))


@dataclass(frozen=True, eq=False)
class CountyPKI:
    """A county's CA hierarchy with the online keys. Construction checks every signature and key pair."""

    root: x509.Certificate
    """The self-signed root CA certificate (the trust anchor relying parties install)."""
    issuing: x509.Certificate
    """The online issuing CA certificate (signs seals, CRLs, the TSA and OCSP certificates)."""
    issuing_key: PrivateKey = field(repr=False)
    """The issuing CA's private key."""
    tsa: x509.Certificate
    """The time-stamping unit's certificate."""
    tsa_key: PrivateKey = field(repr=False)
    """The time-stamping unit's private key."""
    ocsp: x509.Certificate
    """The delegated OCSP signer's certificate."""
    ocsp_key: PrivateKey = field(repr=False)
    """The OCSP signer's private key."""
    base_url: str
    """Public base URL printed into certificates (CRL, OCSP, caIssuers); taken from the TSA certificate."""

    def __post_init__(self) -> None:
        _issued_by(self.root, self.root, "the root")
        _issued_by(self.issuing, self.root, "the issuing CA")
        _issued_by(self.tsa, self.issuing, "the TSA certificate")
        _issued_by(self.ocsp, self.issuing, "the OCSP certificate")
        _same_key(self.issuing, self.issuing_key, "issuing CA")
        _same_key(self.tsa, self.tsa_key, "TSA")
        _same_key(self.ocsp, self.ocsp_key, "OCSP")

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def generate(
        cls,
        keystore: KeyStore,
        county: CountyInfo,
        *,
        base_url: str,
        at: dt.datetime,
        algorithm: KeyAlgorithm = KeyAlgorithm.EC_P256,
        root_validity: dt.timedelta = profiles.ROOT_VALIDITY,
        issuing_validity: dt.timedelta = profiles.ISSUING_VALIDITY,
        tsa_validity: dt.timedelta = profiles.TSA_VALIDITY,
        ocsp_validity: dt.timedelta = profiles.OCSP_VALIDITY,
    ) -> CountyPKI:
        """Create the four keys in ``keystore`` and certify them; certificates stay in memory.

        Refuses if any of the key ids exists in ``keystore``.
        """
        taken = [k for k in KEY_IDS if keystore.exists(k)]
        if taken:
            raise ConflictError(
                "密钥库中已有县级证书体系的密钥，不会覆盖。",
                f"The key store already holds PKI keys {taken}; refusing to overwrite.",
                code="pki_exists",
            )
        publics: dict[str, PublicKey] = {k: keystore.generate(k, algorithm) for k in KEY_IDS}
        root_key = keystore.load_private("root")
        issuing_key = keystore.load_private("issuing")
        root = profiles.root_ca_certificate(county, root_key, at=at, validity=root_validity)
        issuing = profiles.issuing_ca_certificate(
            county,
            publics["issuing"],
            issuer_cert=root,
            issuer_key=root_key,
            base_url=base_url,
            at=at,
            validity=issuing_validity,
        )
        tsa = profiles.tsa_certificate(
            county,
            publics["tsa"],
            issuer_cert=issuing,
            issuer_key=issuing_key,
            base_url=base_url,
            at=at,
            validity=tsa_validity,
        )
        ocsp = profiles.ocsp_signer_certificate(
            county, publics["ocsp"], issuer_cert=issuing, issuer_key=issuing_key, at=at, validity=ocsp_validity
        )
        return cls(
            root=root,
            issuing=issuing,
            issuing_key=issuing_key,
            tsa=tsa,
            tsa_key=keystore.load_private("tsa"),
            ocsp=ocsp,
            ocsp_key=keystore.load_private("ocsp"),
            base_url=_base_url_of(tsa),
        )

    @classmethod
    def create(
        cls,
        keystore: KeyStore,
        certs_dir: str | os.PathLike[str],
        county: CountyInfo,
        *,
        base_url: str,
        at: dt.datetime,
        algorithm: KeyAlgorithm = KeyAlgorithm.EC_P256,
    ) -> CountyPKI:
        """:meth:`generate` and write the certificates to ``certs_dir``; refuses an existing PKI there.

        Not transactional: if writing fails half-way, the keys stay in ``keystore`` and a retry is
        refused until the operator removes them (nothing is ever overwritten silently).
        """
        certs_dir = Path(certs_dir)
        existing = [n for n in CERT_FILES.values() if (certs_dir / n).exists()]
        if existing:
            raise ConflictError(
                "该目录中已有县级证书体系，不会覆盖。",
                f"{certs_dir} already holds PKI certificates {existing}; refusing to overwrite.",
                code="pki_exists",
            )
        pki = cls.generate(keystore, county, base_url=base_url, at=at, algorithm=algorithm)
        pki.write_certs(certs_dir)
        return pki

    @classmethod
    def from_bytes(cls, keystore: KeyStore, *, root: bytes, issuing: bytes, tsa: bytes, ocsp: bytes) -> CountyPKI:
        """The PKI from its four certificates (PEM or DER) and the online keys in ``keystore``."""
        tsa_cert = load_certificate(tsa)
        return cls(
            root=load_certificate(root),
            issuing=load_certificate(issuing),
            issuing_key=keystore.load_private("issuing"),
            tsa=tsa_cert,
            tsa_key=keystore.load_private("tsa"),
            ocsp=load_certificate(ocsp),
            ocsp_key=keystore.load_private("ocsp"),
            base_url=_base_url_of(tsa_cert),
        )

    @classmethod
    def load(cls, keystore: KeyStore, certs_dir: str | os.PathLike[str]) -> CountyPKI:
        """The PKI whose certificates are in ``certs_dir`` (see :data:`CERT_FILES`)."""
        certs_dir = Path(certs_dir)
        data: dict[str, bytes] = {}
        for kind, name in CERT_FILES.items():
            try:
                data[kind] = (certs_dir / name).read_bytes()
            except FileNotFoundError:
                raise ConfigError(
                    "未找到县级证书体系，请先运行 esign init。",
                    f"No county PKI in {certs_dir} ({name} missing): run `esign init` first.",
                    code="pki_not_initialized",
                ) from None
        return cls.from_bytes(keystore, **data)

    def write_certs(self, certs_dir: str | os.PathLike[str]) -> None:
        """Write the four certificates as PEM (root last); never overwrites."""
        for kind, name in CERT_FILES.items():
            write_public_file(Path(certs_dir) / name, certificate_pem(self.certificate(kind)))

    # -- use --------------------------------------------------------------------------------------

    def certificate(self, kind: str) -> x509.Certificate:
        """The certificate ``root``, ``issuing``, ``tsa`` or ``ocsp``."""
        certs = {"root": self.root, "issuing": self.issuing, "tsa": self.tsa, "ocsp": self.ocsp}
        return certs[kind]

    @property
    def chain(self) -> tuple[x509.Certificate, x509.Certificate]:
        """The CA chain above a seal certificate: (issuing, root)."""
        return (self.issuing, self.root)

    def issue_seal_certificate(
        self,
        subject: SealSubject,
        public_key: PublicKey,
        *,
        at: dt.datetime,
        validity: dt.timedelta = profiles.SEAL_VALIDITY,
    ) -> x509.Certificate:
        """Certify a township seal's public key. The caller records it (:func:`esign.pki.store.record_issued`)."""
        return profiles.seal_certificate(
            subject,
            public_key,
            issuer_cert=self.issuing,
            issuer_key=self.issuing_key,
            base_url=self.base_url,
            at=at,
            validity=validity,
        )

    def ocsp_responder(
        self, *, validity: dt.timedelta = OCSP_VALIDITY, cache_for: dt.timedelta = OCSP_CACHE_FOR
    ) -> OcspResponder:
        """An :class:`OcspResponder` for this PKI's issuing CA, signing with the delegated OCSP key."""
        return OcspResponder(self.issuing, self.ocsp, self.ocsp_key, validity=validity, cache_for=cache_for)

    def timestamp_authority(self) -> TimeStampAuthority:
        """A :class:`TimeStampAuthority` with this PKI's TSA certificate and chain."""
        return TimeStampAuthority(self.tsa, self.tsa_key, chain=(self.issuing,))
