"""The sentence people read, and the four conditions of 《电子签名法》第十三条.

Article 13 calls an electronic signature reliable when (1) the creation data, when used, belonged
exclusively to the signer; (2) at signing, the signer alone controlled it; (3) any change to the
signature after signing can be detected; (4) any change to the content and form of the data
message after signing can be detected. A verifier can only see evidence for these; the report
says what the evidence is and marks each condition met / not met / cannot tell:

1. met when the seal certificate chains to a trust root and was not revoked or suspended at the
   proven signing time; not met when it was revoked then or the signature does not verify;
   cannot tell otherwise (unknown CA, no revocation information).
2. met when, in addition, the signing time is proven by a trusted time-stamp and the certificate
   was valid then; not met when revoked, suspended or expired at that time; cannot tell without
   a proven time.
3. met when the signature value verifies and its /ByteRange and /Contents are sound; not met
   otherwise (a change to the signature was detected).
4. met when the signature covers its whole revision and nothing but signatures, time-stamps and
   validation data was added since; not met when the document was changed (detected).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

from esign.localtime import local_text
from esign.pki.status import CertState
from esign.verify.report import (
    ChangeCategory,
    ConditionState,
    Finding,
    Indication,
    LedgerCheck,
    LegalCondition,
    SignatureReport,
    SubIndication,
    TimestampInfo,
    VerificationReport,
    indication_of,
)

__all__ = ["ARTICLE_13", "conclusion", "document_report", "legal_conditions"]

#: The four conditions as the law words them, with an English rendering.
ARTICLE_13 = (
    (
        "电子签名制作数据用于电子签名时，属于电子签名人专有",
        "The signature creation data, when used, belonged exclusively to the signatory",
    ),
    (
        "签署时电子签名制作数据仅由电子签名人控制",
        "At the time of signing, the creation data was under the sole control of the signatory",
    ),
    (
        "签署后对电子签名的任何改动能够被发现",
        "Any alteration to the electronic signature after signing can be detected",
    ),
    (
        "签署后对数据电文内容和形式的任何改动能够被发现",
        "Any alteration to the content and form of the data message after signing can be detected",
    ),
)

_PASSED_ZH = "有效：该电子印章真实有效，文件自盖章后未被修改，与实物印章具有同等法律效力。"
_PASSED_EN = (
    "Valid: the electronic seal is genuine and the document has not been modified since it was stamped; "
    "it has the same legal effect as a physical seal."
)


def conclusion(
    indication: Indication, signatures: Sequence[SignatureReport], problems: Sequence[Finding]
) -> tuple[str, str]:
    """(Chinese, English) one-sentence conclusion."""
    if indication is Indication.TOTAL_PASSED:
        if len(signatures) > 1:
            return (
                f"有效：文件上的 {len(signatures)} 枚电子印章均真实有效，"
                "文件自盖章后未被修改，与实物印章具有同等法律效力。",
                f"Valid: all {len(signatures)} electronic seals are genuine and the document has not been modified "
                "since it was stamped; they have the same legal effect as physical seals.",
            )
        return _PASSED_ZH, _PASSED_EN
    deciding = _deciding(indication, signatures, problems)
    prefix_zh, prefix_en = (
        ("无效：", "Not valid: ")
        if indication is Indication.TOTAL_FAILED
        else ("暂无法确认有效：", "Cannot be confirmed: ")
    )
    if deciding is None:
        return prefix_zh + "核验未通过。", prefix_en + "verification did not pass."
    who_zh = who_en = ""
    failing = [s for s in signatures if s.indication is indication]
    if len(signatures) > 1 and failing and failing[0].signer is not None and deciding in failing[0].reasons:
        who_zh = f"（{failing[0].signer.common_name or failing[0].field_name}）"
        who_en = f" ({failing[0].field_name})"
    return prefix_zh + deciding.message_zh + who_zh, prefix_en + deciding.message_en + who_en


def _deciding(
    indication: Indication, signatures: Sequence[SignatureReport], problems: Sequence[Finding]
) -> Finding | None:
    if problems:
        return problems[0]
    for s in signatures:
        if s.indication is indication and s.reasons:
            return s.reasons[0]
    return None


def _aggregate(states: list[ConditionState]) -> ConditionState:
    if not states:
        return ConditionState.CANNOT_TELL
    if ConditionState.NOT_MET in states:
        return ConditionState.NOT_MET
    if ConditionState.CANNOT_TELL in states:
        return ConditionState.CANNOT_TELL
    return ConditionState.MET


_CHAIN_FAILURES = {
    SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
    SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE,
    SubIndication.CHAIN_CONSTRAINTS_FAILURE,
    SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
}


def _cond1(s: SignatureReport) -> tuple[ConditionState, str, str]:
    subs = {s.subindication}
    name = s.signer.organization or s.signer.common_name if s.signer else None
    if s.crypto_valid is False or SubIndication.REVOKED in subs:
        return (
            ConditionState.NOT_MET,
            "印章签名无效或盖章时证书已被吊销。",
            "invalid signature or certificate revoked at signing",
        )
    if s.signer is None or s.subindication in _CHAIN_FAILURES:
        return (
            ConditionState.CANNOT_TELL,
            "无法确认印章证书属于哪个单位。",
            "the certificate's owner cannot be confirmed",
        )
    if s.revocation_at_signing.state is CertState.GOOD and s.crypto_valid:
        uscc = s.signer.organization_identifier or "?"
        return (
            ConditionState.MET,
            f"印章证书由受信任的证书机构签发给{name}（统一社会信用代码 {uscc}），盖章时未被吊销或挂起。",
            f"certificate issued by a trusted CA to {name} (USCC {uscc}); not revoked or suspended at signing",
        )
    return ConditionState.CANNOT_TELL, "无法确认盖章时印章证书的状态。", "certificate status at signing is unknown"


def _cond2(s: SignatureReport) -> tuple[ConditionState, str, str]:
    bad = {SubIndication.REVOKED, SubIndication.EXPIRED, SubIndication.NOT_YET_VALID}
    if s.subindication in bad or s.crypto_valid is False:
        return (
            ConditionState.NOT_MET,
            "盖章时印章证书已失效或签名无效。",
            "certificate not in force at signing or invalid signature",
        )
    if s.revocation_at_signing.state is CertState.ON_HOLD or s.revocation_now.state is CertState.ON_HOLD:
        if s.trusted_signing_time is None or (
            s.revocation_now.revoked_at is not None and s.trusted_signing_time >= s.revocation_now.revoked_at
        ):
            return (
                ConditionState.CANNOT_TELL,
                "印章处于挂起状态，无法确认盖章时的控制情况。",
                "seal suspended; control at signing unproven",
            )
    if s.trusted_signing_time is None:
        return (
            ConditionState.CANNOT_TELL,
            "没有可信时间戳，无法证明盖章时间。",
            "no trusted time-stamp proves when it was signed",
        )
    if s.indication is Indication.TOTAL_PASSED or (
        s.revocation_at_signing.state is CertState.GOOD and s.subindication not in _CHAIN_FAILURES
    ):
        when = s.trusted_signing_time.strftime("%Y-%m-%d %H:%M:%S UTC")
        when_zh = f"{local_text(s.trusted_signing_time, seconds=True)}（北京时间）"  # people read Beijing time
        return (
            ConditionState.MET,
            f"可信时间戳证明盖章时间为 {when_zh}，当时印章证书有效且未被吊销或挂起。",
            f"a trusted time-stamp proves signing at {when}, when the certificate was valid and in force",
        )
    return ConditionState.CANNOT_TELL, "无法确认盖章时印章证书的状态。", "certificate status at signing is unknown"


def _cond3(s: SignatureReport) -> tuple[ConditionState, str, str]:
    structural = [p for p in s.coverage.problems]
    if s.crypto_valid and s.intact is not False and not structural:
        return (
            ConditionState.MET,
            "签名值经密码验证有效，签名字节范围和签名值结构完整。",
            "the signature value verifies and its byte range and /Contents are sound",
        )
    if s.crypto_valid is None and not structural:
        return ConditionState.CANNOT_TELL, "签名无法解析。", "the signature cannot be parsed"
    return (
        ConditionState.NOT_MET,
        "检测到签名本身被改动或结构异常。",
        "an alteration of the signature itself was detected",
    )


def _cond4(s: SignatureReport) -> tuple[ConditionState, str, str]:
    if s.intact is False or s.changes.category is ChangeCategory.OTHER or s.coverage.problems:
        return (
            ConditionState.NOT_MET,
            "检测到文件内容在盖章后被改动。",
            "an alteration of the content after signing was detected",
        )
    if s.intact and s.coverage.whole_revision:
        if s.changes.category is ChangeCategory.NONE:
            return (
                ConditionState.MET,
                "签名覆盖整个文件，盖章后无任何改动。",
                "the signature covers the whole file; nothing changed",
            )
        return (
            ConditionState.MET,
            "签名覆盖盖章时的完整文件，之后仅追加了其他印章、时间戳或验证数据。",
            "the signature covers the whole document as signed; only seals, time-stamps and validation data were added",
        )
    return ConditionState.CANNOT_TELL, "无法确认签名覆盖的范围。", "the signature's coverage cannot be established"


def legal_conditions(signatures: Sequence[SignatureReport], problems: Sequence[Finding]) -> tuple[LegalCondition, ...]:
    """The four conditions for the document: met only if met for every signature."""
    out = []
    for n, fn in enumerate((_cond1, _cond2, _cond3, _cond4), start=1):
        zh, en = ARTICLE_13[n - 1]
        if problems or not signatures:
            state, ev_zh, ev_en = (
                ConditionState.CANNOT_TELL,
                problems[0].message_zh if problems else "文件中没有电子印章。",
                problems[0].message_en if problems else "the document carries no seal",
            )
        else:
            results = [fn(s) for s in signatures]
            state = _aggregate([r[0] for r in results])
            pick = next((r for r in results if r[0] is state), results[0])
            ev_zh, ev_en = pick[1], pick[2]
            if len(signatures) > 1 and state is ConditionState.MET:
                ev_zh = f"全部 {len(signatures)} 枚印章：" + ev_zh
                ev_en = f"all {len(signatures)} seals: " + ev_en
        out.append(LegalCondition(n, zh, en, state, ev_zh, ev_en))
    return tuple(out)


def document_report(
    *,
    sub: SubIndication | None,
    at: dt.datetime,
    data: bytes,
    revisions: int = 0,
    signatures: tuple[SignatureReport, ...] = (),
    doc_ts: tuple[TimestampInfo, ...] = (),
    problems: tuple[Finding, ...] = (),
    ledger_check: LedgerCheck | None = None,
    document_sha256: str | None = None,
) -> VerificationReport:
    """The report on a whole document (PDF or OFD) whose overall sub-indication is ``sub``: its
    indication, the sentence people read and the four conditions follow from it and the signatures.
    ``document_sha256`` is the SHA-256 of ``data`` when the caller already has it (computed here otherwise)."""
    indication = indication_of(sub)
    zh, en = conclusion(indication, signatures, problems)
    return VerificationReport(
        indication=indication,
        subindication=sub,
        conclusion_zh=zh,
        conclusion_en=en,
        validation_time=at,
        document_sha256=document_sha256 or hashlib.sha256(data).hexdigest(),
        size=len(data),
        revisions=revisions,
        signatures=signatures,
        document_timestamps=doc_ts,
        problems=problems,
        conditions=legal_conditions(signatures, problems),
        ledger=ledger_check or LedgerCheck(),
    )
