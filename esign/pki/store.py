"""The PKI's tables and the functions that change them.

``pki_certificates`` records every certificate the county PKI issued and its revocation state;
``pki_state`` holds named counters (CRL number, revocation epoch, TSA serial and last genTime);
``pki_crls`` keeps the CRLs that were published. Every function takes a SQLAlchemy
:class:`~sqlalchemy.orm.Session` and leaves committing to the caller (one transaction per request).

Counters are incremented with one ``UPDATE ... RETURNING`` as the first statement touching their
row, so the row lock (PostgreSQL) or the database write lock (SQLite, ``BEGIN IMMEDIATE``)
serializes concurrent workers: values are unique and strictly increasing across processes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import BigInteger, LargeBinary, String, Text, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from esign.db.base import Base, UTCDateTime
from esign.errors import InputError, NotFoundError, StateError
from esign.pki._util import require_utc, serial_hex
from esign.pki.status import CertKind, CertState, CertStatus, RevocationReason

if TYPE_CHECKING:
    from esign.pki.ca import CountyPKI

__all__ = [
    "PkiCertificate",
    "PkiCrl",
    "PkiState",
    "StoredCrl",
    "hold",
    "latest_crl",
    "next_crl_number",
    "record_county_pki",
    "record_issued",
    "release_hold",
    "revocation_epoch",
    "revoke",
    "revoked_list",
    "save_crl",
    "status",
    "transfer_issuer",
    "tsa_next",
]

_CRL_NUMBER = "crl_number"
_EPOCH = "revocation_epoch"
_TSA = "tsa_serial"
_TICK = dt.timedelta(milliseconds=1)


class PkiCertificate(Base):
    """One certificate issued by the county PKI."""

    __tablename__ = "pki_certificates"

    serial: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    issuer_serial: Mapped[str] = mapped_column(String(40), index=True)
    subject: Mapped[str] = mapped_column(Text)
    not_before: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    not_after: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    der: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default=CertState.GOOD.value)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    def to_status(self) -> CertStatus:
        """The frozen view OCSP and CRLs consume."""
        return CertStatus(
            serial=int(self.serial, 16),
            kind=CertKind(self.kind),
            issuer_serial=int(self.issuer_serial, 16),
            state=CertState(self.status),
            not_after=self.not_after,
            revoked_at=self.revoked_at,
            reason=RevocationReason(self.reason) if self.reason else None,
        )


class PkiState(Base):
    """A named counter with an optional timestamp (singleton rows)."""

    __tablename__ = "pki_state"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PkiCrl(Base):
    """A published CRL."""

    __tablename__ = "pki_crls"

    number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    issuer_serial: Mapped[str] = mapped_column(String(40), index=True)
    epoch: Mapped[int] = mapped_column(BigInteger)
    this_update: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    next_update: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    der: Mapped[bytes] = mapped_column(LargeBinary)


def _key(serial: int | str) -> str:
    if isinstance(serial, str):
        try:
            serial = int(serial, 16)
        except ValueError:
            raise InputError("证书序列号格式不正确。", "Malformed certificate serial.", code="bad_serial") from None
    return serial_hex(serial)


def record_issued(
    session: Session, cert: x509.Certificate, *, kind: CertKind, issuer: x509.Certificate, at: dt.datetime
) -> CertStatus:
    """Record a freshly issued certificate as good. For the self-signed root pass ``issuer=cert``."""
    at = require_utc(at)
    row = PkiCertificate(
        serial=serial_hex(cert),
        kind=CertKind(kind).value,
        issuer_serial=serial_hex(issuer),
        subject=cert.subject.rfc4514_string(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        der=cert.public_bytes(Encoding.DER),
        status=CertState.GOOD.value,
        recorded_at=at,
    )
    session.add(row)
    session.flush()
    return row.to_status()


def transfer_issuer(session: Session, old: x509.Certificate, new: x509.Certificate) -> int:
    """Everything recorded under ``old`` (certificates, CRLs) now belongs to ``new``, the same CA
    re-issued (same name and key); returns how many certificates moved. The caller commits."""
    if old.subject != new.subject or old.public_key() != new.public_key():
        raise InputError("新旧签发CA证书不是同一CA。", "The two certificates are not the same CA.", code="not_same_ca")
    moved = session.execute(  # type: ignore[attr-defined]
        update(PkiCertificate)
        .where(PkiCertificate.issuer_serial == serial_hex(old))
        .values(issuer_serial=serial_hex(new))
        .execution_options(synchronize_session=False)
    ).rowcount
    session.execute(
        update(PkiCrl)
        .where(PkiCrl.issuer_serial == serial_hex(old))
        .values(issuer_serial=serial_hex(new))
        .execution_options(synchronize_session=False)
    )
    return int(moved or 0)


def record_county_pki(session: Session, pki: CountyPKI, *, at: dt.datetime) -> None:
    """Record the root, issuing, TSA and OCSP certificates of a newly created :class:`CountyPKI`."""
    record_issued(session, pki.root, kind=CertKind.ROOT, issuer=pki.root, at=at)
    record_issued(session, pki.issuing, kind=CertKind.ISSUING, issuer=pki.root, at=at)
    record_issued(session, pki.tsa, kind=CertKind.TSA, issuer=pki.issuing, at=at)
    record_issued(session, pki.ocsp, kind=CertKind.OCSP, issuer=pki.issuing, at=at)


def _row(session: Session, serial: int | str, *, lock: bool) -> PkiCertificate:
    stmt = select(PkiCertificate).where(PkiCertificate.serial == _key(serial))
    if lock:
        stmt = stmt.with_for_update()
    row = session.execute(stmt).scalar_one_or_none()
    if row is None:
        raise NotFoundError(
            "未找到该证书。",
            f"No certificate with serial {_key(serial)}.",
            code="cert_not_found",
            serial=_key(serial),
        )
    return row


def _transition(row: PkiCertificate, allowed: tuple[CertState, ...], action_zh: str, action: str) -> None:
    if CertState(row.status) not in allowed:
        raise StateError(
            f"证书当前状态为 {row.status}，不能{action_zh}。",
            f"Cannot {action} a certificate that is {row.status}.",
            code="bad_cert_state",
            serial=row.serial,
            state=row.status,
        )


def revoke(session: Session, serial: int | str, reason: RevocationReason, *, at: dt.datetime) -> CertStatus:
    """Revoke permanently (a good or held certificate). Use :func:`hold` for a suspension."""
    at = require_utc(at)
    reason = RevocationReason.parse(reason)
    if reason in (RevocationReason.CERTIFICATE_HOLD, RevocationReason.REMOVE_FROM_CRL):
        raise InputError(
            "暂停请使用 hold，解除暂停请使用 release_hold。",
            f"{reason.value} is not a revocation reason: use hold() / release_hold().",
            code="bad_reason",
            field="reason",
        )
    row = _row(session, serial, lock=True)
    _transition(row, (CertState.GOOD, CertState.ON_HOLD), "吊销", "revoke")
    row.status, row.revoked_at, row.reason = CertState.REVOKED.value, at, reason.value
    _bump(session, _EPOCH)
    session.flush()
    return row.to_status()


def hold(session: Session, serial: int | str, *, at: dt.datetime) -> CertStatus:
    """Suspend a good certificate (certificateHold); :func:`release_hold` undoes it."""
    at = require_utc(at)
    row = _row(session, serial, lock=True)
    _transition(row, (CertState.GOOD,), "暂停", "hold")
    row.status, row.revoked_at = CertState.ON_HOLD.value, at
    row.reason = RevocationReason.CERTIFICATE_HOLD.value
    _bump(session, _EPOCH)
    session.flush()
    return row.to_status()


def release_hold(session: Session, serial: int | str, *, at: dt.datetime) -> CertStatus:
    """Release a hold: the certificate is good again and leaves the next CRL (removeFromCRL)."""
    require_utc(at)
    row = _row(session, serial, lock=True)
    _transition(row, (CertState.ON_HOLD,), "解除暂停", "release")
    row.status, row.revoked_at, row.reason = CertState.GOOD.value, None, None
    _bump(session, _EPOCH)
    session.flush()
    return row.to_status()


def status(session: Session, serial: int | str) -> CertStatus | None:
    """The recorded status, or None if the PKI never issued ``serial``."""
    row = session.get(PkiCertificate, _key(serial))
    return None if row is None else row.to_status()


def revoked_list(session: Session, issuer: x509.Certificate) -> list[CertStatus]:
    """Revoked and held certificates issued by ``issuer``, oldest revocation first (for a CRL)."""
    rows = session.execute(
        select(PkiCertificate)
        .where(PkiCertificate.issuer_serial == serial_hex(issuer))
        .where(PkiCertificate.status != CertState.GOOD.value)
        .order_by(PkiCertificate.revoked_at, PkiCertificate.serial)
    ).scalars()
    return [r.to_status() for r in rows]


# Prebuilt: every stamp takes a time-stamp serial and reads the revocation epoch.
_BUMP = (
    update(PkiState)
    .where(PkiState.name == bindparam("name_"))
    .values(value=PkiState.value + 1)
    .returning(PkiState.value, PkiState.at)
    .execution_options(synchronize_session=False)
)
_SET_TSA_TIME = (
    update(PkiState)
    .where(PkiState.name == _TSA)
    .values(at=bindparam("at_"))
    .execution_options(synchronize_session=False)
)
_EPOCH_VALUE = select(PkiState.value).where(PkiState.name == _EPOCH)


def _bump(session: Session, name: str) -> tuple[int, dt.datetime | None]:
    params = {"name_": name}
    row = session.execute(_BUMP, params).one_or_none()
    if row is None:
        # First use: create the row. A concurrent creator makes our insert fail; either way the
        # row exists afterwards and the retried UPDATE takes its lock.
        try:
            with session.begin_nested():
                session.add(PkiState(name=name, value=0, at=None))
        except IntegrityError:
            pass
        row = session.execute(_BUMP, params).one()
    return int(row[0]), row[1]


def next_crl_number(session: Session) -> int:
    """The next CRL number (1, 2, ...), unique across workers."""
    return _bump(session, _CRL_NUMBER)[0]


def revocation_epoch(session: Session) -> int:
    """A counter bumped by every revoke, hold and release; 0 before the first.

    Caches of revocation answers key on it: a changed epoch means a possibly changed answer.
    """
    value = session.execute(_EPOCH_VALUE).scalar_one_or_none()
    return int(value or 0)


def tsa_next(session: Session, at: dt.datetime) -> tuple[int, dt.datetime]:
    """The next time-stamp serial and genTime: ``genTime = max(at, previous genTime + 1 ms)``.

    Serials are unique and genTimes strictly increasing across workers, even when clocks differ
    slightly; the caller commits.
    """
    at = require_utc(at)
    serial, last = _bump(session, _TSA)
    gen_time = at if last is None else max(at, last + _TICK)
    session.execute(_SET_TSA_TIME, {"at_": gen_time})
    return serial, gen_time


@dataclass(frozen=True)
class StoredCrl:
    """A published CRL as stored."""

    number: int
    """Its CRL number."""
    epoch: int
    """The revocation epoch it reflects (see :func:`revocation_epoch`)."""
    this_update: dt.datetime
    """thisUpdate (aware UTC)."""
    next_update: dt.datetime
    """nextUpdate (aware UTC)."""
    der: bytes
    """The signed CRL, DER."""


def save_crl(
    session: Session,
    *,
    issuer: x509.Certificate,
    number: int,
    epoch: int,
    this_update: dt.datetime,
    next_update: dt.datetime,
    der: bytes,
) -> None:
    """Keep a published CRL."""
    session.add(
        PkiCrl(
            number=number,
            issuer_serial=serial_hex(issuer),
            epoch=epoch,
            this_update=require_utc(this_update),
            next_update=require_utc(next_update),
            der=der,
        )
    )
    session.flush()


def latest_crl(session: Session, issuer: x509.Certificate) -> StoredCrl | None:
    """The highest-numbered stored CRL of ``issuer``, if any."""
    row = session.execute(
        select(PkiCrl).where(PkiCrl.issuer_serial == serial_hex(issuer)).order_by(PkiCrl.number.desc()).limit(1)
    ).scalar_one_or_none()
    if row is None:
        return None
    return StoredCrl(
        number=row.number, epoch=row.epoch, this_update=row.this_update, next_update=row.next_update, der=row.der
    )
