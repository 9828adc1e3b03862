"""The signature container assembled from cached parts against pyHanko's own, for EC and RSA seals.

pyHanko is the independent implementation: the container it builds for the same digest must carry
the same structure and attributes; with RSA PKCS#1 v1.5 (deterministic) the two must be the same bytes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib

import pytest
from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

from esign.pki.keys import PrivateKey
from esign.stamp.cms import CmsTemplate, der_length, der_tlv
from esign.stamp.signing import SealCredentials

T0 = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)


def _cert(
    subject: str, key: PrivateKey, issuer: tuple[str, PrivateKey] | None = None, *, ca: bool = False
) -> x509.Certificate:
    issuer_name, issuer_key = issuer or (subject, key)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(T0)
        .not_valid_after(T0 + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )


def _credentials(kind: str, name: str = "蒲县克城镇人民政府行政审批服务专用章") -> SealCredentials:
    def key() -> PrivateKey:
        return ec.generate_private_key(ec.SECP256R1()) if kind == "ec" else rsa.generate_private_key(65537, 2048)

    root_key, ca_key, seal_key = key(), key(), key()
    root = _cert("根CA", root_key, ca=True)
    issuing = _cert("签发CA", ca_key, ("根CA", root_key), ca=True)
    seal = _cert(name, seal_key, ("签发CA", ca_key))
    return SealCredentials.from_key(seal_key, seal, (issuing, root))


def _pyhanko(credentials: SealCredentials, digest: bytes) -> cms.ContentInfo:
    return asyncio.run(
        credentials.signer.async_sign(digest, "sha256", use_pades=True, signed_attr_settings=PdfCMSSignedAttributes())
    )


def _ours(credentials: SealCredentials, digest: bytes, **kwargs: object) -> bytes:
    async def go() -> bytes:
        template = await credentials.cms_template()

        async def raw(data: bytes) -> bytes:
            return await credentials.sign_raw(data, template)

        return await template.sign(digest, raw, **kwargs)  # type: ignore[arg-type]

    return asyncio.run(go())


def _comparable(ci: cms.ContentInfo) -> dict[str, object]:
    """Everything in a container, the certificate set as a sorted list (pyHanko takes a Python set's order)."""
    sd = ci["content"]
    return {
        "outer": ci["content_type"].native,
        "version": sd["version"].native,
        "digest_algorithms": sd["digest_algorithms"].native,
        "encap": sd["encap_content_info"].native,
        "certificates": sorted(c.dump() for c in sd["certificates"]),
        "signer_infos": [si.native for si in sd["signer_infos"]],
    }


def test_der_lengths() -> None:
    # X.690 8.1.3 examples: short form, then the shortest long form
    assert der_length(0) == b"\x00" and der_length(127) == b"\x7f"
    assert der_length(128) == b"\x81\x80" and der_length(255) == b"\x81\xff"
    assert der_length(256) == b"\x82\x01\x00" and der_length(5248) == b"\x82\x14\x80"
    assert der_tlv(0x04, b"ab") == b"\x04\x02ab"


def test_rsa_container_is_pyhankos_byte_for_byte() -> None:
    credentials = _credentials("rsa")
    digest = hashlib.sha256(b"the byte ranges").digest()
    theirs = _pyhanko(credentials, digest)
    ours = _ours(credentials, digest)
    parsed = cms.ContentInfo.load(ours, strict=True)
    assert _comparable(parsed) == _comparable(theirs)
    # same bytes once pyHanko's certificate set is put in DER order
    sd = theirs["content"]
    certs = sorted(sd["certificates"], key=lambda c: c.dump())
    sd["certificates"] = cms.CertificateSet(certs)
    assert ours == theirs.dump(force=True)


def test_ec_container_matches_pyhanko_and_verifies() -> None:
    credentials = _credentials("ec")
    digest = hashlib.sha256(b"other byte ranges").digest()
    theirs = _comparable(_pyhanko(credentials, digest))
    parsed = cms.ContentInfo.load(_ours(credentials, digest), strict=True)
    ours = _comparable(parsed)
    signature = ours["signer_infos"][0].pop("signature")  # type: ignore[index]
    theirs["signer_infos"][0].pop("signature")  # type: ignore[index]
    assert ours == theirs
    info = parsed["content"]["signer_infos"][0]
    signed = info["signed_attrs"].untag().dump(force=True)  # the SET OF as signed (RFC 5652 5.4)
    public = credentials.certificate.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    public.verify(signature, signed, ec.ECDSA(hashes.SHA256()))
    attrs = {a["type"].native: a["values"][0].native for a in info["signed_attrs"]}
    assert attrs["message_digest"] == digest


def test_rsa_signature_verifies_over_the_der_attributes() -> None:
    credentials = _credentials("rsa")
    digest = hashlib.sha256(b"x").digest()
    info = cms.ContentInfo.load(_ours(credentials, digest))["content"]["signer_infos"][0]
    public = credentials.certificate.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(
        info["signature"].native, info["signed_attrs"].untag().dump(force=True), padding.PKCS1v15(), hashes.SHA256()
    )


def test_timestamp_token_is_over_the_signature_value() -> None:
    credentials = _credentials("ec")
    seen: list[bytes] = []
    token = cms.ContentInfo({"content_type": "data", "content": b"a stand-in token"}).dump()

    async def stamp(digest: bytes) -> bytes:
        seen.append(digest)
        return token

    parsed = cms.ContentInfo.load(_ours(credentials, bytes(32), timestamp=stamp), strict=True)
    info = parsed["content"]["signer_infos"][0]
    assert seen == [hashlib.sha256(info["signature"].native).digest()]
    (attr,) = info["unsigned_attrs"]
    assert attr["type"].native == "signature_time_stamp_token"
    assert attr["values"][0].dump() == token


def test_a_wrong_digest_length_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        _ours(_credentials("ec"), bytes(20))


def test_new_credentials_with_the_same_name_get_their_own_template() -> None:
    first, second = _credentials("ec"), _credentials("ec")  # a reissued certificate: same name, new key and chain
    a = cms.ContentInfo.load(_ours(first, bytes(32)))["content"]
    b = cms.ContentInfo.load(_ours(second, bytes(32)))["content"]
    assert a["signer_infos"][0]["sid"].dump() != b["signer_infos"][0]["sid"].dump()
    ders = {c.dump() for c in b["certificates"]}
    assert second.certificate.public_bytes(Encoding.DER) in ders
    assert not ders & {c.dump() for c in a["certificates"]}


def test_template_must_name_the_seal_certificate() -> None:
    credentials = _credentials("ec")
    other = _credentials("ec")
    mixed = SealCredentials(signer=other.signer, certificate=credentials.certificate, chain=credentials.chain)
    with pytest.raises(Exception, match="not the seal certificate"):
        asyncio.run(mixed.cms_template())


def test_container_from_pyhanko_needs_one_message_digest() -> None:
    credentials = _credentials("ec")
    ci = _pyhanko(credentials, bytes(32))
    assert CmsTemplate.from_container(ci).fixed_attributes  # content type, signing-certificate-v2
    si = ci["content"]["signer_infos"][0]
    si["signed_attrs"] = cms.CMSAttributes([a for a in si["signed_attrs"] if a["type"].native != "message_digest"])
    with pytest.raises(ValueError, match="message digest"):
        CmsTemplate.from_container(ci)
