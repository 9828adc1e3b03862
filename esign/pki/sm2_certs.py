"""SM2 certificates and CRLs (GB/T 20518-2018), built with asn1crypto and signed with SM2-with-SM3.

pyca/cryptography cannot sign with SM2, so the signed structures are assembled here; the *data* that
goes into them stays in cryptography's types, so the SM2 hierarchy says exactly what the ECDSA one
says: a subject is a ``cryptography.x509.Name`` and extensions are ``cryptography.x509.Extension``
values (the same objects :mod:`esign.pki.profiles` uses), serialised with their own ``public_bytes()``.

The GB/T 20518-2018 profile (the Chinese edition of RFC 5280 for SM2):

- subjectPublicKeyInfo: id-ecPublicKey with the SM2 curve ``1.2.156.10197.1.301`` (§6.2.2);
- signature and signatureAlgorithm: SM2-with-SM3 ``1.2.156.10197.1.501`` with absent parameters;
- signatureValue: the DER ``SEQUENCE {r, s}`` of GB/T 35276 in the BIT STRING, computed with the default
  distinguishing identifier ``1234567812345678`` (GB/T 35276-2017 §5.3; what BouncyCastle and GmSSL use).
  OpenSSL 3.0 sets no ID by itself: ``openssl verify`` needs ``-vfyopt distid:1234567812345678`` and passes
  it to the end certificate only (openssl/openssl#22234, #23471), so the tests check each link alone;
- subjectKeyIdentifier: SHA-1 of the subjectPublicKey bits (RFC 5280 §4.2.1.2 method 1), added here;
  authorityKeyIdentifier: the issuer's subjectKeyIdentifier;
- signing certificates: keyUsage digitalSignature + nonRepudiation, critical (:func:`signing_key_usage`).

Not here: which certificates a county has and what their subjects say (the PKI's business), OCSP
(:mod:`esign.pki.sm2_ocsp`). Tests: ``openssl x509 -text``, ``openssl verify`` link by link, ``openssl crl
-text`` with the CRL signature checked by ``openssl pkeyutl``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from asn1crypto import algos, core
from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509

from esign.errors import InputError
from esign.pki._util import require_utc
from esign.pki.sm2 import SM2_WITH_SM3_OID, Sm2KeyError, Sm2PrivateKey, Sm2PublicKey
from esign.pki.status import CertState, CertStatus, RevocationReason

__all__ = [
    "ASN1_REASONS",
    "Sm2Certificate",
    "signing_key_usage",
    "sm2_certificate",
    "sm2_crl",
    "sm2_signature_algorithm",
]

_SKI = "2.5.29.14"
_AKI = "2.5.29.35"


def sm2_signature_algorithm() -> algos.SignedDigestAlgorithm:
    """AlgorithmIdentifier SM2-with-SM3 with absent parameters (GB/T 20518-2018)."""
    return algos.SignedDigestAlgorithm({"algorithm": SM2_WITH_SM3_OID})


def signing_key_usage() -> x509.Extension[x509.KeyUsage]:
    """keyUsage digitalSignature + nonRepudiation, critical: the GB/T 20518 signing-certificate usage."""
    ku = x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    return x509.Extension(x509.oid.ExtensionOID.KEY_USAGE, True, ku)


@dataclass(frozen=True)
class Sm2Certificate:
    """A certificate whose subject key is an SM2 key, parsed once; made by :meth:`from_der`."""

    der: bytes
    """The certificate, DER."""
    asn1: asn1_x509.Certificate
    """The same, parsed by asn1crypto."""
    public_key: Sm2PublicKey
    """The subject's SM2 public key."""

    @classmethod
    def from_der(cls, der: bytes) -> Sm2Certificate:
        """Parse ``der``; refuses anything whose subject key is not on the SM2 curve."""
        try:
            cert = asn1_x509.Certificate.load(der, strict=True)
            spki = cert["tbs_certificate"]["subject_public_key_info"].dump()
        except (ValueError, TypeError) as e:
            raise InputError("证书无法解析。", "The certificate cannot be parsed.", code="bad_certificate") from e
        return cls(der, cert, Sm2PublicKey.from_spki_der(spki))

    @property
    def subject_der(self) -> bytes:
        """The subject Name, DER."""
        return bytes(self.asn1["tbs_certificate"]["subject"].dump())

    @property
    def key_identifier(self) -> bytes:
        """The subjectKeyIdentifier, or SHA-1 of the key bits where the certificate has none."""
        ski = self.asn1.key_identifier
        return ski if ski is not None else _key_id(self.public_key)

    def signed_by(self, issuer: Sm2PublicKey) -> bool:
        """Whether ``issuer`` made this certificate's SM2-with-SM3 signature (default ID)."""
        if self.asn1["signature_algorithm"]["algorithm"].dotted != SM2_WITH_SM3_OID:
            return False
        tbs = self.asn1["tbs_certificate"].dump()
        return issuer.verify(bytes(self.asn1["signature_value"]), tbs)


