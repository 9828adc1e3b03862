"""Certificates: conversions between asn1crypto and cryptography, and what a report shows of them."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Sequence

from asn1crypto import algos, keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from pyhanko_certvalidator.sig_validate import (
    DEFAULT_VALIDATION_CONTEXT,
    DefaultSignatureValidator,
    SignatureValidationContext,
)

from esign import compat
from esign.errors import InputError
from esign.pki.profiles import uscc_of_identifier
from esign.verify import _cache
from esign.verify._cache import Lru
from esign.verify.report import CertificateInfo

__all__ = [
    "KNOWN_SIGNATURES",
    "KnownSignatures",
    "certificate_info",
    "from_asn1",
    "load_trust_roots",
    "name_attr",
    "to_asn1",
]

# Path building compares the same few names for every document (esign.compat).
compat.memoized_name_matching()


def to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    """The same certificate as asn1crypto (what pyHanko wants); one object per distinct DER encoding."""
    der = cert.public_bytes(Encoding.DER)
    shared = _asn1_of(der)
    return shared if shared is not None else asn1_x509.Certificate.load(der)


def from_asn1(cert: asn1_x509.Certificate) -> x509.Certificate:
    """The same certificate as cryptography; one object per distinct DER encoding."""
    return _crypto_of(cert.dump())


# A county's root, CA and TSA certificates come with every document: each is parsed once per process, by its exact
# DER bytes (bounded, thread-safe), and asn1crypto's derived values (names prepared for matching, key identifiers)
# are then kept on the one object.
@functools.lru_cache(maxsize=512)
def _asn1_of(der: bytes) -> asn1_x509.Certificate | None:
    cert = asn1_x509.Certificate.load(der)
    try:
        _ = cert.native  # parsed whole before it is shared between threads (asn1crypto parses lazily)
    except Exception:  # asn1crypto cannot read all of it: not shared (each caller gets its own object)
        return None
    return cert


@functools.lru_cache(maxsize=512)
def _crypto_of(der: bytes) -> x509.Certificate:
    return x509.load_der_x509_certificate(der)


_cache.on_clear(_asn1_of.cache_clear)
_cache.on_clear(_crypto_of.cache_clear)


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


# A seal's and its county's certificates are shown in every report: worked out once per process, by exact DER bytes.
_INFOS: Lru[bytes, CertificateInfo] = Lru(512)


def certificate_info(cert: x509.Certificate) -> CertificateInfo:
    """What the report shows of a certificate."""
    der = cert.public_bytes(Encoding.DER)
    return _INFOS.get(der, lambda: _certificate_info(cert, der))


def _certificate_info(cert: x509.Certificate, der: bytes) -> CertificateInfo:
    return CertificateInfo(
        subject=_rfc4514(cert.subject),
        common_name=name_attr(cert.subject, NameOID.COMMON_NAME),
        organization=name_attr(cert.subject, NameOID.ORGANIZATION_NAME),
        organization_identifier=uscc_of_identifier(name_attr(cert.subject, NameOID.ORGANIZATION_IDENTIFIER)),
        serial_hex=format(cert.serial_number, "x"),
        sha256_fingerprint=hashlib.sha256(der).hexdigest(),
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


class KnownSignatures(DefaultSignatureValidator):
    """pyHanko's signature check, remembering the signatures that verified, by the SHA-256 of the exact signature,
    signed bytes, public key, algorithm and digest context: the signatures on a county's CA certificates and on a
    seal's certificate are checked once per process, not once per document. Another key, another signed byte or
    another algorithm is another entry; a signature that fails is not remembered (it is checked every time)."""

    def __init__(self, size: int = 4096) -> None:
        self._verified: Lru[bytes, bool] = Lru(size)

    def validate_signature(
        self,
        signature: bytes,
        signed_data: bytes,
        public_key_info: keys.PublicKeyInfo,
        signature_algorithm: algos.SignedDigestAlgorithm,
        context: SignatureValidationContext = DEFAULT_VALIDATION_CONTEXT,
    ) -> None:
        """As pyHanko's (raises when the signature does not verify)."""
        digest = hashlib.sha256()
        for part in (
            signature,
            signed_data,
            public_key_info.dump(),
            signature_algorithm.dump(),
            repr((context.contextual_md_algorithm, context.prehashed)).encode(),
        ):
            digest.update(len(part).to_bytes(8, "big") + part)
        key = digest.digest()

        def check() -> bool:
            super(KnownSignatures, self).validate_signature(
                signature, signed_data, public_key_info, signature_algorithm, context
            )
            return True

        self._verified.get(key, check)


#: The one :class:`KnownSignatures` of the process (used by every validation context of :mod:`esign.verify`).
KNOWN_SIGNATURES = KnownSignatures()
