"""电子签章数据 (SES_Signature, GB/T 38540-2020 §7, version 4): sign, read, verify.

:func:`sign` is the API the OFD signer (next issue) calls: it takes the protected bytes (or their SM3
hash), the ``propertyInfo`` naming what is protected (for OFD, the path of Signature.xml), the seal,
the signer's SM2 key and certificate (which the seal must list), a time-stamper and the time; it builds
TBS_Sign (version 4, the whole SES_Seal, timeInfo, dataHash = SM3(protected), propertyInfo, extDatas),
signs DER(TBS_Sign) with SM2-with-SM3 (default user ID), has the signature value time-stamped and
returns the DER SES_Signature. That is what ofdrw's SESV4Container does, checked against its sample.

:func:`verify_signature` follows GB/T 38540-2020 §7.3, each step with its sub-indication:

1. format: a DER SES_Signature v4, SM2-with-SM3, the seal inside well-formed (FORMAT_FAILURE);
2. the signature value over DER(TBS_Sign) with the signer certificate's key (SIG_CRYPTO_FAILURE);
3. the signer certificate is in the seal's certList (SIG_CONSTRAINTS_FAILURE);
4. the seal itself, at the proven signing time (:func:`esign.ses.verify.check_seal`);
5. the signer certificate's path, validity, key usage and revocation at the proven time (as the PAdES
   verifier: EXPIRED, NOT_YET_VALID, OUT_OF_BOUNDS_NO_POE, NO_CERTIFICATE_CHAIN_FOUND, REVOKED,
   REVOKED_NO_POE, TRY_LATER; revoked after the proven time is a warning);
6. the time-stamp over the signature value: intact, signed, its TSA trusted; only then is its genTime
   the proven signing time (else a warning and ``timeInfo`` stays a claim);
7. dataHash against the protected data, when given (HASH_FAILURE; SIGNED_DATA_NOT_FOUND when not given).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from asn1crypto import core

from esign.errors import InputError
from esign.pki._util import require_utc
from esign.pki.sm2 import SM2_WITH_SM3_OID, Sm2KeyError, Sm2Signing, sm3
from esign.pki.sm2_certs import Sm2Certificate
from esign.pki.sm2_tsp import read_sm2_timestamp
from esign.pki.status import CertState
from esign.ses.asn1 import SES_Seal, SES_Signature, TBS_Sign
from esign.ses.chain import name_text, validate_chain
from esign.ses.findings import finding
from esign.ses.seal import (
    MAX_SES_SIZE,
    SEAL_VERSION,
    Seal,
    SesExtension,
    SesFormatError,
    _bad,
    _extensions,
    _ia5,
    bit_string_octets,
    parse_seal,
)
from esign.ses.verify import SesTrust, _report, _t, by_severity, cert_info, check_seal, verify_value, worst
from esign.verify.report import (
    UNKNOWN_REVOCATION,
    ChangeCategory,
    ChangesAfterSigning,
    Coverage,
    Finding,
    SignatureReport,
    SubIndication,
    TimestampInfo,
    VerificationReport,
    indication_of,
)

__all__ = ["SesSignature", "Timestamper", "parse_signature", "sign", "verify_signature"]

#: Time-stamps the signature value: takes its octets, returns a DER TimeStampToken (RFC 3161).
Timestamper = Callable[[bytes], bytes]


@dataclass(frozen=True)
class SesSignature:
    """A parsed SES_Signature v4. Made by :func:`parse_signature`; nothing in it has been verified."""

    der: bytes
    """The whole SES_Signature, DER, as read."""
    seal: Seal
    """TBS_Sign.eseal."""
    time_info: dt.datetime
    """TBS_Sign.timeInfo: the signer's claimed signing time."""
    data_hash: bytes
    """TBS_Sign.dataHash: SM3 of the protected data."""
    property_info: str
    """TBS_Sign.propertyInfo: what is protected."""
    ext_datas: tuple[SesExtension, ...]
    """TBS_Sign.extDatas."""
    signer_cert: bytes
    """The signer's DER certificate."""
    signature: bytes
    """The signature value (DER ``SEQUENCE {r, s}``)."""
    timestamp: bytes | None
    """The DER TimeStampToken over the signature value, if any."""
    tbs_der: bytes
    """DER(TBS_Sign) exactly as in the file: the bytes signed."""


