"""电子印章数据 (SES_Seal, GB/T 38540-2020 §6, version 4): make one, read one.

:func:`make_seal` builds the SES_SealInfo, has the maker (制章者) sign its DER encoding with SM2-with-SM3
and the default user ID (§6.2; GB/T 35276), and returns the DER SES_Seal. :func:`parse_seal` reads a DER
SES_Seal field by field into a frozen :class:`Seal`; it checks the *format* only (header ``ES`` and
version 4, certListType, the signature algorithm, a picture, dates in order) and never trusts anything:
the maker's signature, certificates and dates are judged by :mod:`esign.ses.verify`.

What esign writes: header ``ES`` / 4 / vid; esID the seal's unique code; type 1 (单位印章); the seal's full
registered name; certListType 1 with the signers' DER certificates; createDate, validStart, validEnd;
the picture as PNG (lossless, transparent background, what ofdrw and the national platform's samples use;
its width and height in millimetres).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from asn1crypto import core

from esign.errors import InputError
from esign.pki._util import require_utc
from esign.pki.sm2 import SM2_WITH_SM3_OID, Sm2KeyError, Sm2Signing, sm3
from esign.pki.sm2_certs import Sm2Certificate
from esign.ses.asn1 import (
    CertDigestList,
    CertInfoList,
    ExtensionDatas,
    SES_ESPictrueInfo,
    SES_ESPropertyInfo,
    SES_Header,
    SES_Seal,
    SES_SealInfo,
    cert_list,
)

__all__ = [
    "HEADER_ID",
    "MAX_SES_SIZE",
    "ORGANIZATION_SEAL",
    "PERSONAL_SEAL",
    "SEAL_VERSION",
    "Seal",
    "SealPicture",
    "SesExtension",
    "SesFormatError",
    "bit_string_octets",
    "make_seal",
    "parse_seal",
]

#: SES_Header.id.
HEADER_ID = "ES"
#: SES_Header.version and TBS_Sign.version of GB/T 38540-2020.
SEAL_VERSION = 4
#: Largest seal or signature data read (a seal's picture is tens of KB; ofdrw's sample is 17 KB).
MAX_SES_SIZE = 16 * 1024 * 1024
#: SES_ESPropertyInfo.type: 1 单位印章, 2 个人印章 (GB/T 38540-2020 §6.2).
ORGANIZATION_SEAL = 1
PERSONAL_SEAL = 2

_DIGESTS = {
    "sm3": sm3,
    "1.2.156.10197.1.401": sm3,
    "sha256": lambda d: hashlib.sha256(d).digest(),
    "2.16.840.1.101.3.4.2.1": lambda d: hashlib.sha256(d).digest(),
    "sha1": lambda d: hashlib.sha1(d, usedforsecurity=False).digest(),
    "1.3.14.3.2.26": lambda d: hashlib.sha1(d, usedforsecurity=False).digest(),
}


class SesFormatError(InputError):
    """Seal or signature data that is not a well-formed GB/T 38540 v4 structure."""

    default_code = "ses_bad_format"


def _bad(zh: str, en: str) -> SesFormatError:
    return SesFormatError(f"电子印章数据格式错误：{zh}", f"Malformed GB/T 38540 data: {en}")


@dataclass(frozen=True)
class SealPicture:
    """SES_ESPictrueInfo: the seal's image."""

    type: str
    """Image type as written, e.g. ``PNG`` (IA5String)."""
    data: bytes
    """The image file."""
    width_mm: int
    """Display width in millimetres."""
    height_mm: int
    """Display height in millimetres."""


@dataclass(frozen=True)
class SesExtension:
    """ExtData: a custom extension."""

    oid: str
    """extnID, dotted."""
    critical: bool
    """Whether a reader that does not know it must refuse the data."""
    value: bytes
    """extnValue."""


