"""Seals and their lifecycle: request, approve (key + certificate), activate, suspend, resume,
revoke (注销) and replace (变更). Every transition records who, when and why; the certificate's
revocation status changes in the same transaction as the seal's status.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from esign.errors import ConflictError, NotFoundError, StateError
from esign.registry.api import IssuedNationalSeal, IssuedSealKey, SealCertificateAuthority, SealIdentity
from esign.registry.lifecycle import SealAction, SealStatus, next_status
from esign.registry.models import Seal, SealData, SealEvent, Township
from esign.registry.townships import organisation_name, seal_full_name
from esign.text import REASON_LIMIT, as_id, bad_character, clean_text

__all__ = [
    "SealHistory",
    "add_national_seal",
    "change_seal",
    "find_seal",
    "list_seals",
    "request_seal",
    "seal_data",
    "seal_data_validity",
    "seal_history",
    "transition",
]

_OPEN = (SealStatus.REQUESTED, SealStatus.APPROVED, SealStatus.ACTIVE, SealStatus.SUSPENDED)


def request_seal(
    session: Session, township: Township, *, actor: str, reason: str, at: dt.datetime, title: str | None = None
) -> Seal:
    """Request the township's one seal. A township has at most one seal that is not revoked or replaced."""
    title = title or township.county.seal_title
    name = seal_full_name(township, title)
    reason = _require_reason(reason)
    existing = session.scalar(
        select(Seal).where(Seal.township_id == township.id, Seal.status.in_([s.value for s in _OPEN]))
    )
    if existing is not None:
        raise ConflictError(
            f"{township.name}已有一枚{SealStatus(existing.status).zh}的印章（{existing.code}），一个乡镇只能有一枚专用章。",
            f"{township.name} already has a seal ({existing.code}, {existing.status}); one seal per township.",
            code="seal_exists",
        )
    return _new_seal(session, township, name=name, title=title, actor=actor, reason=reason, at=at)


def _new_seal(
    session: Session, township: Township, *, name: str, title: str, actor: str, reason: str, at: dt.datetime
) -> Seal:
    seal = Seal(
        township_id=township.id,
        name=name,
        title=title,
        code=_next_code(session, township),
        status=SealStatus.REQUESTED.value,
        created_at=at,
        status_since=at,
    )
    session.add(seal)
    session.flush()
    session.add(SealEvent(seal_id=seal.id, from_status=None, to_status=seal.status, actor=actor, reason=reason, at=at))
    return seal


def _next_code(session: Session, township: Township) -> str:
    """The next seal code: the township's 9-digit region prefix and a 3-digit serial counted over every
    seal with that prefix (not per township), so two townships whose 12-digit region codes share their
    first 9 digits number their seals in one sequence instead of colliding."""
    prefix = township.region_code[:9]
    codes = session.scalars(select(Seal.code).where(Seal.code.startswith(prefix, autoescape=True)))
    serials = [int(c[len(prefix) :]) for c in codes if len(c) == len(prefix) + 3 and c[len(prefix) :].isdigit()]
    serial = max(serials, default=0) + 1
    if serial > 999:
        raise ConflictError(
            f"区划代码 {prefix} 下的印章编码已用完（999 枚）。",
            f"No seal code left under region prefix {prefix} (999 used).",
            code="seal_codes_exhausted",
        )
    return f"{prefix}{serial:03d}"


def _require_reason(reason: str) -> str:
    return clean_text(reason, field="reason", zh="事由", limit=REASON_LIMIT)


def identity_of(seal: Seal) -> SealIdentity:
    """What the seal's certificate names."""
    township = seal.township
    county = township.county
    return SealIdentity(
        seal_name=seal.name,
        organisation=organisation_name(township),
        uscc=township.uscc,
        province=county.province,
        locality=f"{county.city}{county.name}",
        code=seal.code,
        title=seal.title,
    )


def _keep_issued(session: Session, seal: Seal, issued: IssuedSealKey, at: dt.datetime) -> None:
    seal.key_id, seal.cert_serial = issued.key_id, issued.cert_serial
    if issued.national is not None:
        _keep_national(session, seal, issued.national, at)