def parse_signature(der: bytes) -> SesSignature:
    """Read a DER SES_Signature v4 field by field; :class:`SesFormatError` for anything malformed."""
    if len(der) > MAX_SES_SIZE:
        raise _bad(f"数据超过 {MAX_SES_SIZE // 2**20} MB。", f"the data exceeds {MAX_SES_SIZE // 2**20} MB.")
    try:
        sig = SES_Signature.load(der, strict=True)
        tbs = sig["toSign"]
        version = tbs["version"].native
        seal_der = tbs["eseal"].dump()
        time_info = tbs["timeInfo"].native
        property_info = tbs["propertyInfo"].native
        algorithm = sig["signatureAlgID"].dotted
        cert = sig["cert"].native
        ext_datas = _extensions(tbs["extDatas"])
        ts = sig["timeStamp"]
        tbs_der = tbs.dump()
    except (ValueError, TypeError, KeyError) as e:
        raise _bad("无法解析 SES_Signature。", f"cannot parse SES_Signature ({e}).") from e
    if version != SEAL_VERSION or algorithm != SM2_WITH_SM3_OID or not isinstance(time_info, dt.datetime):
        raise _bad("版本或签名算法不符。", f"version {version!r} / algorithm {algorithm} is not v4 SM2-with-SM3.")
    data_hash = bit_string_octets(tbs["dataHash"], "dataHash")
    if len(data_hash) != 32:
        raise SesFormatError(
            "电子签章数据格式错误：原文杂凑值不是 SM3。", "Malformed GB/T 38540 data: dataHash is not SM3."
        )
    return SesSignature(
        der=bytes(der),
        seal=parse_seal(seal_der),
        time_info=time_info.astimezone(dt.UTC),
        data_hash=data_hash,
        property_info=property_info,
        ext_datas=ext_datas,
        signer_cert=cert,
        signature=bit_string_octets(sig["signature"], "signature"),
        timestamp=None if isinstance(ts, core.Void) else bit_string_octets(ts, "timeStamp"),
        tbs_der=tbs_der,
    )


def sign(
    *,
    data: bytes | None = None,
    data_hash: bytes | None = None,
    property_info: str,
    seal: bytes,
    signer_key: Sm2Signing,
    signer_cert: bytes,
    timestamper: Timestamper | None,
    at: dt.datetime,
    ext_datas: Sequence[SesExtension] = (),
) -> bytes:
    """A DER SES_Signature v4 over ``data`` (or its SM3 ``data_hash``; give exactly one).

    ``seal`` is the DER SES_Seal, kept byte for byte; ``signer_cert`` must be in its certList and match
    ``signer_key`` (a key, or a key store's signer: anything with ``sign(data) -> DER``).
    ``timestamper`` None leaves timeStamp out (then nothing proves the signing time).
    """
    if (data is None) == (data_hash is None):
        raise InputError("须提供原文或其杂凑值之一。", "Give exactly one of data and data_hash.", field="data")
    digest = sm3(data) if data is not None else data_hash
    if not isinstance(digest, bytes) or len(digest) != 32:
        raise InputError("原文杂凑值必须是 32 字节 SM3。", "data_hash must be a 32-byte SM3 digest.", field="data_hash")
    _ia5(property_info, "propertyInfo")
    parsed = parse_seal(seal)
    cert = Sm2Certificate.from_der(signer_cert)
    if not parsed.lists_signer(signer_cert):
        raise InputError(
            "签章者证书不在该电子印章的证书列表中。",
            "The signer certificate is not in the seal's certificate list.",
            code="signer_not_in_seal",
        )
    fields: dict[str, object] = {
        "version": SEAL_VERSION,
        "eseal": SES_Seal.load(parsed.der),
        "timeInfo": core.GeneralizedTime(require_utc(at).replace(microsecond=0)),
        "dataHash": digest,
        "propertyInfo": property_info,
    }
    if ext_datas:
        fields["extDatas"] = [{"extnID": e.oid, "critical": e.critical, "extnValue": e.value} for e in ext_datas]
    tbs = TBS_Sign(fields)
    tbs_der = tbs.dump()
    signature = signer_key.sign(tbs_der)
    if not cert.public_key.verify(signature, tbs_der):  # a key store's signer is checked like a key
        raise Sm2KeyError("签章者密钥与证书不匹配。", "The signer key does not match the signer certificate.")
    out: dict[str, object] = {
        "toSign": tbs,
        "cert": signer_cert,
        "signatureAlgID": SM2_WITH_SM3_OID,
        "signature": signature,
    }
    if timestamper is not None:
        out["timeStamp"] = timestamper(signature)
    return SES_Signature(out).dump()