def _key_id(public_key: Sm2PublicKey) -> bytes:
    return hashlib.sha1(public_key.point, usedforsecurity=False).digest()


def _name(name: x509.Name) -> asn1_x509.Name:
    return asn1_x509.Name.load(name.public_bytes())


def _extension(ext: x509.Extension[x509.ExtensionType]) -> asn1_x509.Extension:
    # Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
    body = core.ObjectIdentifier(ext.oid.dotted_string).dump()
    if ext.critical:
        body += core.Boolean(True).dump()
    body += core.OctetString(ext.value.public_bytes()).dump()
    return asn1_x509.Extension.load(_sequence(body))


def _sequence(body: bytes) -> bytes:
    n = len(body)
    length = (
        bytes([n])
        if n < 0x80
        else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes((n.bit_length() + 7) // 8, "big")
    )
    return b"\x30" + length + body


def _time(value: dt.datetime) -> asn1_x509.Time:
    value = require_utc(value).replace(microsecond=0)
    # RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
    return asn1_x509.Time({"utc_time" if value.year < 2050 else "general_time": value})


def sm2_certificate(
    subject: x509.Name,
    public_key: Sm2PublicKey,
    *,
    issuer: Sm2Certificate | None,
    issuer_key: Sm2PrivateKey,
    serial: int,
    not_before: dt.datetime,
    not_after: dt.datetime,
    extensions: Sequence[x509.Extension[x509.ExtensionType]] = (),
) -> bytes:
    """A DER X.509 v3 certificate for ``public_key`` signed by ``issuer_key`` with SM2-with-SM3.

    ``issuer`` None makes a self-signed certificate (``issuer_key`` must then be the subject's key).
    subjectKeyIdentifier and authorityKeyIdentifier are added here; ``extensions`` must not contain them.
    The validity is not shortened to the issuer's: the caller decides (and :mod:`esign.pki.profiles` does).
    """
    if serial <= 0 or serial.bit_length() > 159:
        raise InputError("证书序列号须为正且不超过 20 字节。", "The serial must be positive, at most 20 octets.")
    if not_after <= not_before:
        raise InputError("证书有效期必须为正。", "The validity period must be positive.", field="validity")
    if issuer is None and issuer_key.public_key() != public_key:
        raise Sm2KeyError("自签名证书的密钥不匹配。", "A self-signed certificate needs the subject's own key.")
    if issuer is not None and issuer_key.public_key() != issuer.public_key:
        raise Sm2KeyError("签发密钥与签发者证书不匹配。", "The issuer key does not match the issuer certificate.")
    ids = {e.oid.dotted_string for e in extensions}
    if ids & {_SKI, _AKI} or len(ids) != len(extensions):
        raise InputError("扩展重复或包含密钥标识符。", "Extensions repeat, or include the key identifiers.")
    exts = [
        _extension(
            x509.Extension(
                x509.oid.ExtensionOID.SUBJECT_KEY_IDENTIFIER, False, x509.SubjectKeyIdentifier(_key_id(public_key))
            )
        )
    ]
    if issuer is not None:
        aki = x509.AuthorityKeyIdentifier(issuer.key_identifier, None, None)
        exts.append(_extension(x509.Extension(x509.oid.ExtensionOID.AUTHORITY_KEY_IDENTIFIER, False, aki)))
    exts += [_extension(e) for e in extensions]
    subject_name = _name(subject)
    tbs = asn1_x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": serial,
            "signature": sm2_signature_algorithm(),
            "issuer": subject_name if issuer is None else issuer.asn1["tbs_certificate"]["subject"],
            "validity": {"not_before": _time(not_before), "not_after": _time(not_after)},
            "subject": subject_name,
            "subject_public_key_info": asn1_x509.PublicKeyInfo.load(public_key.spki_der()),
            "extensions": exts,
        }
    )
    tbs_der = tbs.dump()
    return asn1_x509.Certificate(
        {
            "tbs_certificate": tbs,
            "signature_algorithm": sm2_signature_algorithm(),
            "signature_value": issuer_key.sign(tbs_der),
        }
    ).dump()


