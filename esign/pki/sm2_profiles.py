"""SM2 certificate profiles of the county PKI (GB/T 20518-2018), built with asn1crypto.

The SM2 hierarchy mirrors the ECDSA one in :mod:`esign.pki.profiles`: a root CA (pathLen 1)
certifies an online issuing CA (pathLen 0), which certifies the time-stamping unit, the delegated
OCSP signer, the maker (制章者: the county reform office, which signs GB/T 38540 seal data) and
one signing certificate per township seal. What GB/T 20518 fixes and this module follows:

* subjectPublicKeyInfo: algorithm id-ecPublicKey with the SM2 curve ``1.2.156.10197.1.301`` as
  parameters (§6.2.1.6; what GmSSL and OpenSSL 3 write);
* signature: SM2-with-SM3 ``1.2.156.10197.1.501`` without parameters, the signer's Z value computed
  with the default user ID ``1234567812345678`` (GB/T 35276 §7.1);
* a seal certificate has keyUsage digitalSignature + nonRepudiation (critical), the same subject as
  the seal's ECDSA certificate (C, ST, L, O, OU, organizationIdentifier, CN), CRL and OCSP pointers
  to ``/pki/sm2/...``.

Names are taken from :class:`esign.pki.profiles.CountyInfo` / :class:`SealSubject` (their DER from
cryptography), so both certificates of a seal name it byte for byte the same.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from asn1crypto import core, keys
from asn1crypto import x509 as ax
from cryptography import x509

from esign.errors import InputError
from esign.pki import profiles
from esign.pki._util import require_utc
from esign.pki.keystore.sm2 import Sm2Signer
from esign.pki.oids import SEAL_POLICY, TSA_POLICY
from esign.pki.sm2 import SM2_WITH_SM3_OID, Sm2PublicKey

__all__ = [
    "MAKER_VALIDITY",
    "Sm2Issuer",
    "issuing_ca_certificate",
    "maker_certificate",
    "ocsp_signer_certificate",
    "root_ca_certificate",
    "seal_certificate",
    "sign_der",
    "sm2_base",
    "tsa_certificate",
]

#: Default lifetime of the maker (制章者) certificate.
MAKER_VALIDITY = 10 * 365 * dt.timedelta(days=1)


def sm2_base(base_url: str) -> str:
    """Where the SM2 hierarchy is published: ``BASE/pki/sm2``."""
    return f"{base_url.rstrip('/')}/pki/sm2"


def sign_der(tbs: core.Asn1Value, signer: Sm2Signer) -> tuple[dict[str, str], bytes]:
    """``(signatureAlgorithm, signatureValue)`` of ``tbs`` signed with SM2-with-SM3."""
    return {"algorithm": SM2_WITH_SM3_OID}, signer.sign(tbs.dump())


@dataclass(frozen=True)
class Sm2Issuer:
    """A CA certificate and its signer: what signs the next certificate down."""

    cert: ax.Certificate
    """The issuer's certificate."""
    signer: Sm2Signer
    """Its key."""


def _name(name: x509.Name) -> ax.Name:
    return ax.Name.load(name.public_bytes())


def _key_id(public_key: Sm2PublicKey) -> bytes:
    # RFC 5280 section 4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits, as for the ECDSA tier.
    return hashlib.sha1(public_key.point, usedforsecurity=False).digest()


def _time(value: dt.datetime) -> ax.Time:
    if value.year < 2050:
        return ax.Time(name="utc_time", value=value)
    return ax.Time(name="general_time", value=value)


def _ku(*names: str) -> dict[str, object]:
    return {"extn_id": "key_usage", "critical": True, "extn_value": ax.KeyUsage(set(names))}


def _pointers(base_url: str) -> list[dict[str, object]]:
    base = sm2_base(profiles._check_base_url(base_url))
    return [
        {
            "extn_id": "crl_distribution_points",
            "critical": False,
            "extn_value": [
                {
                    "distribution_point": {
                        "full_name": [ax.GeneralName(name="uniform_resource_identifier", value=f"{base}/crl")]
                    }
                }
            ],
        },
        {
            "extn_id": "authority_information_access",
            "critical": False,
            "extn_value": [
                {
                    "access_method": "ocsp",
                    "access_location": ax.GeneralName(name="uniform_resource_identifier", value=f"{base}/ocsp"),
                },
                {
                    "access_method": "ca_issuers",
                    "access_location": ax.GeneralName(name="uniform_resource_identifier", value=f"{base}/issuing.crt"),
                },
            ],
        },
    ]


def _policies(*oids: x509.ObjectIdentifier) -> dict[str, object]:
    return {
        "extn_id": "certificate_policies",
        "critical": False,
        "extn_value": [{"policy_identifier": oid.dotted_string} for oid in oids],
    }