@dataclass(frozen=True)
class Seal:
    """A parsed SES_Seal v4. Made by :func:`parse_seal`; nothing in it has been verified."""

    der: bytes
    """The whole SES_Seal, DER, as read."""
    vid: str
    """SES_Header.vid: who made the seal data (vendor id)."""
    es_id: str
    """esID: the seal's unique code."""
    seal_type: int
    """property.type (1 单位印章, 2 个人印章; others as the issuer defines)."""
    name: str
    """property.name: the seal's name."""
    cert_list_type: int
    """1: ``signer_certs`` holds certificates; 2: ``cert_digests`` holds digests."""
    signer_certs: tuple[bytes, ...]
    """DER certificates of who may sign with this seal (certListType 1)."""
    cert_digests: tuple[tuple[str, bytes], ...]
    """(algorithm name, digest) of who may sign with it (certListType 2)."""
    create_date: dt.datetime
    """When the seal data was made (UTC)."""
    valid_start: dt.datetime
    """Start of the seal's validity (UTC)."""
    valid_end: dt.datetime
    """End of the seal's validity (UTC)."""
    picture: SealPicture
    """The seal's image."""
    ext_datas: tuple[SesExtension, ...]
    """extDatas of SES_SealInfo."""
    maker_cert: bytes
    """The maker's (制章者) DER certificate."""
    sign_alg_id: str
    """signAlgID, dotted (SM2-with-SM3 is ``1.2.156.10197.1.501``)."""
    signed_value: bytes
    """The maker's signature (DER ``SEQUENCE {r, s}``)."""
    seal_info_der: bytes
    """DER(SES_SealInfo) exactly as in the file: the bytes the maker signed."""

    def lists_signer(self, cert_der: bytes) -> bool:
        """Whether ``cert_der`` is in certList (as the certificate, or by an SM3/SHA-256/SHA-1 digest)."""
        if self.cert_list_type == 1:
            return cert_der in self.signer_certs
        for algorithm, digest in self.cert_digests:
            fn = _DIGESTS.get(algorithm.strip().lower().replace("-", ""))
            if fn is not None and fn(cert_der) == digest:
                return True
        return False


def bit_string_octets(value: core.OctetBitString, what: str) -> bytes:
    """The octets of a BIT STRING that must hold whole bytes (GB/T 38540 signatures, hashes, time-stamps)."""
    contents = value.contents or b""
    if not contents or contents[0] != 0:
        raise _bad(f"{what} 不是整字节的位串。", f"{what} is not a whole-byte BIT STRING.")
    return bytes(contents[1:])


def _time(value: core.GeneralizedTime, what: str) -> dt.datetime:
    native = value.native
    if not isinstance(native, dt.datetime):
        raise _bad(f"{what} 时间无效。", f"{what} is not a valid time.")
    return native.astimezone(dt.UTC)


def _extensions(value: ExtensionDatas | core.Void) -> tuple[SesExtension, ...]:
    if isinstance(value, core.Void):
        return ()
    return tuple(SesExtension(e["extnID"].dotted, bool(e["critical"].native), e["extnValue"].native) for e in value)


def parse_seal(der: bytes) -> Seal:
    """Read a DER SES_Seal v4 field by field; :class:`SesFormatError` for anything malformed."""
    if len(der) > MAX_SES_SIZE:
        raise _bad(f"数据超过 {MAX_SES_SIZE // 2**20} MB。", f"the data exceeds {MAX_SES_SIZE // 2**20} MB.")
    try:
        seal = SES_Seal.load(der, strict=True)
        info = seal["eSealInfo"]
        header, prop, pic = info["header"], info["property"], info["picture"]
        certs = cert_list(prop)
        fields = (header.native, info["esID"].native, prop["type"].native, prop["name"].native, pic.native)
        sign_alg = seal["signAlgID"].dotted
        maker_cert = seal["cert"].native
        ext_datas = _extensions(info["extDatas"])
        seal_info_der = info.dump()
    except (ValueError, TypeError, KeyError) as e:
        raise _bad("无法解析 SES_Seal。", f"cannot parse SES_Seal ({e}).") from e
    if header["id"].native != HEADER_ID or header["version"].native != SEAL_VERSION:
        raise _bad(
            f"头信息应为 {HEADER_ID} 第 {SEAL_VERSION} 版。",
            f"the header is {fields[0]!r}, not {HEADER_ID!r} version {SEAL_VERSION}.",
        )
    if sign_alg != SM2_WITH_SM3_OID:
        raise _bad("签名算法不是 SM2-with-SM3。", f"signAlgID {sign_alg} is not SM2-with-SM3.")
    signer_certs: tuple[bytes, ...] = ()
    digests: tuple[tuple[str, bytes], ...] = ()
    if isinstance(certs, CertInfoList):
        signer_certs = tuple(c.native for c in certs)
    elif isinstance(certs, CertDigestList):
        digests = tuple((d["type"].native, d["value"].native) for d in certs)
    if not signer_certs and not digests:
        raise _bad("印章没有列出签章者证书。", "certList names no signer.")
    created = _time(prop["createDate"], "createDate")
    start, end = _time(prop["validStart"], "validStart"), _time(prop["validEnd"], "validEnd")
    if end < start:
        raise _bad("印章有效期终止早于起始。", "validEnd is before validStart.")
    picture = SealPicture(pic["type"].native, pic["data"].native, pic["width"].native, pic["height"].native)
    if not picture.data or picture.width_mm <= 0 or picture.height_mm <= 0:
        raise _bad("印章图像为空或尺寸无效。", "the picture is empty or has no size.")
    return Seal(
        der=bytes(der),
        vid=header["vid"].native,
        es_id=info["esID"].native,
        seal_type=prop["type"].native,
        name=prop["name"].native,
        cert_list_type=prop["certListType"].native,
        signer_certs=signer_certs,
        cert_digests=digests,
        create_date=created,
        valid_start=start,
        valid_end=end,
        picture=picture,
        ext_datas=ext_datas,
        maker_cert=maker_cert,
        sign_alg_id=sign_alg,
        signed_value=bit_string_octets(seal["signedValue"], "signedValue"),
        seal_info_der=seal_info_der,
    )


