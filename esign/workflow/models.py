"""The stamp requests table (the request/approve flow, its idempotency key and its outcome) and the batches."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from esign.db.base import Base, UTCDateTime
from esign.registry.models import AuthorityItem, Person, Seal, Township

__all__ = ["StampBatchItemRow", "StampBatchRow", "StampRequestRow"]


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
    #: Error code of a request that ended ``failed`` (its Chinese message is the decision_reason).
    failure_code: Mapped[str] = mapped_column(String(64), default="", server_default="")
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


class StampBatchRow(Base):
    """A clerk's batch: several documents with the same seal, item, reason and placement, approved once."""

    __tablename__ = "stamp_batches"
    __table_args__ = (UniqueConstraint("clerk_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128))
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"), index=True)
    seal_id: Mapped[int] = mapped_column(ForeignKey("seals.id"))
    authority_item_id: Mapped[int] = mapped_column(ForeignKey("authority_items.id"))
    clerk_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), default=None)
    document_type: Mapped[str] = mapped_column(String(32))
    document_title: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(Text)
    placement: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(8))
    certify: Mapped[bool] = mapped_column(default=False)
    #: open (files still arriving) | pending | running | done | rejected
    status: Mapped[str] = mapped_column(String(16))
    #: Bumped by every approval; each run tries every still-pending document once.
    run: Mapped[int] = mapped_column(Integer, default=0)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)

    township: Mapped[Township] = relationship(lazy="joined")
    seal: Mapped[Seal] = relationship(lazy="joined")
    item: Mapped[AuthorityItem] = relationship(lazy="joined")
    clerk: Mapped[Person] = relationship(foreign_keys=[clerk_id], lazy="joined")
    approver: Mapped[Person | None] = relationship(foreign_keys=[approver_id], lazy="joined")


class StampBatchItemRow(Base):
    """One uploaded file of a batch: its stamp request, or why it was refused at upload.

    Its stamped/rejected state is the request's; the row keeps only what the request cannot:
    the file name, the last stamping error and the claim of the worker stamping it now.
    """

    __tablename__ = "stamp_batch_items"
    __table_args__ = (UniqueConstraint("batch_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("stamp_batches.id"))  # indexed by (batch_id, position)
    position: Mapped[int] = mapped_column(Integer)
    file_name: Mapped[str] = mapped_column(String(255))
    #: The stamp request the file became. Several batches may name one request: a clerk's file sent again
    #: under the same idempotency key (an operator's batch run again over the same files) is that request.
    request_id: Mapped[int | None] = mapped_column(ForeignKey("stamp_requests.id"), index=True, default=None)
    error_code: Mapped[str] = mapped_column(String(64), default="")
    error_zh: Mapped[str] = mapped_column(Text, default="")
    error_en: Mapped[str] = mapped_column(Text, default="")
    #: The batch run that last tried this document.
    last_run: Mapped[int] = mapped_column(Integer, default=0)
    #: Set while a worker stamps it; a claim past this time was abandoned (the worker died).
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
