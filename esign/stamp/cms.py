"""The PAdES signature container (CMS SignedData, RFC 5652 5.1), assembled from DER parts made once per seal.

pyHanko builds the container with asn1crypto objects on every signature; that costs more than the rest
of a one-page stamp together. Here pyHanko builds it once per seal credentials (a dry run, so a key on a
token is not used), and :class:`CmsTemplate` keeps the DER of every part that is the same for all
documents: the version, the digest and signature algorithm identifiers, the encapsulated content type,
the certificate set, the signer identifier and the signed attributes other than the message digest
(content type and ESS signing-certificate-v2, RFC 5035). Per document only the message digest, the
signature over the signed attributes and the signature time-stamp token (an unsigned attribute,
ETSI EN 319 122-1 5.3) are new, and the container is concatenated around them.

Guarantees: the container has pyHanko's own structure and the same attributes, byte for byte except
the message digest, the signature value and the time-stamp token (the tests compare the two); the
signed attributes are signed in their DER form (a SET OF sorted by encoding, RFC 5652 5.4); the
certificate set is sorted by encoding as DER requires. Not checked here: that the certificates form a
valid path (the CA issued them), or that a token returned by the time-stamper is valid.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from asn1crypto import cms
from pyhanko.sign import signers
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

__all__ = ["CmsTemplate", "der_length", "der_tlv"]

#: id-aa-signatureTimeStampToken (RFC 3161 Appendix A), DER of the OBJECT IDENTIFIER.
_TST_OID = bytes.fromhex("060b2a864886f70d010910020e")
#: id-messageDigest (RFC 5652 11.2), DER of the OBJECT IDENTIFIER.
_MESSAGE_DIGEST_OID = bytes.fromhex("06092a864886f70d010904")
_SEQUENCE, _SET, _OCTET_STRING = 0x30, 0x31, 0x04
_CONTEXT_0, _CONTEXT_1 = 0xA0, 0xA1


def der_length(n: int) -> bytes:
    """The DER length octets of ``n`` (X.690 8.1.3: short form below 128, else the shortest long form)."""
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def der_tlv(tag: int, content: bytes) -> bytes:
    """A DER element of one-octet ``tag`` around ``content``."""
    return bytes((tag,)) + der_length(len(content)) + content


def _set_of(items: list[bytes]) -> bytes:
    """The content of a DER SET OF: the elements sorted by their encodings (X.690 11.6)."""
    return b"".join(sorted(items))


#: Signs the DER signed attributes with the seal's key; returns the raw signature value.
RawSign = Callable[[bytes], Awaitable[bytes]]


@dataclass(frozen=True)
class CmsTemplate:
    """The parts of a seal's PAdES signature container that every document shares, as DER."""

    digest_algorithm: str
    """The message digest (``sha256``)."""
    version: bytes
    """SignedData and SignerInfo version (both ``v1``: issuerAndSerialNumber, id-data)."""
    digest_algorithms: bytes
    """SignedData.digestAlgorithms (the SET)."""
    encap_content_info: bytes
    """SignedData.encapContentInfo: id-data, detached."""
    certificates: bytes
    """SignedData.certificates ([0] IMPLICIT SET OF Certificate)."""
    sid: bytes
    """SignerInfo.sid (issuerAndSerialNumber)."""
    signer_digest_algorithm: bytes
    """SignerInfo.digestAlgorithm."""
    signature_algorithm: bytes
    """SignerInfo.signatureAlgorithm."""
    signature_mechanism: str
    """The signature algorithm's name without the digest (``ecdsa``, ``rsassa_pkcs1v15``, ``rsassa_pss``)."""
    fixed_attributes: tuple[bytes, ...]
    """The signed attributes other than the message digest (content type, signing-certificate-v2)."""

    @classmethod
    async def from_signer(cls, signer: signers.Signer, digest_algorithm: str = "sha256") -> CmsTemplate:
        """The template of ``signer``'s PAdES signatures, taken from a container pyHanko builds
        (a dry run: a key on a token is not used)."""
        size = hashlib.new(digest_algorithm).digest_size
        made = await signer.async_sign(
            bytes(size),
            digest_algorithm,
            dry_run=True,
            use_pades=True,
            signed_attr_settings=PdfCMSSignedAttributes(),
        )
        return cls.from_container(made, digest_algorithm)

    @classmethod
    def from_container(cls, content_info: cms.ContentInfo, digest_algorithm: str = "sha256") -> CmsTemplate:
        """The template of a one-signer, detached PAdES container (pyHanko's)."""
        signed = content_info["content"]
        if len(signed["signer_infos"]) != 1:
            raise ValueError("a PAdES signature container has exactly one SignerInfo")
        info = signed["signer_infos"][0]
        if signed["version"].dump() != info["version"].dump():
            raise ValueError("SignedData and SignerInfo versions differ")
        attrs = [a for a in info["signed_attrs"] if a["type"].native != "message_digest"]
        if len(attrs) != len(info["signed_attrs"]) - 1:
            raise ValueError("the signed attributes must hold one message digest")
        certs = signed["certificates"]
        cert_ders = [c.dump() for c in certs]
        return cls(
            digest_algorithm=digest_algorithm,
            version=signed["version"].dump(),
            digest_algorithms=signed["digest_algorithms"].dump(),
            encap_content_info=signed["encap_content_info"].dump(),
            certificates=der_tlv(_CONTEXT_0, _set_of(cert_ders)),
            sid=info["sid"].dump(),
            signer_digest_algorithm=info["digest_algorithm"].dump(),
            signature_algorithm=info["signature_algorithm"].dump(),
            signature_mechanism=info["signature_algorithm"].signature_algo,
            fixed_attributes=tuple(a.dump() for a in attrs),
        )

    def signed_attributes(self, document_digest: bytes) -> bytes:
        """The content of the signed attributes' SET OF for ``document_digest`` (sorted, DER)."""
        size = hashlib.new(self.digest_algorithm).digest_size
        if len(document_digest) != size:
            raise ValueError(f"a {self.digest_algorithm} digest is {size} bytes")
        digest_attr = der_tlv(_SEQUENCE, _MESSAGE_DIGEST_OID + der_tlv(_SET, der_tlv(_OCTET_STRING, document_digest)))
        return _set_of([*self.fixed_attributes, digest_attr])

    async def sign(
        self,
        document_digest: bytes,
        raw_sign: RawSign,
        *,
        timestamp: Callable[[bytes], Awaitable[bytes]] | None = None,
    ) -> bytes:
        """The DER ContentInfo of a signature over ``document_digest`` (the digest of the byte ranges).

        ``raw_sign`` signs the DER signed attributes; ``timestamp``, given the signature value's
        digest, returns the DER of a time-stamp token (a ContentInfo) over it, which becomes the
        signatureTimeStampToken unsigned attribute.
        """
        attrs = self.signed_attributes(document_digest)
        signature = await raw_sign(der_tlv(_SET, attrs))
        unsigned = b""
        if timestamp is not None:
            token = await timestamp(hashlib.new(self.digest_algorithm, signature).digest())
            unsigned = der_tlv(_CONTEXT_1, der_tlv(_SEQUENCE, _TST_OID + der_tlv(_SET, token)))
        signer_info = der_tlv(
            _SEQUENCE,
            self.version
            + self.sid
            + self.signer_digest_algorithm
            + der_tlv(_CONTEXT_0, attrs)
            + self.signature_algorithm
            + der_tlv(_OCTET_STRING, signature)
            + unsigned,
        )
        signed_data = der_tlv(
            _SEQUENCE,
            self.version
            + self.digest_algorithms
            + self.encap_content_info
            + self.certificates
            + der_tlv(_SET, signer_info),
        )
        return der_tlv(_SEQUENCE, _SIGNED_DATA_OID + der_tlv(_CONTEXT_0, signed_data))


#: id-signedData (RFC 5652 5.1), DER of the OBJECT IDENTIFIER.
_SIGNED_DATA_OID = bytes.fromhex("06092a864886f70d010702")