_SIGNATURE_PASSED = (
    "有效：电子签章真实有效，签章所用印章有效，被保护的数据在签章后未被修改。",
    "Valid: the electronic signature is genuine, its seal is valid, and the protected data is unchanged.",
)


def verify_signature(
    der: bytes,
    trust: SesTrust,
    *,
    at: dt.datetime,
    data: bytes | None = None,
    tsa_trust: SesTrust | None = None,
) -> VerificationReport:
    """Verify a DER SES_Signature at ``at`` (see the module docstring); never raises for bad input.

    ``data``: the protected bytes (for OFD, Signature.xml as stored); ``tsa_trust``: what the TSA must
    chain to (default ``trust``).
    """
    at = at.astimezone(dt.UTC)
    try:
        parsed = parse_signature(der)
    except SesFormatError as e:
        return _report(
            der, at, (), (Finding("ses_signature_unreadable", e.message_zh, e.message_en),), _SIGNATURE_PASSED
        )
    subs: list[SubIndication] = []
    reasons: list[Finding] = []
    warnings: list[Finding] = []
    try:
        signer = Sm2Certificate.from_der(parsed.signer_cert)
    except InputError as e:
        problem = Finding("ses_signature_unreadable", e.message_zh, e.message_en)
        return _report(der, at, (), (problem,), _SIGNATURE_PASSED)

    # 2. the signature value
    crypto_valid, bare = verify_value(signer.public_key, parsed.signature, parsed.tbs_der)
    if crypto_valid and bare:
        warnings.append(finding("signature_raw_rs", what="签章者", what_en="signer's"))
    if not crypto_valid:
        subs.append(SubIndication.SIG_CRYPTO_FAILURE)
        reasons.append(finding("signature_invalid"))
    # 3. the signer may use this seal
    if not parsed.seal.lists_signer(parsed.signer_cert):
        subs.append(SubIndication.SIG_CONSTRAINTS_FAILURE)
        reasons.append(finding("signer_not_in_seal"))
    # 6. (before 4 and 5: they are judged at the time it proves)
    poe, token = _timestamp(parsed, tsa_trust or trust, at, warnings)
    time = poe or at
    # 4. the seal
    seal_check = check_seal(parsed.seal, trust, time=time, now=at, proven=poe is not None, standalone=False)
    subs += seal_check.subs
    reasons += seal_check.reasons
    warnings += seal_check.warnings
    # 5. the signer certificate
    chain = validate_chain(signer, roots=trust.roots, intermediates=trust.intermediates, at=time)
    if not chain.trusted:
        subs.append(SubIndication.NO_CERTIFICATE_CHAIN_FOUND)
        reasons.append(finding("untrusted_chain", issuer=chain.top_issuer))
    if chain.bad_issuers:
        subs.append(SubIndication.CHAIN_CONSTRAINTS_FAILURE)
        reasons.append(finding("chain_constraints"))
    not_after = signer.asn1["tbs_certificate"]["validity"]["not_after"].native
    if signer in chain.expired:
        subs.append(SubIndication.EXPIRED if poe else SubIndication.OUT_OF_BOUNDS_NO_POE)
        reasons.append(finding("expired", until=_t(not_after)) if poe else finding("out_of_bounds_no_poe"))
    elif chain.expired:  # an issuer
        subs.append(SubIndication.EXPIRED if poe else SubIndication.OUT_OF_BOUNDS_NO_POE)
        reasons.append(finding("out_of_bounds_no_poe"))
    if chain.not_yet_valid:
        subs.append(SubIndication.NOT_YET_VALID if poe else SubIndication.OUT_OF_BOUNDS_NO_POE)
        reasons.append(finding("not_yet_valid"))
    ku = signer.asn1.key_usage_value
    if ku is not None and "digital_signature" not in ku.native:
        subs.append(SubIndication.CHAIN_CONSTRAINTS_FAILURE)
        reasons.append(finding("key_usage"))
    revocation = trust.revocation(signer, chain.path[1], at) if trust.revocation and len(chain.path) > 1 else None
    if revocation is not None:
        _revocation(revocation.state, revocation.revoked_at, poe, chain.trusted, subs, reasons, warnings)
    elif chain.trusted:
        subs.append(SubIndication.TRY_LATER)
        reasons.append(finding("no_revocation_info"))
    # 7. the protected data
    intact: bool | None = None
    if data is None:
        subs.append(SubIndication.SIGNED_DATA_NOT_FOUND)
        reasons.append(finding("data_not_given"))
    else:
        intact = sm3(data) == parsed.data_hash
        if not intact:
            subs.append(SubIndication.HASH_FAILURE)
            reasons.append(finding("hash_mismatch"))

    sub = worst(subs)
    report = SignatureReport(
        index=0,
        field_name=parsed.property_info,
        indication=indication_of(sub),
        subindication=sub,
        reasons=by_severity(subs, reasons),
        warnings=tuple(warnings),
        signer=cert_info(parsed.signer_cert),
        chain=chain.issuer_subjects,
        trusted_signing_time=poe,
        claimed_signing_time=parsed.time_info,
        timestamp=token,
        level=None,
        coverage=Coverage((), None, 0, whole_revision=bool(intact), whole_file=bool(intact)),
        changes=ChangesAfterSigning(ChangeCategory.NONE, 0),
        intact=intact,
        crypto_valid=crypto_valid,
        revocation_at_signing=revocation or UNKNOWN_REVOCATION,
        revocation_now=revocation or UNKNOWN_REVOCATION,
        seal=seal_check.info(),
    )
    return _report(der, at, (report,), (), _SIGNATURE_PASSED)


