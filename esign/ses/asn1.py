"""The ASN.1 of GB/T 38540-2020 (信息安全技术 安全电子签章密码技术规范), version 4, in asn1crypto.

Names, field names and order are the standard's (§6.2 电子印章数据格式, §7.2 电子签章数据格式), including its
spelling ``SES_ESPictrueInfo``. Read against ofdrw's ``org.ofdrw.gm.ses.v4`` (Apache-2.0, built on
BouncyCastle), whose files are the foreign samples the tests read::

    SES_Seal ::= SEQUENCE {                      -- 电子印章数据
        eSealInfo     SES_SealInfo,
        cert          OCTET STRING,              -- 制章者证书 (DER)
        signAlgID     OBJECT IDENTIFIER,         -- SM2-with-SM3
        signedValue   BIT STRING }               -- 制章者对 DER(SES_SealInfo) 的签名 (DER SEQUENCE {r, s})
    SES_SealInfo ::= SEQUENCE {
        header        SES_Header,
        esID          IA5String,                 -- 电子印章唯一标识
        property      SES_ESPropertyInfo,
        picture       SES_ESPictrueInfo,
        extDatas      ExtensionDatas OPTIONAL }
    SES_Header ::= SEQUENCE { id IA5String ("ES"), version INTEGER (4), vid IA5String }
    SES_ESPropertyInfo ::= SEQUENCE {
        type          INTEGER,                   -- 印章类型
        name          UTF8String,                -- 印章名称
        certListType  INTEGER,                   -- 1: certs, 2: certDigestList
        certList      SES_CertList,
        createDate    GeneralizedTime,
        validStart    GeneralizedTime,
        validEnd      GeneralizedTime }
    SES_CertList ::= CHOICE { certs CertInfoList, certDigestList CertDigestList }
    CertInfoList ::= SEQUENCE OF OCTET STRING    -- 签章者证书 (DER)
    CertDigestList ::= SEQUENCE OF CertDigestObj
    CertDigestObj ::= SEQUENCE { type PrintableString, value OCTET STRING }
    SES_ESPictrueInfo ::= SEQUENCE { type IA5String, data OCTET STRING, width INTEGER, height INTEGER }
    ExtensionDatas ::= SEQUENCE OF ExtData
    ExtData ::= SEQUENCE { extnID OBJECT IDENTIFIER, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }

    SES_Signature ::= SEQUENCE {                 -- 电子签章数据
        toSign          TBS_Sign,
        cert            OCTET STRING,            -- 签章者证书 (DER)
        signatureAlgID  OBJECT IDENTIFIER,
        signature       BIT STRING,              -- 签章者对 DER(TBS_Sign) 的签名
        timeStamp       [0] EXPLICIT BIT STRING OPTIONAL }  -- 对签名值的时间戳 (RFC 3161 TimeStampToken)
    TBS_Sign ::= SEQUENCE {
        version         INTEGER (4),
        eseal           SES_Seal,
        timeInfo        GeneralizedTime,
        dataHash        BIT STRING,              -- SM3 of the protected data
        propertyInfo    IA5String,               -- what is protected (e.g. the OFD file path)
        extDatas        [0] EXPLICIT ExtensionDatas OPTIONAL }

Two encoding choices follow ofdrw/BouncyCastle, which read the fields positionally: ``critical`` is
always written (a reader that skips DEFAULT values would lose its place; an absent one is read as
FALSE), and the SES_CertList CHOICE,
whose two alternatives share the SEQUENCE tag, is kept as :class:`asn1crypto.core.Any` and read as the
alternative ``certListType`` names (:func:`cert_list`).
"""

from __future__ import annotations

from typing import ClassVar

from asn1crypto import core

import esign.pki.sm2_asn1  # noqa: F401  (registers the SM2/SM3 identifiers)

__all__ = [
    "CertDigestList",
    "CertDigestObj",
    "CertInfoList",
    "ExtData",
    "ExtensionDatas",
    "SES_ESPictrueInfo",
    "SES_ESPropertyInfo",
    "SES_Header",
    "SES_Seal",
    "SES_SealInfo",
    "SES_Signature",
    "TBS_Sign",
    "cert_list",
]