def _certificate(
    subject: x509.Name,
    public_key: Sm2PublicKey,
    *,
    issuer: Sm2Issuer | None,
    self_signer: Sm2Signer | None = None,
    at: dt.datetime,
    validity: dt.timedelta,
    extensions: list[dict[str, object]],
) -> ax.Certificate:
    at = require_utc(at)
    if validity <= dt.timedelta(0):
        raise InputError("有效期必须为正。", "validity must be positive.", field="validity")
    not_after = (at + validity).replace(microsecond=0)
    subject_name = _name(subject)
    exts: list[dict[str, object]] = [
        {"extn_id": "key_identifier", "critical": False, "extn_value": _key_id(public_key)}
    ]
    if issuer is not None:
        issuer_end = issuer.cert["tbs_certificate"]["validity"]["not_after"].native
        # A certificate must not outlive its issuer; shorten rather than mint a broken chain.
        not_after = min(not_after, issuer_end)
        if not_after <= at:
            raise InputError("签发证书已过期。", "The issuer certificate has expired.", code="issuer_expired")
        exts.append(
            {
                "extn_id": "authority_key_identifier",
                "critical": False,
                "extn_value": {"key_identifier": issuer.cert.key_identifier},
            }
        )
    tbs = ax.TbsCertificate(
        {
            "version": "v3",
            "serial_number": profiles.random_serial(),
            "signature": {"algorithm": SM2_WITH_SM3_OID},
            "issuer": subject_name if issuer is None else issuer.cert.subject,
            "validity": {
                "not_before": _time((at - profiles.BACKDATE).replace(microsecond=0)),
                "not_after": _time(not_after),
            },
            "subject": subject_name,
            "subject_public_key_info": keys.PublicKeyInfo.load(public_key.spki_der()),
            "extensions": exts + extensions,
        }
    )
    signer = issuer.signer if issuer is not None else self_signer
    assert signer is not None
    algorithm, signature = sign_der(tbs, signer)
    cert = ax.Certificate({"tbs_certificate": tbs, "signature_algorithm": algorithm, "signature_value": signature})
    # Round-trip through DER: later readers see exactly the bytes that were signed.
    return ax.Certificate.load(cert.dump())


def root_ca_certificate(
    county: profiles.CountyInfo, signer: Sm2Signer, *, at: dt.datetime, validity: dt.timedelta = profiles.ROOT_VALIDITY
) -> ax.Certificate:
    """The self-signed SM2 root: CA with pathLen 1, keyCertSign + cRLSign."""
    return _certificate(
        county.name(f"{county.county}电子印章SM2根CA"),
        signer.public_key,
        issuer=None,
        self_signer=signer,
        at=at,
        validity=validity,
        extensions=[
            {"extn_id": "basic_constraints", "critical": True, "extn_value": {"ca": True, "path_len_constraint": 1}},
            _ku("key_cert_sign", "crl_sign"),
        ],
    )


def issuing_ca_certificate(
    county: profiles.CountyInfo,
    public_key: Sm2PublicKey,
    *,
    issuer: Sm2Issuer,
    at: dt.datetime,
    validity: dt.timedelta = profiles.ISSUING_VALIDITY,
) -> ax.Certificate:
    """The online SM2 issuing CA: pathLen 0, keyCertSign + cRLSign, the seal and TSA policies."""
    return _certificate(
        county.name(f"{county.county}电子印章SM2签发CA"),
        public_key,
        issuer=issuer,
        at=at,
        validity=validity,
        extensions=[
            {"extn_id": "basic_constraints", "critical": True, "extn_value": {"ca": True, "path_len_constraint": 0}},
            _ku("key_cert_sign", "crl_sign"),
            _policies(SEAL_POLICY, TSA_POLICY),
        ],
    )


def _end_entity(usages: tuple[str, ...]) -> list[dict[str, object]]:
    return [
        {"extn_id": "basic_constraints", "critical": True, "extn_value": {"ca": False}},
        _ku(*usages),
    ]


def tsa_certificate(
    county: profiles.CountyInfo,
    public_key: Sm2PublicKey,
    *,
    issuer: Sm2Issuer,
    base_url: str,
    at: dt.datetime,
    validity: dt.timedelta = profiles.TSA_VALIDITY,
) -> ax.Certificate:
    """The SM2 time-stamping unit (GB/T 20520): EKU timeStamping only, critical (RFC 3161 2.3)."""
    return _certificate(
        county.name(f"{county.county}SM2时间戳服务"),
        public_key,
        issuer=issuer,
        at=at,
        validity=validity,
        extensions=[
            *_end_entity(("digital_signature",)),
            {"extn_id": "extended_key_usage", "critical": True, "extn_value": ["time_stamping"]},
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
) -> ax.Certificate:
    """The delegated SM2 OCSP signer: EKU OCSPSigning and id-pkix-ocsp-nocheck (RFC 6960 4.2.2.2.1)."""
    return _certificate(
        county.name(f"{county.county}SM2证书状态服务OCSP"),
        public_key,
        issuer=issuer,
        at=at,
        validity=validity,
        extensions=[
            *_end_entity(("digital_signature",)),
            {"extn_id": "extended_key_usage", "critical": False, "extn_value": ["ocsp_signing"]},
            {"extn_id": "ocsp_no_check", "critical": False, "extn_value": core.Null()},
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
) -> ax.Certificate:
    """The maker (制章者, GB/T 38540 §5.2: 电子印章制作者) certificate of the county reform office.

    It signs seal data (SES_Seal); digitalSignature + nonRepudiation; names the office as O and CN.
    """
    return _certificate(
        county.name(county.office),
        public_key,
        issuer=issuer,
        at=at,
        validity=validity,
        extensions=[
            *_end_entity(("digital_signature", "non_repudiation")),
            _policies(SEAL_POLICY),
            *_pointers(base_url),
        ],
    )


def seal_certificate(
    subject: profiles.SealSubject,
    public_key: Sm2PublicKey,
    *,
    issuer: Sm2Issuer,
    base_url: str,
    at: dt.datetime,
    validity: dt.timedelta = profiles.SEAL_VALIDITY,
) -> ax.Certificate:
    """A township seal's SM2 signing certificate (GB/T 20518 signing certificate profile).

    keyUsage digitalSignature + nonRepudiation (critical), the seal policy, CRL and OCSP pointers.
    """
    return _certificate(
        subject.to_name(),
        public_key,
        issuer=issuer,
        at=at,
        validity=validity,
        extensions=[
            *_end_entity(("digital_signature", "non_repudiation")),
            _policies(SEAL_POLICY),
            *_pointers(base_url),
        ],
    )
