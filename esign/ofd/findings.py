"""The reasons and warnings particular to OFD verification (same :class:`~esign.verify.report.Finding`
type as :mod:`esign.verify.findings` and :mod:`esign.ses.findings`)."""

from __future__ import annotations

from esign.verify.report import Finding

__all__ = ["MESSAGES", "finding"]

MESSAGES: dict[str, tuple[str, str]] = {
    "ofd_structure": ("签章描述文件结构有误：{detail}", "The signature description is malformed: {detail}"),
    "ofd_no_references": (
        "签章没有保护任何文件（References 为空）。",
        "The signature protects no file (its References are empty).",
    ),
    "ofd_check_method": (
        "签章使用了不接受的杂凑算法“{method}”（只接受 SM3 和 SHA-256），无法核对被保护文件。",
        "The signature's CheckMethod \u201c{method}\u201d is not accepted (SM3 or SHA-256 only); files not checked.",
    ),
    "ofd_reference_mismatch": (
        "被保护的文件 {path}{where} 在签章后被修改（杂凑值不符）。",
        "The protected file {path}{where_en} was changed after signing (its digest does not match).",
    ),
    "ofd_reference_missing": (
        "被保护的文件 {path} 已被删除或改名。",
        "The protected file {path} was removed or renamed after signing.",
    ),
    "ofd_reference_no_value": (
        "文件 {path} 的杂凑值（CheckValue）缺失或不是 Base64。",
        "The CheckValue of {path} is missing or not base64.",
    ),
    "ofd_signature_xml_changed": (
        "签章描述文件 {path} 与电子签章数据不符：签章描述被修改，或 SignedValue.dat 被调换。",
        "{path} does not match the signature's dataHash: it was changed, or SignedValue.dat was swapped.",
    ),
    "ofd_seal_file_mismatch": (
        "印章文件 {path} 与电子签章数据中的印章不一致（印章文件被调换）。",
        "The seal file {path} differs from the seal inside the signature (the seal file was swapped).",
    ),
    "ofd_signed_value_missing": (
        "签章值文件 {path} 不存在，无法核验签章。",
        "The signature value file {path} is missing; the signature cannot be verified.",
    ),
    "ofd_not_ses": (
        "签章值不是 GB/T 38540 电子签章数据（{detail}），本系统无法核验。",
        "The signature value is not GB/T 38540 SES_Signature data ({detail}); it cannot be verified here.",
    ),
    "ofd_stamp_annot_page": (
        "签章外观（StampAnnot {id}）指向不存在的页面（PageRef={page}）。",
        "The stamp appearance (StampAnnot {id}) points at no page of the document (PageRef={page}).",
    ),
    "ofd_stamp_annot_boundary": (
        "签章外观（StampAnnot {id}）的位置（Boundary）无效。",
        "The stamp appearance (StampAnnot {id}) has no valid Boundary.",
    ),
    "ofd_no_stamp_annot": (
        "签章没有外观（StampAnnot），页面上看不到印章。",
        "The signature has no StampAnnot: no seal is shown on the pages.",
    ),
    "ofd_signature_method": (
        "签章描述中的签名算法为“{method}”，不是 SM2（1.2.156.10197.1.501）。",
        "The SignatureMethod is \u201c{method}\u201d, not SM2 (1.2.156.10197.1.501).",
    ),
    "ofd_property_info": (
        "电子签章数据所述的保护对象“{prop}”与签章描述文件 {path} 不符。",
        "The signature's propertyInfo \u201c{prop}\u201d does not name {path}.",
    ),
}


def finding(code: str, **values: object) -> Finding:
    """The :class:`Finding` for ``code`` with its placeholders filled."""
    zh, en = MESSAGES[code]
    text = {k: str(v) for k, v in values.items()}
    return Finding(code, zh.format(**text), en.format(**text))
