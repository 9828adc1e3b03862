"""The reasons and warnings a report can carry: stable codes with plain Chinese and English text."""

from __future__ import annotations

from esign.verify.report import Finding

__all__ = ["MESSAGES", "finding"]

#: code -> (Chinese, English); ``{name}`` placeholders are filled by :func:`finding`.
MESSAGES: dict[str, tuple[str, str]] = {
    # the file
    "empty": ("文件为空。", "The file is empty."),
    "not_a_pdf": ("文件不是 PDF 文档。", "The file is not a PDF document."),
    "junk_before_header": (
        "PDF 文件头之前有多余内容，文件可能被伪装或拼接。",
        "There is data before the %PDF header; the file may be a disguised or spliced document.",
    ),
    "malformed_pdf": (
        "PDF 文件结构损坏，无法读取：{detail}",
        "The PDF structure is broken and cannot be read: {detail}",
    ),
    "encrypted": (
        "文件已加密，需要打开密码才能核验（请提供密码）。",
        "The PDF is encrypted and does not open without a password; give the password to verify it.",
    ),
    "wrong_password": ("密码不正确，无法打开该加密文件。", "The password does not open this encrypted PDF."),
    "too_many_revisions": (
        "文件修订次数过多（{count}），拒绝核验。",
        "Too many revisions ({count}); refusing to verify.",
    ),
    "too_many_signatures": (
        "文件中签名过多（{count}），拒绝核验。",
        "Too many signatures ({count}); refusing to verify.",
    ),
    "no_signature": (
        "文件中没有电子印章（数字签名）。",
        "The document carries no electronic seal (digital signature).",
    ),
    "doc_timestamp_broken": (
        "文件时间戳（第 {revision} 版）已损坏或被篡改。",
        "A document time-stamp (revision {revision}) is broken or was tampered with.",
    ),
    "doc_timestamp_untrusted": (
        "文件时间戳（第 {revision} 版）不可信：{detail}",
        "A document time-stamp (revision {revision}) is not trusted: {detail}",
    ),
    # one signature: format and crypto
    "signature_unreadable": ("印章签名数据无法解析：{detail}", "The seal's signature data cannot be parsed: {detail}"),
    "unsupported_subfilter": ("不支持的签名格式 {subfilter}。", "Unsupported signature format {subfilter}."),
    "no_signing_certificate": ("签名中找不到印章证书。", "The signature does not contain the seal certificate."),
    "hash_mismatch": (
        "文件内容与印章签名不符，文件在盖章后被篡改。",
        "The signed bytes do not match the seal's digest: the document was altered after stamping.",
    ),
    "signature_invalid": ("印章签名值无效，签名可能被伪造或篡改。", "The seal's signature value does not verify."),
    "modified_after_signing": (
        "文件在盖章后被修改（{detail}）。",
        "The document was modified after stamping ({detail}).",
    ),
    # one signature: certificate
    "untrusted_chain": (
        "印章证书不是由受信任的电子印章证书机构签发的，无法确认盖章单位身份。",
        "The seal certificate does not chain to a trusted seal CA; the stamping organisation cannot be confirmed.",
    ),
    "chain_invalid": ("印章证书链校验失败：{detail}", "The seal certificate chain does not validate: {detail}"),
    "chain_constraints": (
        "印章证书不适用于电子印章（密钥用途或策略不符）。",
        "The seal certificate is not fit for sealing (key usage or policy).",
    ),
    "crypto_constraints": ("签名使用了不安全的算法。", "The signature uses a disallowed algorithm."),
    "expired": (
        "盖章时印章证书已过期（有效期至 {until}）。",
        "The seal certificate had expired when stamped (valid until {until}).",
    ),
    "not_yet_valid": ("盖章时印章证书尚未生效。", "The seal certificate was not yet valid when stamped."),
    "out_of_bounds_no_poe": (
        "印章证书已过期或尚未生效，且没有可信时间戳证明盖章时证书有效。",
        "The seal certificate is expired or not yet valid and no trusted time-stamp proves it was valid when stamped.",
    ),
    # one signature: revocation
    "revoked": (
        "盖章时该印章证书已被吊销（吊销时间 {when}）。",
        "The seal certificate was already revoked when stamped (revoked at {when}).",
    ),
    "revoked_no_poe": (
        "该印章证书已被吊销（{when}），且没有可信时间戳证明盖章早于吊销。",
        "The seal certificate is revoked ({when}) and no trusted time-stamp proves stamping came first.",
    ),
    "suspended": (
        "该印章目前处于挂起（暂停使用）状态（自 {when}），且无法证明盖章早于挂起，请稍后再核验。",
        "The seal is suspended (since {when}) and stamping is not proven to precede the suspension; try later.",
    ),
    "no_revocation_info": (
        "无法取得盖章时印章证书的吊销状态信息，请联网或稍后重新核验。",
        "No revocation information covers the stamping time; verify online or later.",
    ),
    # warnings
    "revoked_after_signing": (
        "该印章证书在盖章之后（{when}）被吊销，不影响本文件的效力。",
        "The seal certificate was revoked after stamping ({when}); this document is not affected.",
    ),
    "suspended_after_signing": (
        "该印章在盖章之后（{when}）被挂起，不影响本文件的效力。",
        "The seal was suspended after stamping ({when}); this document is not affected.",
    ),
    "no_trusted_time": (
        "签名没有可信时间戳，盖章时间仅为签署方自报。",
        "The signature has no trusted time-stamp; the signing time is only the signer's claim.",
    ),
    "timestamp_untrusted": ("签名时间戳不可信：{detail}", "The signature time-stamp is not trusted: {detail}"),
    "diff_analysis_disagrees": (
        "PDF 差异分析认为盖章后的修改可疑（{detail}）。",
        "PDF difference analysis finds the changes after stamping suspicious ({detail}).",
    ),
    # online checks
    "registry_unknown_seal": ("印章登记系统中没有该印章。", "The seal registry does not know this seal."),
    "registry_not_active": (
        "印章登记系统显示盖章时该印章状态为：{state}。",
        "The seal registry shows the seal as {state} at stamping time.",
    ),
    "registry_item_not_authorized": (
        "该事项不在该乡镇的授权事项清单内。",
        "The item is not in the township's authority list.",
    ),
    "registry_unavailable": ("印章登记系统暂时无法查询。", "The seal registry could not be queried."),
    "ledger_not_found": ("用印登记台账中找不到该文件。", "The usage ledger has no entry for this document."),
    "ledger_hash_mismatch": (
        "用印登记台账中的文件摘要与本文件不一致。",
        "The ledger entry's document hash does not match this document.",
    ),
    "ledger_seal_mismatch": (
        "用印登记台账记录的印章与文件上的印章不一致。",
        "The ledger entry names a different seal from the one on the document.",
    ),
    "ledger_proof_invalid": (
        "用印登记台账的存证证明校验失败。",
        "The ledger entry's inclusion proof does not verify.",
    ),
    "ledger_unavailable": ("用印登记台账暂时无法查询。", "The usage ledger could not be queried."),
}


def finding(code: str, **values: object) -> Finding:
    """The :class:`Finding` for ``code`` with its placeholders filled."""
    zh, en = MESSAGES[code]
    text = {k: str(v) for k, v in values.items()}
    try:
        return Finding(code, zh.format(**text), en.format(**text))
    except (KeyError, IndexError):
        return Finding(code, zh, en)