class ExtData(core.Sequence):
    """A custom extension (自定义数据)."""

    _fields: ClassVar = [
        ("extnID", core.ObjectIdentifier),
        ("critical", core.Boolean, {"optional": True}),
        ("extnValue", core.OctetString),
    ]


class ExtensionDatas(core.SequenceOf):
    """Custom extensions."""

    _child_spec = ExtData


class SES_Header(core.Sequence):
    """头信息: ``ES``, version 4, the vendor's id."""

    _fields: ClassVar = [("id", core.IA5String), ("version", core.Integer), ("vid", core.IA5String)]


class CertInfoList(core.SequenceOf):
    """签章者证书列表: DER certificates."""

    _child_spec = core.OctetString


class CertDigestObj(core.Sequence):
    """签章者证书杂凑值: a hash algorithm name and the certificate's digest."""

    _fields: ClassVar = [("type", core.PrintableString), ("value", core.OctetString)]


class CertDigestList(core.SequenceOf):
    """签章者证书杂凑值列表."""

    _child_spec = CertDigestObj


class SES_ESPropertyInfo(core.Sequence):
    """印章属性."""

    _fields: ClassVar = [
        ("type", core.Integer),
        ("name", core.UTF8String),
        ("certListType", core.Integer),
        ("certList", core.Any),
        ("createDate", core.GeneralizedTime),
        ("validStart", core.GeneralizedTime),
        ("validEnd", core.GeneralizedTime),
    ]


class SES_ESPictrueInfo(core.Sequence):
    """印章图像: its type (e.g. ``PNG``), the image, its width and height in millimetres."""

    _fields: ClassVar = [
        ("type", core.IA5String),
        ("data", core.OctetString),
        ("width", core.Integer),
        ("height", core.Integer),
    ]


class SES_SealInfo(core.Sequence):
    """印章信息: what the maker signs."""

    _fields: ClassVar = [
        ("header", SES_Header),
        ("esID", core.IA5String),
        ("property", SES_ESPropertyInfo),
        ("picture", SES_ESPictrueInfo),
        ("extDatas", ExtensionDatas, {"optional": True}),
    ]


class SES_Seal(core.Sequence):
    """电子印章数据 (the file a ``.esl`` holds)."""

    _fields: ClassVar = [
        ("eSealInfo", SES_SealInfo),
        ("cert", core.OctetString),
        ("signAlgID", core.ObjectIdentifier),
        ("signedValue", core.OctetBitString),
    ]


class TBS_Sign(core.Sequence):
    """签章信息: what the signer signs."""

    _fields: ClassVar = [
        ("version", core.Integer),
        ("eseal", SES_Seal),
        ("timeInfo", core.GeneralizedTime),
        ("dataHash", core.OctetBitString),
        ("propertyInfo", core.IA5String),
        ("extDatas", ExtensionDatas, {"explicit": 0, "optional": True}),
    ]


class SES_Signature(core.Sequence):
    """电子签章数据."""

    _fields: ClassVar = [
        ("toSign", TBS_Sign),
        ("cert", core.OctetString),
        ("signatureAlgID", core.ObjectIdentifier),
        ("signature", core.OctetBitString),
        ("timeStamp", core.OctetBitString, {"explicit": 0, "optional": True}),
    ]


def cert_list(property_info: SES_ESPropertyInfo) -> CertInfoList | CertDigestList:
    """The SES_CertList CHOICE of ``property_info``, read as its ``certListType`` says (1 or 2).

    Raises ValueError for another type or an alternative that does not parse.
    """
    kind = property_info["certListType"].native
    raw = property_info["certList"].dump()
    if kind == 1:
        return CertInfoList.load(raw, strict=True)
    if kind == 2:
        return CertDigestList.load(raw, strict=True)
    raise ValueError(f"unknown certListType {kind!r}")
