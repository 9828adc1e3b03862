"""The oversight package's one table: ``oversight_register``, an index of the usage register.

The ledger's own table (``ledger_entries``) is append-only and owned by :mod:`esign.ledger`; it has
one composite index (township, signing time). The reform office filters and pages the register of
the whole county by date, township, item, user, approver and document type, and the dashboard
groups it by month and item type. So this package keeps its own projection of the log: one row
per ledger entry, keyed by the entry's log index, with the fields to filter on, the Beijing-time
day and month, and the item's type and department as the catalog had them when the row was
projected. It is derived data: it can be dropped and rebuilt from the log at any time
(:func:`esign.oversight.register.sync_projection`), and the register lines shown to users are
always decoded from the hashed entry bodies, never from this table.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from esign.db.base import Base, UTCDateTime

__all__ = ["RegisterIndexRow"]


class RegisterIndexRow(Base):
    """One ledger entry as the oversight queries see it."""

    __tablename__ = "oversight_register"

    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    entry_id: Mapped[str] = mapped_column(String(64), unique=True)
    township_id: Mapped[int] = mapped_column(Integer)
    signed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    local_day: Mapped[str] = mapped_column(String(10))
    local_month: Mapped[str] = mapped_column(String(7))
    item_number: Mapped[str] = mapped_column(String(64))
    item_name: Mapped[str] = mapped_column(String(200))
    item_type: Mapped[str] = mapped_column(String(32))
    department: Mapped[str] = mapped_column(String(128))
    user_name: Mapped[str] = mapped_column(String(100))
    approver: Mapped[str] = mapped_column(String(100))
    document_type: Mapped[str] = mapped_column(String(32))
    count: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        # Every listing is ordered by (signed_at, idx); each filter that narrows a lot leads an index.
        Index("ix_oversight_register_signed", "signed_at", "idx"),
        Index("ix_oversight_register_township", "township_id", "signed_at", "idx"),
        Index("ix_oversight_register_user", "user_name", "signed_at", "idx"),
        Index("ix_oversight_register_department", "department", "signed_at", "idx"),
        Index("ix_oversight_register_month", "local_month", "township_id"),
    )
