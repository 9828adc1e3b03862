"""The reasons and warnings of GB/T 38540 verification: stable codes with plain Chinese and English text.

They sit beside :mod:`esign.verify.findings` (same :class:`esign.verify.report.Finding` type); codes
that mean the same thing (``revoked``, ``no_revocation_info``, ...) keep the PAdES verifier's names.
"""

from __future__ import annotations

from esign.verify.report import Finding

__all__ = ["MESSAGES", "finding"]

MESSAGES: dict[str, tuple[str, str]] = {
    "ses_unreadable": ("电子印章数据无法解析：{detail}", "The seal data cannot be parsed: {detail}"),
    "ses_signature_unreadable": (
        "电子签章数据无法解析：{detail}",
        "The electronic signature data cannot be parsed: {detail}",
    ),
    "maker_signature_invalid": (
        "电子印章数据的制章者签名无效，印章数据可能被伪造或篡改。",
        "The maker's signature over the seal data does not verify: the seal may be forged or altered.",
    ),
    "maker_untrusted": (
        "制章者证书不是由受信任的根证书签发的（其签发者为“{issuer}”），无法确认印章由谁制作。",
        "The maker certificate does not chain to a trusted root (its issuer is \u201c{issuer}\u201d).",
    ),
    "maker_expired": (
        "制章者证书已过期（有效期至 {until}）。",
        "The maker certificate has expired (valid until {until}).",
    ),
    "maker_not_yet_valid": ("制章者证书尚未生效。", "The maker certificate is not yet valid."),
    "maker_revoked": ("制章者证书已被吊销（{when}）。", "The maker certificate was revoked ({when})."),
    "maker_no_revocation_info": (
        "无法取得制章者证书的吊销状态信息。",
        "No revocation information for the maker certificate.",
    ),
    "chain_constraints": (
        "证书链中的签发者不是证书机构或无权签发证书。",
        "An issuer in the chain is not a CA or may not sign certificates.",
    ),
    "seal_expired": (
        "电子印章已过有效期（有效期至 {until}）。",
        "The electronic seal is past its validity (valid until {until}).",
    ),
    "seal_not_yet_valid": (
        "电子印章尚未生效（自 {since} 起有效）。",
        "The electronic seal is not yet valid (from {since}).",
    ),
    "signer_cert_expired": (
        "印章中的签章者证书“{subject}”已过期（有效期至 {until}）。",
        "The seal's signer certificate \u201c{subject}\u201d has expired (valid until {until}).",
    ),
    "signer_not_in_seal": (
        "签章者证书不在电子印章的证书列表中，签章者无权使用该印章。",
        "The signer certificate is not in the seal's certificate list: the signer may not use this seal.",
    ),
    "signature_raw_rs": (
        "{what}签名值是 64 字节的 r||s 裸格式，不是 GB/T 35276 规定的 DER 编码；已按 r||s 验证。",
        "The {what_en} signature is a bare 64-byte r||s, not the DER that GB/T 35276 specifies; checked as r||s.",
    ),
    "signature_invalid": (
        "电子签章的签名值无效，签章数据可能被伪造或篡改。",
        "The signature value does not verify: the signature data may be forged or altered.",
    ),
    "untrusted_chain": (
        "签章者证书不是由受信任的证书机构签发的（其签发者为“{issuer}”）。",
        "The signer certificate does not chain to a trusted CA (its issuer is \u201c{issuer}\u201d).",
    ),
    "expired": (
        "签章时签章者证书已过期（有效期至 {until}）。",
        "The signer certificate had expired when signing (valid until {until}).",
    ),
    "not_yet_valid": ("签章时签章者证书尚未生效。", "The signer certificate was not yet valid when signing."),
    "out_of_bounds_no_poe": (
        "签章者证书已过期或尚未生效，且没有可信时间戳证明签章时证书有效。",
        "The signer certificate is expired or not yet valid and no trusted time-stamp proves it was valid.",
    ),
    "key_usage": (
        "签章者证书的密钥用途不含数字签名。",
        "The signer certificate's key usage does not allow digital signatures.",
    ),
    "revoked": ("签章时签章者证书已被吊销（{when}）。", "The signer certificate was revoked when signing ({when})."),
    "revoked_no_poe": (
        "签章者证书已被吊销（{when}），且没有可信时间戳证明签章早于吊销。",
        "The signer certificate is revoked ({when}) and no trusted time-stamp proves signing came first.",
    ),
    "suspended": (
        "该印章证书处于挂起状态（自 {when}），且无法证明签章早于挂起。",
        "The certificate is suspended (since {when}) and signing is not proven to precede it.",
    ),
    "no_revocation_info": (
        "无法取得签章者证书的吊销状态信息，请稍后重新核验。",
        "No revocation information for the signer certificate; verify later.",
    ),
    "hash_mismatch": (
        "被保护数据的杂凑值与签章数据不符，数据在签章后被篡改。",
        "The protected data's SM3 hash does not match dataHash: the data was altered after signing.",
    ),
    "data_not_given": (
        "未提供被保护的原文，无法核对原文杂凑值。",
        "The protected data was not given, so dataHash could not be checked.",
    ),
    "timestamp_broken": (
        "签章时间戳已损坏或与签名值不符：{detail}",
        "The time-stamp is broken or does not match the signature value: {detail}",
    ),
    "timestamp_untrusted": ("签章时间戳不可信：{detail}", "The time-stamp is not trusted: {detail}"),
    "no_trusted_time": (
        "签章没有可信时间戳，签章时间仅为签章方自报。",
        "The signature has no trusted time-stamp; the signing time is only the signer's claim.",
    ),
    "revoked_after_signing": (
        "签章者证书在签章之后（{when}）被吊销，不影响本次签章的效力。",
        "The signer certificate was revoked after signing ({when}); this signature is not affected.",
    ),
}


def finding(code: str, **values: object) -> Finding:
    """The :class:`Finding` for ``code`` with its placeholders filled."""
    zh, en = MESSAGES[code]
    text = {k: str(v) for k, v in values.items()}
    return Finding(code, zh.format(**text), en.format(**text))
