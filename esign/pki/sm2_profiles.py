"""SM2 certificate profiles of the county PKI (GB/T 20518-2018): which certificates, what they say.

The SM2 hierarchy mirrors the ECDSA one in :mod:`esign.pki.profiles`: a root CA (pathLen 1)
certifies an online issuing CA (pathLen 0), which certifies the time-stamping unit, the delegated
OCSP signer, the maker (制章者: the county reform office, which signs GB/T 38540 seal data) and
one signing certificate per township seal. Subjects and extensions are cryptography values, the same
as the ECDSA profiles use, so both certificates of a seal name it byte for byte the same; the signed
structure is made by :func:`esign.pki.sm2_certs.sm2_certificate` (SM2 key, SM2-with-SM3, default user ID).

A seal certificate has keyUsage digitalSignature + nonRepudiation (critical), the seal policy and CRL,
OCSP and caIssuers pointers to ``/pki/sm2/...``. ``notBefore`` is backdated a few minutes for clock
skew and ``notAfter`` never exceeds the issuer's, as in :mod:`esign.pki.profiles`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from cryptography import x509
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID

from esign.errors import InputError
from esign.pki import profiles
from esign.pki._util import require_utc
from esign.pki.keystore.sm2 import Sm2Signer
from esign.pki.oids import SEAL_POLICY, TSA_POLICY
from esign.pki.sm2 import Sm2PrivateKey, Sm2PublicKey
from esign.pki.sm2_certs import Sm2Certificate, signing_key_usage, sm2_certificate

__all__ = [
    "MAKER_VALIDITY",
    "Sm2Issuer",
    "as_key",
    "issuing_ca_certificate",
    "maker_certificate",
    "ocsp_signer_certificate",
    "root_ca_certificate",
    "seal_certificate",
    "sm2_base",
    "tsa_certificate",
]

#: Default lifetime of the maker (制章者) certificate.
MAKER_VALIDITY = 10 * 365 * dt.timedelta(days=1)


def as_key(signer: Sm2Signer) -> Sm2PrivateKey:
    """``signer`` where the SM2 builders expect a key: they call only ``public_key()`` and ``sign()``,
    which every :class:`Sm2Signer` has (an SDF/SKF signer as much as a file key)."""
    return cast(Sm2PrivateKey, signer)


def sm2_base(base_url: str) -> str:
    """Where the SM2 hierarchy is published: ``BASE/pki/sm2``."""
    return f"{profiles._check_base_url(base_url)}/pki/sm2"


@dataclass(frozen=True)
class Sm2Issuer:
    """A CA certificate and its signer: what signs the next certificate down."""

    cert: Sm2Certificate
    """The issuer's certificate."""
    signer: Sm2Signer
    """Its key."""


def _ext(value: x509.ExtensionType, *, critical: bool = False) -> x509.Extension[x509.ExtensionType]:
    return x509.Extension(value.oid, critical, value)


def _ca(path_length: int) -> list[x509.Extension[x509.ExtensionType]]:
    usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
    return [_ext(x509.BasicConstraints(ca=True, path_length=path_length), critical=True), _ext(usage, critical=True)]


def _end_entity(*, non_repudiation: bool) -> list[x509.Extension[x509.ExtensionType]]:
    usage: x509.Extension[x509.ExtensionType] = _ext(
        x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True
    )
    if non_repudiation:
        usage = cast(x509.Extension[x509.ExtensionType], signing_key_usage())
    return [_ext(x509.BasicConstraints(ca=False, path_length=None), critical=True), usage]


def _policies(*oids: x509.ObjectIdentifier) -> x509.Extension[x509.ExtensionType]:
    return _ext(x509.CertificatePolicies([x509.PolicyInformation(oid, None) for oid in oids]))


def _pointers(base_url: str) -> list[x509.Extension[x509.ExtensionType]]:
    base = sm2_base(base_url)
    uri = x509.UniformResourceIdentifier
    return [
        _ext(x509.CRLDistributionPoints([x509.DistributionPoint([uri(f"{base}/crl")], None, None, None)])),
        _ext(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(AuthorityInformationAccessOID.OCSP, uri(f"{base}/ocsp")),
                    x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS, uri(f"{base}/issuing.crt")),
                ]
            )
        ),
    ]


