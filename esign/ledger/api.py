"""The ledger's interfaces and result types.

:class:`UsageRecorder` is all that ``esign.stamp`` needs: it reports a seal use and gets a receipt.
:class:`Ledger` is the full store that proofs, checkpoints and register queries run on. Two real
implementations: :class:`esign.ledger.store.SqlLedger` (SQLAlchemy, bound to the caller's session
and transaction) and :class:`esign.ledger.memory.MemoryLedger` (in process, for tests).

There is no update or delete anywhere: the log only grows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from esign.ledger.entry import DocumentType, LedgerEntry
from esign.ledger.merkle import NodeId

__all__ = [
    "AppendReceipt",
    "Ledger",
    "RegisterPage",
    "RegisterQuery",
    "RegisterRow",
    "StoredCheckpoint",
    "StoredEntry",
    "UsageRecorder",
]


@dataclass(frozen=True)
class AppendReceipt:
    """What an append returns. Valid only once the caller's transaction commits."""

    index: int
    """Position of the entry in the log (0-based, contiguous)."""
    entry_id: str
    """The entry's random id."""
    leaf_hash: bytes
    """RFC 6962 leaf hash of the canonical entry."""
    tree_size: int
    """Log size right after this append (``index + 1``)."""
    root_hash: bytes
    """Root of the log at ``tree_size`` (not signed until a checkpoint covers it)."""


@dataclass(frozen=True)
class StoredEntry:
    """An entry as stored in the log."""

    index: int
    """Position in the log."""
    entry: LedgerEntry
    """The decoded entry (decoded from the hashed bytes, not from side columns)."""
    leaf_hash: bytes
    """RFC 6962 leaf hash of ``entry.to_bytes()``."""
    appended_at: dt.datetime
    """When the log accepted it (the ``at`` of the append), aware UTC."""


@dataclass(frozen=True)
class StoredCheckpoint:
    """A signed checkpoint as stored."""

    size: int
    """Number of entries it covers."""
    root_hash: bytes
    """Root of the first ``size`` entries."""
    note: bytes
    """The C2SP signed note (checkpoint body and signature lines)."""
    created_at: dt.datetime
    """When it was made (the ``at`` of its creation), aware UTC."""


@dataclass(frozen=True)
class RegisterQuery:
    """Filters for one township's register (用印登记台账)."""

    township_id: str
    """Township whose register is read."""
    since: dt.datetime | None = None
    """Only uses with ``signed_at >= since`` (aware)."""
    until: dt.datetime | None = None
    """Only uses with ``signed_at < until`` (aware)."""
    item_number: str | None = None
    """Only this catalog item."""
    user: str | None = None
    """Only this 使用人."""
    offset: int = 0
    """Rows to skip (paging)."""
    limit: int = 50
    """Rows per page (1 to 1000)."""

    def __post_init__(self) -> None:
        from esign.errors import InputError

        for name in ("since", "until"):
            v = getattr(self, name)
            if v is not None and v.tzinfo is None:
                raise InputError(f"{name} 必须带时区", f"{name} must be an aware datetime", field=name)
        if self.offset < 0 or not 1 <= self.limit <= 1000:
            raise InputError("分页参数不合法", "offset must be >= 0 and limit 1..1000", field="limit")


@dataclass(frozen=True)
class RegisterRow:
    """One line of the register, in the order of the paper 台账."""

    index: int
    """Position in the log."""
    entry_id: str
    """Entry id (for the QR-code link and the inclusion proof)."""
    signed_at: dt.datetime
    """Trusted signing time (日期), aware UTC."""
    reason: str
    """事由."""
    approver: str
    """批准人."""
    user: str
    """使用人."""
    count: int
    """使用数."""
    item_number: str
    """Catalog item number."""
    item_name: str
    """Catalog item name."""
    document_type: DocumentType
    """Kind of document."""
    document_title: str
    """Document title."""
    seal_id: str
    """Seal used."""

    @classmethod
    def from_stored(cls, stored: StoredEntry) -> RegisterRow:
        """The register line of a stored entry."""
        en = stored.entry
        return cls(
            index=stored.index,
            entry_id=en.entry_id,
            signed_at=en.signed_at,
            reason=en.reason,
            approver=en.approver,
            user=en.user,
            count=en.count,
            item_number=en.item_number,
            item_name=en.item_name,
            document_type=en.document_type,
            document_title=en.document_title,
            seal_id=en.seal_id,
        )


@dataclass(frozen=True)
class RegisterPage:
    """One page of register rows, oldest first, and the number of rows matching overall."""

    rows: tuple[RegisterRow, ...]
    """The rows of this page."""
    total: int
    """Rows matching the filters across all pages."""


class UsageRecorder(Protocol):
    """Where a seal use is reported (``esign.stamp`` depends on this only)."""

    def record(self, entry: LedgerEntry, *, at: dt.datetime) -> AppendReceipt:
        """Append ``entry``; part of the caller's transaction, never committed here."""
        ...


class Ledger(UsageRecorder, Protocol):
    """The append-only log store."""

    def head(self, *, lock: bool = False) -> tuple[int, bytes]:
        """Current ``(size, root)``. ``lock=True`` holds off appends until the transaction ends."""
        ...

    def read_nodes(self, ids: Sequence[NodeId]) -> Mapping[NodeId, bytes]:
        """Hashes of complete nodes (a :data:`esign.ledger.merkle.NodeReader`)."""
        ...

    def entry_by_id(self, entry_id: str) -> StoredEntry:
        """The entry with this id; :class:`esign.errors.NotFoundError` if none."""
        ...

    def entry_at(self, index: int) -> StoredEntry:
        """The entry at ``index``; :class:`esign.errors.NotFoundError` if none."""
        ...

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        """The checkpoint with the largest size, if any."""
        ...

    def store_checkpoint(self, checkpoint: StoredCheckpoint) -> None:
        """Store a checkpoint (callers use :func:`esign.ledger.policy.make_checkpoint`)."""
        ...

    def register(self, query: RegisterQuery) -> RegisterPage:
        """Register rows of one township."""
        ...