def _ia5(value: str, what: str) -> str:
    if not isinstance(value, str) or not value or not value.isascii() or not value.isprintable():
        raise InputError(f"{what} 必须是非空的 ASCII 文本。", f"{what} must be non-empty printable ASCII.", field=what)
    return value


def _generalized(value: dt.datetime) -> core.GeneralizedTime:
    return core.GeneralizedTime(require_utc(value).replace(microsecond=0))


def make_seal(
    *,
    es_id: str,
    name: str,
    signer_certs: Sequence[bytes],
    created: dt.datetime,
    valid_start: dt.datetime,
    valid_end: dt.datetime,
    picture: SealPicture,
    maker_cert: bytes,
    maker_key: Sm2Signing,
    vid: str = "esign",
    seal_type: int = ORGANIZATION_SEAL,
    ext_datas: Sequence[SesExtension] = (),
) -> bytes:
    """A DER SES_Seal v4 signed by the maker (制章者).

    ``signer_certs`` are the DER SM2 certificates that may sign with the seal (certListType 1);
    ``maker_key`` (a key or a key store's signer) must match ``maker_cert``: the signature is checked
    with the certificate before the seal is returned. Times are aware UTC and stored to the second.
    """
    _ia5(es_id, "esID")
    _ia5(vid, "vid")
    _ia5(picture.type, "picture.type")
    if not name or not isinstance(name, str):
        raise InputError("印章名称不能为空。", "The seal name must not be empty.", field="name")
    if not signer_certs:
        raise InputError(
            "至少需要一张签章者证书。", "At least one signer certificate is required.", field="signer_certs"
        )
    for der in signer_certs:
        Sm2Certificate.from_der(der)
    if not require_utc(valid_start) < require_utc(valid_end):
        raise InputError("印章有效期必须为正。", "The seal's validity must be positive.", field="valid_end")
    if not picture.data or picture.width_mm <= 0 or picture.height_mm <= 0:
        raise InputError("印章图像为空或尺寸无效。", "The picture is empty or has no size.", field="picture")
    maker = Sm2Certificate.from_der(maker_cert)
    prop = SES_ESPropertyInfo(
        {
            "type": seal_type,
            "name": name,
            "certListType": 1,
            "certList": core.Any.load(CertInfoList(list(signer_certs)).dump()),
            "createDate": _generalized(created),
            "validStart": _generalized(valid_start),
            "validEnd": _generalized(valid_end),
        }
    )
    fields: dict[str, object] = {
        "header": SES_Header({"id": HEADER_ID, "version": SEAL_VERSION, "vid": vid}),
        "esID": es_id,
        "property": prop,
        "picture": SES_ESPictrueInfo(
            {"type": picture.type, "data": picture.data, "width": picture.width_mm, "height": picture.height_mm}
        ),
    }
    if ext_datas:
        fields["extDatas"] = ExtensionDatas(
            [{"extnID": e.oid, "critical": e.critical, "extnValue": e.value} for e in ext_datas]
        )
    info = SES_SealInfo(fields)
    info_der = info.dump()
    signed_value = maker_key.sign(info_der)
    if not maker.public_key.verify(signed_value, info_der):  # never hand out a seal that does not verify
        raise Sm2KeyError("制章者密钥与证书不匹配。", "The maker key does not match the maker certificate.")
    return SES_Seal(
        {
            "eSealInfo": info,
            "cert": maker_cert,
            "signAlgID": SM2_WITH_SM3_OID,
            "signedValue": signed_value,
        }
    ).dump()