def _keep_national(session: Session, seal: Seal, national: IssuedNationalSeal, at: dt.datetime) -> None:
    seal.sm2_key_id, seal.sm2_cert_serial = national.key_id, national.cert_serial
    if national.seal_data is None:
        return
    session.add(
        SealData(
            seal_id=seal.id,
            es_id=seal.code,
            sm2_cert_serial=national.cert_serial,
            der=national.seal_data,
            valid_start=national.valid_start,
            valid_end=national.valid_end,
            made_at=at,
        )
    )


def add_national_seal(session: Session, seal: Seal, *, at: dt.datetime, ca: SealCertificateAuthority) -> bool:
    """Give a seal issued before the SM2 PKI existed its SM2 certificate and seal data (or only the
    seal data, when it has an SM2 certificate without).

    A suspended seal's new certificate is put on hold at once. False (nothing done) when the seal
    has no ECDSA certificate yet, is revoked or replaced, already has both, or the authority has no
    SM2 PKI. The caller records the audit event.
    """
    status = SealStatus(seal.status)
    if seal.cert_serial is None or status not in _OPEN:
        return False
    if seal.sm2_cert_serial is not None:
        if session.get(SealData, seal.id) is not None or seal.sm2_key_id is None:
            return False
        data = ca.seal_data_for(
            session, identity_of(seal), key_id=seal.sm2_key_id, cert_serial=seal.sm2_cert_serial, at=at
        )
        if data is None or data.seal_data is None:
            return False
        _keep_national(session, seal, data, at)
        session.flush()
        return True
    national = ca.issue_national(session, identity_of(seal), key_id=f"seal-{seal.code}", at=at)
    if national is None:
        return False
    _keep_national(session, seal, national, at)
    if status is SealStatus.SUSPENDED:
        ca.hold(session, national.cert_serial, at=at)
    session.flush()
    return True


def seal_data_validity(session: Session, seal_ids: list[int]) -> dict[int, tuple[dt.datetime, dt.datetime]]:
    """(validStart, validEnd) of the seal data of each of ``seal_ids`` that has some (blobs not loaded)."""
    rows = session.execute(
        select(SealData.seal_id, SealData.valid_start, SealData.valid_end).where(SealData.seal_id.in_(seal_ids))
    )
    return {r.seal_id: (r.valid_start, r.valid_end) for r in rows}


def seal_data(session: Session, seal: Seal) -> SealData:
    """The seal's GB/T 38540 seal data; NotFoundError when it has none."""
    row = session.get(SealData, seal.id)
    if row is None:
        raise NotFoundError(
            f"印章“{seal.name}”尚无国密电子印章数据（SM2）。",
            f"Seal {seal.code} has no GB/T 38540 seal data (no SM2 certificate).",
            code="seal_data_not_found",
        )
    return row


def transition(
    session: Session,
    seal: Seal,
    action: SealAction,
    *,
    actor: str,
    reason: str,
    at: dt.datetime,
    ca: SealCertificateAuthority,
) -> Seal:
    """Apply ``action`` to ``seal``; returns the seal (for REPLACE, the new seal)."""
    reason = _require_reason(reason)
    current = SealStatus(seal.status)
    target = next_status(current, action)
    new_seal: Seal | None = None
    if action is SealAction.APPROVE:
        _keep_issued(session, seal, ca.issue(session, identity_of(seal), key_id=f"seal-{seal.code}", at=at), at)
    elif action is SealAction.SUSPEND:
        for serial in _serials(seal):
            ca.hold(session, serial, at=at)
    elif action is SealAction.RESUME:
        for serial in _serials(seal):
            ca.release(session, serial, at=at)
    elif action is SealAction.REVOKE:
        for serial in _serials(seal):
            ca.revoke(session, serial, reason="cessationOfOperation", at=at)
    elif action is SealAction.REPLACE:
        for serial in _serials(seal):
            ca.revoke(session, serial, reason="superseded", at=at)
        new_seal = _new_seal(
            session, seal.township, name=seal.name, title=seal.title, actor=actor, reason=reason, at=at
        )
        new_seal.replaces_id = seal.id
        issued = ca.issue(session, identity_of(new_seal), key_id=f"seal-{new_seal.code}", at=at)
        _keep_issued(session, new_seal, issued, at)
        for status in (SealStatus.APPROVED, SealStatus.ACTIVE):
            session.add(
                SealEvent(
                    seal_id=new_seal.id,
                    from_status=new_seal.status,
                    to_status=status.value,
                    actor=actor,
                    reason=f"变更自 {seal.code}：{reason}",
                    at=at,
                )
            )
            new_seal.status = status.value
        new_seal.status_since = at
    session.add(
        SealEvent(seal_id=seal.id, from_status=current.value, to_status=target.value, actor=actor, reason=reason, at=at)
    )
    seal.status = target.value
    seal.status_since = at
    session.flush()
    return new_seal or seal


