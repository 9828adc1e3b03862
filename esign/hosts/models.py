"""Tables of the state several hosts share: stored documents in chunks, and public rate counts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from esign.db.base import Base, UTCDateTime

__all__ = ["DocumentChunkRow", "JobLeaseRow", "RateCountRow", "StoredDocumentRow"]


class StoredDocumentRow(Base):
    """A document kept in the database, by its SHA-256; its bytes are in :class:`DocumentChunkRow`."""

    __tablename__ = "stored_documents"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    chunks: Mapped[int] = mapped_column(Integer)
    stored_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class DocumentChunkRow(Base):
    """One chunk (at most :data:`esign.hosts.docstore.CHUNK` bytes) of a stored document."""

    __tablename__ = "document_chunks"

    sha256: Mapped[str] = mapped_column(
        String(64), ForeignKey("stored_documents.sha256", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class RateCountRow(Base):
    """Requests of one client address to the public routes in one minute, counted across hosts."""

    __tablename__ = "rate_counts"

    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    minute: Mapped[int] = mapped_column(BigInteger, primary_key=True, index=True)
    count: Mapped[int] = mapped_column(Integer)


class JobLeaseRow(Base):
    """Which host runs a singleton background job (the checkpoint timer) until when."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    until: Mapped[dt.datetime] = mapped_column(UTCDateTime)