def _timestamp(
    parsed: SesSignature, trust: SesTrust, at: dt.datetime, warnings: list[Finding]
) -> tuple[dt.datetime | None, TimestampInfo | None]:
    if parsed.timestamp is None:
        warnings.append(finding("no_trusted_time"))
        return None, None
    ts = read_sm2_timestamp(parsed.timestamp, parsed.signature)
    tsa_name = None if ts.tsa is None else name_text(ts.tsa.subject_der)
    problem = ts.problem
    trusted = False
    if ts.intact and ts.valid and ts.tsa is not None and ts.gen_time is not None:
        chain = validate_chain(
            ts.tsa, roots=trust.roots, intermediates=trust.intermediates, at=ts.gen_time, revocation=trust.revocation
        )
        bad = chain.revocation.state in (CertState.REVOKED, CertState.ON_HOLD) and (
            chain.revocation.revoked_at is None or chain.revocation.revoked_at <= ts.gen_time
        )
        trusted = chain.trusted and not chain.expired and not chain.not_yet_valid and not bad
        if not trusted:
            problem = "the TSA does not chain to a trust root, or was not valid then"
    if not (ts.intact and ts.valid):
        warnings.append(finding("timestamp_broken", detail=problem))
    elif not trusted:
        warnings.append(finding("timestamp_untrusted", detail=problem))
    info = TimestampInfo(ts.gen_time, tsa_name, ts.intact, ts.valid, trusted, problem=problem)
    return (ts.gen_time if trusted else None), info


def _revocation(
    state: CertState,
    revoked_at: dt.datetime | None,
    poe: dt.datetime | None,
    trusted: bool,
    subs: list[SubIndication],
    reasons: list[Finding],
    warnings: list[Finding],
) -> None:
    if state in (CertState.REVOKED, CertState.ON_HOLD):
        when = revoked_at or dt.datetime.min.replace(tzinfo=dt.UTC)
        if poe is not None and when > poe:
            warnings.append(finding("revoked_after_signing", when=_t(when)))
        elif state is CertState.ON_HOLD:
            subs.append(SubIndication.TRY_LATER)
            reasons.append(finding("suspended", when=_t(when)))
        elif poe is not None:
            subs.append(SubIndication.REVOKED)
            reasons.append(finding("revoked", when=_t(when)))
        else:
            subs.append(SubIndication.REVOKED_NO_POE)
            reasons.append(finding("revoked_no_poe", when=_t(when)))
    elif state is CertState.UNKNOWN and trusted:
        subs.append(SubIndication.TRY_LATER)
        reasons.append(finding("no_revocation_info"))