def sm2_crl(
    issuer: Sm2Certificate,
    issuer_key: Sm2PrivateKey,
    entries: Iterable[CertStatus],
    *,
    number: int,
    at: dt.datetime,
    period: dt.timedelta,
) -> bytes:
    """A DER CRL v2 of ``issuer``, signed with SM2-with-SM3: thisUpdate ``at``, nextUpdate ``at + period``.

    The same rules as :func:`esign.pki.crl.build_crl`: good entries are skipped, a hold is listed with
    reason certificateHold, ``unspecified`` is never written (RFC 5280 §5.3.1).
    """
    at = require_utc(at)
    if number < 1 or period <= dt.timedelta(0):
        raise InputError("CRL 编号和有效期必须为正。", "CRL number and period must be positive.", code="bad_crl")
    if issuer_key.public_key() != issuer.public_key:
        raise Sm2KeyError("签发密钥与签发者证书不匹配。", "The issuer key does not match the issuer certificate.")
    revoked = []
    for entry in entries:
        if entry.state is CertState.GOOD or entry.revoked_at is None:
            continue
        reason = RevocationReason.CERTIFICATE_HOLD if entry.state is CertState.ON_HOLD else entry.reason
        item: dict[str, object] = {"user_certificate": entry.serial, "revocation_date": _time(entry.revoked_at)}
        if reason is not None and reason is not RevocationReason.UNSPECIFIED:
            item["crl_entry_extensions"] = [
                {"extn_id": "crl_reason", "critical": False, "extn_value": ASN1_REASONS[reason]}
            ]
        # Each entry encoded once and kept as DER: asn1crypto re-encodes values built from Python on
        # every dump of their parents, which made a 100-entry CRL take a third of a second.
        revoked.append(asn1_crl.RevokedCertificate.load(asn1_crl.RevokedCertificate(item).dump()))
    fields: dict[str, object] = {
        "version": "v2",
        "signature": sm2_signature_algorithm(),
        "issuer": issuer.asn1["tbs_certificate"]["subject"],
        "this_update": _time(at),
        "next_update": _time(at + period),
        "crl_extensions": [
            {
                "extn_id": "authority_key_identifier",
                "critical": False,
                "extn_value": {"key_identifier": issuer.key_identifier},
            },
            {"extn_id": "crl_number", "critical": False, "extn_value": number},
        ],
    }
    if revoked:  # an empty SEQUENCE OF is not allowed here (RFC 5280 §5.1: absent when no entry)
        fields["revoked_certificates"] = asn1_crl.RevokedCertificates.load(asn1_crl.RevokedCertificates(revoked).dump())
    tbs = asn1_crl.TbsCertList(fields)
    return asn1_crl.CertificateList(
        {
            "tbs_cert_list": tbs,
            "signature_algorithm": sm2_signature_algorithm(),
            "signature": issuer_key.sign(tbs.dump()),
        }
    ).dump()


#: RFC 5280 reason -> asn1crypto's name for it.
ASN1_REASONS = {
    RevocationReason.KEY_COMPROMISE: "key_compromise",
    RevocationReason.CA_COMPROMISE: "ca_compromise",
    RevocationReason.AFFILIATION_CHANGED: "affiliation_changed",
    RevocationReason.SUPERSEDED: "superseded",
    RevocationReason.CESSATION_OF_OPERATION: "cessation_of_operation",
    RevocationReason.CERTIFICATE_HOLD: "certificate_hold",
    RevocationReason.REMOVE_FROM_CRL: "remove_from_crl",
    RevocationReason.PRIVILEGE_WITHDRAWN: "privilege_withdrawn",
    RevocationReason.AA_COMPROMISE: "aa_compromise",
}
