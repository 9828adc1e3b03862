"""Tables of the registry: county, townships, catalogs, authority lists, seals, people, audit."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from esign.db.base import Base, UTCDateTime

__all__ = [
    "AuditEvent",
    "AuthorityItem",
    "CatalogItemRow",
    "County",
    "LegacySeal",
    "LoginFailure",
    "Person",
    "Seal",
    "SealData",
    "SealEvent",
    "Token",
    "Township",
    "WebSession",
]


class County(Base):
    __tablename__ = "counties"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    province: Mapped[str] = mapped_column(String(64))
    city: Mapped[str] = mapped_column(String(64))
    office: Mapped[str] = mapped_column(String(128))
    seal_title: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Township(Base):
    __tablename__ = "townships"
    __table_args__ = (UniqueConstraint("county_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("counties.id"))
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    region_code: Mapped[str] = mapped_column(String(12))
    address: Mapped[str] = mapped_column(String(255), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    county: Mapped[County] = relationship(lazy="joined")


class CatalogItemRow(Base):
    __tablename__ = "catalog_items"
    __table_args__ = (UniqueConstraint("catalog", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    catalog: Mapped[str] = mapped_column(String(64))
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(32))
    mode: Mapped[str] = mapped_column(String(32), default="")
    level: Mapped[str] = mapped_column(String(32), default="")
    department: Mapped[str] = mapped_column(String(128), default="")
    code: Mapped[str] = mapped_column(String(64), default="")


class AuthorityItem(Base):
    """One entry of a township's 职权清单: the seal may be used for this item."""

    __tablename__ = "authority_items"
    __table_args__ = (UniqueConstraint("township_id", "item_id"), UniqueConstraint("township_id", "number"))

    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("catalog_items.id"))
    number: Mapped[int] = mapped_column(Integer)

    item: Mapped[CatalogItemRow] = relationship(lazy="joined")


class Seal(Base):
    __tablename__ = "seals"

    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"))
    name: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    key_id: Mapped[str | None] = mapped_column(String(64), default=None)
    cert_serial: Mapped[str | None] = mapped_column(String(64), default=None)
    sm2_key_id: Mapped[str | None] = mapped_column(String(64), default=None)
    sm2_cert_serial: Mapped[str | None] = mapped_column(String(64), default=None)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("seals.id"), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    status_since: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    township: Mapped[Township] = relationship(lazy="joined")


class SealData(Base):
    """A seal's GB/T 38540 seal data (SES_Seal, the ``.esl`` file), made when its SM2 certificate is."""

    __tablename__ = "seal_data"

    seal_id: Mapped[int] = mapped_column(ForeignKey("seals.id"), primary_key=True, autoincrement=False)
    es_id: Mapped[str] = mapped_column(String(64), unique=True)
    sm2_cert_serial: Mapped[str] = mapped_column(String(64))
    der: Mapped[bytes] = mapped_column(LargeBinary)
    valid_start: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    valid_end: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    made_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class SealEvent(Base):
    """One lifecycle transition: who, when, why."""

    __tablename__ = "seal_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    seal_id: Mapped[int] = mapped_column(ForeignKey("seals.id"))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class LegacySeal(Base):
    """An old station seal (林业站, 水利站 …) and what happened to it."""

    __tablename__ = "legacy_seals"

    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"))
    name: Mapped[str] = mapped_column(String(128))
    disposition: Mapped[str] = mapped_column(String(8))
    approval_ref: Mapped[str] = mapped_column(String(128), default="")
    recorded_by: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"), default=None)
    department: Mapped[str] = mapped_column(String(128), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    township: Mapped[Township | None] = relationship(lazy="joined")


class Token(Base):
    """An API token; only its SHA-256 is stored."""

    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    label: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)

    person: Mapped[Person] = relationship(lazy="joined")


class AuditEvent(Base):
    """A state change or a refused attempt."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(128), default="")
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"), default=None)
    outcome: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[str] = mapped_column(Text, default="")


class WebSession(Base):
    """A browser signed in to the web pages; only the SHA-256 of its random id is stored."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)

    person: Mapped[Person] = relationship(lazy="joined")


class LoginFailure(Base):
    """One failed sign-in, counted per account (SHA-256 of the name typed) and per client address."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[bytes | None] = mapped_column(LargeBinary(32), index=True, default=None)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