def change_seal(
    session: Session,
    seal: Seal,
    action: SealAction,
    *,
    actor: str,
    reason: str,
    at: dt.datetime,
    ca: SealCertificateAuthority,
) -> Seal:
    """:func:`transition` plus its audit event: what every surface calls to act on a seal."""
    from esign.registry.audit import record_event

    result = transition(session, seal, action, actor=actor, reason=reason, at=at, ca=ca)
    record_event(
        session,
        actor=actor,
        action=f"seal.{action.value}",
        target=f"seal:{seal.code}",
        at=at,
        township_id=seal.township_id,
        detail=reason,
    )
    return result


def _serials(seal: Seal) -> list[str]:
    """The seal's certificates: ECDSA first, then SM2 when it has one."""
    if not seal.cert_serial:
        raise StateError("印章尚无证书。", "The seal has no certificate.", code="seal_without_certificate")
    return [seal.cert_serial, *([seal.sm2_cert_serial] if seal.sm2_cert_serial else [])]


# One query, prebuilt (every stamp names its seal): the seal with this code (codes are unique), else
# the current seal of the township with this name.
_BY_CODE = Seal.code == bindparam("ref_")
_SEAL_BY_CODE_OR_TOWNSHIP = (
    select(Seal)
    .join(Township, Seal.township_id == Township.id)
    .where(or_(_BY_CODE, Township.name == bindparam("ref_")))
    .order_by(_BY_CODE.desc(), Seal.status.in_([s.value for s in _OPEN]).desc(), Seal.id.desc())
    .limit(1)
)


def find_seal(session: Session, ref: str | int) -> Seal:
    """A seal by id, by seal code, or by township name (its current seal)."""
    seal: Seal | None = None
    text = str(ref).strip()
    if bad_character(text) is not None:  # no stored code or name holds a control character
        raise NotFoundError(f"印章“{ref}”不存在。", f"No seal {ref!r}.", code="seal_not_found")
    row_id = as_id(text)
    if row_id is not None and len(text) < 9:
        seal = session.get(Seal, row_id)
    if seal is None:
        seal = session.scalar(_SEAL_BY_CODE_OR_TOWNSHIP, {"ref_": text})
    if seal is None:
        raise NotFoundError(f"印章“{ref}”不存在。", f"No seal {ref!r}.", code="seal_not_found")
    return seal


def list_seals(session: Session, *, only_townships: set[int] | None = None) -> list[Seal]:
    """Seals, newest first within each township."""
    query = select(Seal).order_by(Seal.township_id, Seal.id.desc())
    if only_townships is not None:
        query = query.where(Seal.township_id.in_(only_townships))
    return list(session.scalars(query))


@dataclass(frozen=True)
class SealHistory:
    """One recorded transition."""

    #: Status before (None at the request).
    from_status: str | None
    #: Status after.
    to_status: str
    #: Who did it.
    actor: str
    #: Why.
    reason: str
    #: When (UTC).
    at: dt.datetime


def seal_history(session: Session, seal: Seal) -> list[SealHistory]:
    """The seal's transitions, oldest first."""
    rows = session.scalars(select(SealEvent).where(SealEvent.seal_id == seal.id).order_by(SealEvent.id))
    return [SealHistory(r.from_status, r.to_status, r.actor, r.reason, r.at) for r in rows]