def _certificate(
    subject: x509.Name,
    public_key: Sm2PublicKey,
    *,
    issuer: Sm2Issuer | None,
    self_signer: Sm2Signer | None = None,
    at: dt.datetime,
    validity: dt.timedelta,
    extensions: Sequence[x509.Extension[x509.ExtensionType]],
) -> Sm2Certificate:
    at = require_utc(at).replace(microsecond=0)
    if validity <= dt.timedelta(0):
        raise InputError("有效期必须为正。", "validity must be positive.", field="validity")
    not_after = at + validity
    if issuer is not None:
        # A certificate must not outlive its issuer; shorten rather than mint a broken chain.
        issuer_end = issuer.cert.asn1["tbs_certificate"]["validity"]["not_after"].native
        not_after = min(not_after, issuer_end)
        if not_after <= at:
            raise InputError("签发证书已过期。", "The issuer certificate has expired.", code="issuer_expired")
    signer = issuer.signer if issuer is not None else self_signer
    if signer is None:
        raise InputError("缺少签名密钥。", "No signing key.", code="no_signer")
    der = sm2_certificate(
        subject,
        public_key,
        issuer=None if issuer is None else issuer.cert,
        issuer_key=as_key(signer),
        serial=profiles.random_serial(),
        not_before=at - profiles.BACKDATE,
        not_after=not_after,
        extensions=extensions,
    )
    return Sm2Certificate.from_der(der)


def root_ca_certificate(
    county: profiles.CountyInfo, signer: Sm2Signer, *, at: dt.datetime, validity: dt.timedelta = profiles.ROOT_VALIDITY
) -> Sm2Certificate:
    """The self-signed SM2 root: CA with pathLen 1, keyCertSign + cRLSign."""
    name = county.name(f"{county.county}电子印章SM2根CA")
    return _certificate(
        name, signer.public_key(), issuer=None, self_signer=signer, at=at, validity=validity, extensions=_ca(1)
    )


def issuing_ca_certificate(
    county: profiles.CountyInfo,
    public_key: Sm2PublicKey,
    *,
    issuer: Sm2Issuer,
    at: dt.datetime,
    validity: dt.timedelta = profiles.ISSUING_VALIDITY,
) -> Sm2Certificate:
    """The online SM2 issuing CA: pathLen 0, keyCertSign + cRLSign, the seal and TSA policies."""
    return _certificate(
        county.name(f"{county.county}电子印章SM2签发CA"),
        public_key,
        issuer=issuer,
        at=at,
        validity=validity,
        extensions=[*_ca(0), _policies(SEAL_POLICY, TSA_POLICY)],
    )


def tsa_certificate(
    county: profiles.CountyInfo,
    public_key: Sm2PublicKey,
    *,
    issuer: Sm2Issuer,
    base_url: str,
    at: dt.datetime,
    validity: dt.timedelta = profiles.TSA_VALIDITY,
) -> Sm2Certificate:
    """The SM2 time-stamping unit (GB/T 20520): EKU timeStamping only, critical (RFC 3161 2.3)."""
    return _certificate(
        county.name(f"{county.county}SM2时间戳服务"),
        public_key,
        issuer=issuer,
        at=at,
        validity=validity,
        extensions=[
            *_end_entity(non_repudiation=False),
            _ext(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True),
            _policies(TSA_POLICY),
            *_pointers(base_url),
        ],
    )


def ocsp_signer_certificate(
    county: profiles.CountyInfo,
    public_key: Sm2PublicKey,
    *,
    issuer: Sm2Issuer,
    at: dt.datetime,
    validity: dt.timedelta = profiles.OCSP_VALIDITY,
) -> Sm2Certificate:
    """The delegated SM2 OCSP signer: EKU OCSPSigning and id-pkix-ocsp-nocheck (RFC 6960 4.2.2.2.1)."""
    return _certificate(
        county.name(f"{county.county}SM2证书状态服务OCSP"),
        public_key,
        issuer=issuer,
        at=at,
        validity=validity,
        extensions=[
            *_end_entity(non_repudiation=False),
            _ext(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING])),
            _ext(x509.OCSPNoCheck()),
        ],
    )


def maker_certificate(
    county: profiles.CountyInfo,
    public_key: Sm2PublicKey,
    *,
    issuer: Sm2Issuer,
    base_url: str,
    at: dt.datetime,
    validity: dt.timedelta = MAKER_VALIDITY,
) -> Sm2Certificate:
    """The maker (制章者, GB/T 38540: the seal-data maker) certificate of the county reform office.

    It signs seal data (SES_Seal): digitalSignature + nonRepudiation; O and CN name the office.
    """
    return _certificate(
        county.name(county.office),
        public_key,
        issuer=issuer,
        at=at,
        validity=validity,
        extensions=[*_end_entity(non_repudiation=True), _policies(SEAL_POLICY), *_pointers(base_url)],
    )


def seal_certificate(
    subject: profiles.SealSubject,
    public_key: Sm2PublicKey,
    *,
    issuer: Sm2Issuer,
    base_url: str,
    at: dt.datetime,
    validity: dt.timedelta = profiles.SEAL_VALIDITY,
) -> Sm2Certificate:
    """A township seal's SM2 signing certificate (GB/T 20518 signing-certificate profile)."""
    return _certificate(
        subject.to_name(),
        public_key,
        issuer=issuer,
        at=at,
        validity=validity,
        extensions=[*_end_entity(non_repudiation=True), _policies(SEAL_POLICY), *_pointers(base_url)],
    )
