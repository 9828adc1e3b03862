"""Tables of the usage ledger. Rows are inserted, never updated or deleted (except the head row).

* ``ledger_entries``: one row per seal use; ``body`` is the canonical entry (the Merkle leaf data),
  the other columns are copies for lookups and register queries, checked against the body by the
  audit.
* ``ledger_nodes``: the hash of every complete subtree ``(level, idx)`` including the leaves
  (level 0), written as appends complete them, so that any proof costs one O(log n) read.
* ``ledger_head``: one row (id 1): the size and the compact range (peaks) of the tree. Appends
  lock it, which serializes them on every backend.
* ``ledger_checkpoints``: signed checkpoints, at most one per size.
* ``ledger_cosignatures``: witnesses' ``cosignature/v1`` lines on those checkpoints, one per
  (size, witness); the latest size per witness is what it last cosigned (the next request's old size).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from esign.db.base import Base, UTCDateTime

__all__ = ["LedgerCheckpointRow", "LedgerCosignatureRow", "LedgerEntryRow", "LedgerHeadRow", "LedgerNodeRow"]


class LedgerEntryRow(Base):
    """One seal use."""

    __tablename__ = "ledger_entries"

    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    entry_id: Mapped[str] = mapped_column(String(64), unique=True)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    township_id: Mapped[str] = mapped_column(String(64))
    item_number: Mapped[str] = mapped_column(String(64))
    user_name: Mapped[str] = mapped_column(String(100))
    signed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    appended_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_ledger_entries_township_signed_at", "township_id", "signed_at"),)


class LedgerNodeRow(Base):
    """The hash of leaves ``[idx << level, (idx + 1) << level)``."""

    __tablename__ = "ledger_nodes"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LedgerHeadRow(Base):
    """The current tree size and compact range; the lock that serializes appends."""

    __tablename__ = "ledger_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)
    peaks: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class LedgerCheckpointRow(Base):
    """A signed checkpoint (C2SP signed note)."""

    __tablename__ = "ledger_checkpoints"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class LedgerCosignatureRow(Base):
    """A witness's cosignature line on the checkpoint of ``size`` entries."""

    __tablename__ = "ledger_cosignatures"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    witness: Mapped[str] = mapped_column(String(200), primary_key=True)
    line: Mapped[str] = mapped_column(Text)
    timestamp: Mapped[int] = mapped_column(BigInteger)
