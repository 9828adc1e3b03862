"""Certificates: conversions between asn1crypto and cryptography, and what a report shows of them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from esign import compat
from esign.errors import InputError
from esign.pki.profiles import uscc_of_identifier
from esign.verify.report import CertificateInfo

__all__ = ["certificate_info", "from_asn1", "load_trust_roots", "name_attr", "to_asn1"]

# Path building compares the same few names for every document (esign.compat).
compat.memoized_name_matching()


def to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    """The same certificate as asn1crypto (what pyHanko wants)."""
    return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))


def from_asn1(cert: asn1_x509.Certificate) -> x509.Certificate:
    """The same certificate as cryptography."""
    return x509.load_der_x509_certificate(cert.dump())


def name_attr(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    """The first value of ``oid`` in ``name`` as text, or None."""
    attrs = name.get_attributes_for_oid(oid)
    if not attrs:
        return None
    value = attrs[0].value
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def _rfc4514(name: x509.Name) -> str:
    try:
        return name.rfc4514_string({NameOID.ORGANIZATION_IDENTIFIER: "organizationIdentifier"})
    except ValueError:
        return repr(name)


def certificate_info(cert: x509.Certificate) -> CertificateInfo:
    """What the report shows of a certificate."""
    return CertificateInfo(
        subject=_rfc4514(cert.subject),
        common_name=name_attr(cert.subject, NameOID.COMMON_NAME),
        organization=name_attr(cert.subject, NameOID.ORGANIZATION_NAME),
        organization_identifier=uscc_of_identifier(name_attr(cert.subject, NameOID.ORGANIZATION_IDENTIFIER)),
        serial_hex=format(cert.serial_number, "x"),
        sha256_fingerprint=hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest(),
        issuer=_rfc4514(cert.issuer),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
    )


def load_trust_roots(
    roots: Iterable[x509.Certificate | bytes] | x509.Certificate | bytes,
) -> tuple[x509.Certificate, ...]:
    """Trust anchors from certificates or PEM/DER bytes (a PEM bundle may hold several)."""
    items: Sequence[x509.Certificate | bytes]
    items = [roots] if isinstance(roots, x509.Certificate | bytes | bytearray) else list(roots)
    out: list[x509.Certificate] = []
    for item in items:
        if isinstance(item, x509.Certificate):
            out.append(item)
            continue
        if not isinstance(item, bytes | bytearray):
            raise InputError(
                "信任根必须是证书。", "trust_roots must be certificates or PEM/DER bytes.", code="bad_trust_roots"
            )
        data = bytes(item)
        try:
            if b"-----BEGIN" in data:
                out.extend(x509.load_pem_x509_certificates(data))
            else:
                out.append(x509.load_der_x509_certificate(data))
        except ValueError as e:
            raise InputError(
                "无法读取信任根证书。", "A trust root is not a readable certificate.", code="bad_trust_roots"
            ) from e
    if not out:
        raise InputError("至少需要一个信任根证书。", "At least one trust root is required.", code="bad_trust_roots")
    return tuple(out)
