"""The stamp requests table: the request/approve flow, its idempotency key and its outcome."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from esign.db.base import Base, UTCDateTime
from esign.registry.models import AuthorityItem, Person, Seal, Township

__all__ = ["StampRequestRow"]


class StampRequestRow(Base):
    __tablename__ = "stamp_requests"
    __table_args__ = (UniqueConstraint("clerk_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128))
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"))
    seal_id: Mapped[int] = mapped_column(ForeignKey("seals.id"))
    authority_item_id: Mapped[int] = mapped_column(ForeignKey("authority_items.id"))
    clerk_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), default=None)
    document_type: Mapped[str] = mapped_column(String(32))
    document_title: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    placement: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(8))
    certify: Mapped[bool] = mapped_column(default=False)
    pages: Mapped[int] = mapped_column(Integer)
    input_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    entry_id: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    output_sha256: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    signed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)

    township: Mapped[Township] = relationship(lazy="joined")
    seal: Mapped[Seal] = relationship(lazy="joined")
    item: Mapped[AuthorityItem] = relationship(lazy="joined")
    clerk: Mapped[Person] = relationship(foreign_keys=[clerk_id], lazy="joined")
    approver: Mapped[Person | None] = relationship(foreign_keys=[approver_id], lazy="joined")
