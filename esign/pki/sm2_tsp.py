"""RFC 3161 time-stamp tokens with SM3 and SM2 (the shape GB/T 20520-2006 gives an SM2 TSA): make, read.

A token is a CMS SignedData (RFC 5652) over a TSTInfo whose messageImprint uses SM3; the one SignerInfo
has digestAlgorithm SM3, signed attributes contentType, messageDigest (SM3 of the TSTInfo) and
signingCertificateV2 (RFC 5816, the TSA certificate's SHA-256), signatureAlgorithm SM2-with-SM3, and
the SM2 signature (default user ID) over DER(SET OF signed attributes). The TSA certificate is included.

:func:`sm2_timestamp_token` is what an SM2 TSA signs (the county TSA route serves it);
:func:`read_sm2_timestamp` checks a token against the data it time-stamps: the imprint, the
messageDigest and the signature. Whether the TSA is trusted is the caller's question (its certificate
path, :mod:`esign.ses.chain`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from asn1crypto import cms, core, tsp

from esign.errors import InputError
from esign.pki._util import require_utc
from esign.pki.sm2 import SM2_WITH_SM3_OID, Sm2KeyError, Sm2PrivateKey, sm3
from esign.pki.sm2_asn1 import SM3_OID
from esign.pki.sm2_certs import Sm2Certificate

__all__ = ["Sm2Timestamp", "read_sm2_timestamp", "sm2_timestamp_token"]

_HASHES = {
    SM3_OID: sm3,
    "2.16.840.1.101.3.4.2.1": lambda d: hashlib.sha256(d).digest(),
}


def sm2_timestamp_token(
    imprint: bytes,
    *,
    tsa: Sm2Certificate,
    tsa_key: Sm2PrivateKey,
    serial: int,
    at: dt.datetime,
    policy: str,
    nonce: int | None = None,
) -> bytes:
    """A DER TimeStampToken (ContentInfo) for the SM3 digest ``imprint``, genTime ``at`` (to the second)."""
    if len(imprint) != 32:
        raise InputError("时间戳的 SM3 摘要必须是 32 字节。", "The SM3 imprint must be 32 bytes.", code="bad_imprint")
    if tsa_key.public_key() != tsa.public_key:
        raise Sm2KeyError("时间戳密钥与证书不匹配。", "The TSA key does not match its certificate.")
    info: dict[str, object] = {
        "version": "v1",
        "policy": policy,
        "message_imprint": {"hash_algorithm": {"algorithm": SM3_OID}, "hashed_message": imprint},
        "serial_number": serial,
        "gen_time": require_utc(at).replace(microsecond=0),
    }
    if nonce is not None:
        info["nonce"] = nonce
    tst = tsp.TSTInfo(info)
    content = tst.dump()
    attrs = [
        cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
        cms.CMSAttribute({"type": "message_digest", "values": [sm3(content)]}),
        cms.CMSAttribute(
            {
                "type": "signing_certificate_v2",
                "values": [{"certs": [{"cert_hash": hashlib.sha256(tsa.der).digest()}]}],
            }
        ),
    ]
    # DER sorts a SET OF by encoding; a verifier that re-encodes (OpenSSL) must see the bytes signed.
    signed_attrs = cms.CMSAttributes(sorted(attrs, key=lambda a: a.dump()))
    signer = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                "issuer_and_serial_number",
                {"issuer": tsa.asn1.issuer, "serial_number": tsa.asn1.serial_number},
            ),
            "digest_algorithm": {"algorithm": SM3_OID},
            "signed_attrs": signed_attrs,
            "signature_algorithm": {"algorithm": SM2_WITH_SM3_OID},
            "signature": tsa_key.sign(signed_attrs.dump()),
        }
    )
    signed_data = cms.SignedData(
        {
            "version": "v3",
            "digest_algorithms": [{"algorithm": SM3_OID}],
            "encap_content_info": {"content_type": "tst_info", "content": core.ParsableOctetString(content)},
            "certificates": [tsa.asn1],
            "signer_infos": [signer],
        }
    )
    return cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()


@dataclass(frozen=True)
class Sm2Timestamp:
    """What a token says and whether it holds together (trust in the TSA is not judged here)."""

    gen_time: dt.datetime | None
    """genTime (UTC), None if unreadable."""
    tsa: Sm2Certificate | None
    """The TSA certificate found in the token, if SM2."""
    intact: bool
    """The imprint matches the data and messageDigest matches the TSTInfo."""
    valid: bool
    """The SM2 signature over the signed attributes verifies with the TSA certificate."""
    problem: str | None
    """Why not, in English, when not intact or not valid."""


def read_sm2_timestamp(token: bytes, data: bytes) -> Sm2Timestamp:
    """Check ``token`` against ``data`` (the bytes it should time-stamp); never raises for a bad token."""
    try:
        info = cms.ContentInfo.load(token, strict=True)
        sd = info["content"]
        if info["content_type"].native != "signed_data" or len(sd["signer_infos"]) != 1:
            return Sm2Timestamp(None, None, False, False, "not a SignedData with one signer")
        econtent = sd["encap_content_info"]
        content = econtent["content"].contents
        tst = tsp.TSTInfo.load(content)
        gen_time = tst["gen_time"].native.astimezone(dt.UTC)
        imprint = tst["message_imprint"]
        hash_fn = _HASHES.get(imprint["hash_algorithm"]["algorithm"].dotted)
        signer = sd["signer_infos"][0]
        sid = signer["sid"].chosen
        tsa = None
        for choice in sd["certificates"] or []:
            cert = choice.chosen
            if (
                isinstance(sid, cms.IssuerAndSerialNumber)
                and cert.issuer == sid["issuer"]
                and cert.serial_number == sid["serial_number"].native
            ):
                tsa = Sm2Certificate.from_der(cert.dump())
        attrs = signer["signed_attrs"]
        digest = next((a["values"][0].native for a in attrs if a["type"].native == "message_digest"), None)
        kind = next((a["values"][0].native for a in attrs if a["type"].native == "content_type"), None)
        algorithm = signer["signature_algorithm"]["algorithm"].dotted
        signature = signer["signature"].native
        attrs_der = attrs.untag().dump(force=True) if attrs else b""
    except (ValueError, TypeError, KeyError, AttributeError, InputError) as e:
        return Sm2Timestamp(None, None, False, False, f"unreadable token: {e}")
    problems = []
    intact = (
        hash_fn is not None
        and imprint["hashed_message"].native == hash_fn(data)
        and kind == "tst_info"
        and digest == sm3(content)
    )
    if not intact:
        problems.append("the imprint or messageDigest does not match")
    valid = tsa is not None and algorithm == SM2_WITH_SM3_OID and tsa.public_key.verify(signature, attrs_der)
    if not valid:
        problems.append("the TSA signature does not verify" if tsa is not None else "no SM2 TSA certificate")
    return Sm2Timestamp(gen_time, tsa, intact, valid, "; ".join(problems) or None)
