"""An in-process :class:`esign.ledger.api.Ledger` for tests of packages that record seal uses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from esign.errors import ConflictError, NotFoundError
from esign.ledger.api import AppendReceipt, RegisterPage, RegisterQuery, RegisterRow, StoredCheckpoint, StoredEntry
from esign.ledger.entry import LedgerEntry
from esign.ledger.merkle import MemoryTree, NodeId

__all__ = ["MemoryLedger"]


class MemoryLedger:
    """The same contract as :class:`esign.ledger.store.SqlLedger`, held in lists (no transactions)."""

    def __init__(self) -> None:
        self.tree = MemoryTree()
        self._entries: list[StoredEntry] = []
        self._by_id: dict[str, int] = {}
        self._checkpoints: list[StoredCheckpoint] = []

    def record(self, entry: LedgerEntry, *, at: dt.datetime) -> AppendReceipt:
        """Append ``entry``."""
        if at.tzinfo is None:
            raise ValueError("at must be an aware datetime")
        if entry.entry_id in self._by_id:
            raise ConflictError(
                "该登记编号已存在", "an entry with this id is already in the log", code="ledger_duplicate"
            )
        index = self.tree.append(entry.to_bytes())
        leaf = self.tree.levels[0][index]
        self._entries.append(StoredEntry(index, entry, leaf, at))
        self._by_id[entry.entry_id] = index
        return AppendReceipt(index, entry.entry_id, leaf, index + 1, self.tree.root())

    def head(self, *, lock: bool = False) -> tuple[int, bytes]:
        """Current size and root."""
        return self.tree.size, self.tree.root()

    def read_nodes(self, ids: Sequence[NodeId]) -> Mapping[NodeId, bytes]:
        """Node hashes."""
        return self.tree.read(ids)

    def entry_by_id(self, entry_id: str) -> StoredEntry:
        """The entry with ``entry_id``."""
        if entry_id not in self._by_id:
            raise NotFoundError("未找到该用印登记", "no ledger entry with this id", code="ledger_entry_not_found")
        return self._entries[self._by_id[entry_id]]

    def entry_at(self, index: int) -> StoredEntry:
        """The entry at ``index``."""
        if not 0 <= index < len(self._entries):
            raise NotFoundError("未找到该用印登记", f"no ledger entry at {index}", code="ledger_entry_not_found")
        return self._entries[index]

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        """The latest checkpoint."""
        return self._checkpoints[-1] if self._checkpoints else None

    def store_checkpoint(self, checkpoint: StoredCheckpoint) -> None:
        """Keep a checkpoint."""
        self._checkpoints.append(checkpoint)

    def register(self, query: RegisterQuery) -> RegisterPage:
        """Register rows of one township, oldest first."""
        rows = [
            s
            for s in self._entries
            if s.entry.township_id == query.township_id
            and (query.since is None or s.entry.signed_at >= query.since)
            and (query.until is None or s.entry.signed_at < query.until)
            and (query.item_number is None or s.entry.item_number == query.item_number)
            and (query.user is None or s.entry.user == query.user)
        ]
        rows.sort(key=lambda s: (s.entry.signed_at, s.index))
        page = rows[query.offset : query.offset + query.limit]
        return RegisterPage(tuple(RegisterRow.from_stored(s) for s in page), len(rows))
