"""The SQLAlchemy ledger: :class:`SqlLedger`, bound to the caller's session.

Appends are serialized by a lock on the single ``ledger_head`` row: ``SELECT ... FOR UPDATE`` on
PostgreSQL; on SQLite every esign transaction starts with ``BEGIN IMMEDIATE`` (see
:func:`esign.db.make_engine`), which already holds the database write lock. The head row carries
the size and the compact range, so an append reads one row and writes one entry, its leaf node,
the nodes it completes (on average one more) and the head. Nothing here commits: the entry lands
with the caller's transaction (a stamp and its register line commit together) or not at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import cast

from sqlalchemy import Table, and_, bindparam, func, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from esign.errors import ConflictError, NotFoundError
from esign.ledger.api import (
    AppendReceipt,
    RegisterPage,
    RegisterQuery,
    RegisterRow,
    StoredCheckpoint,
    StoredEntry,
)
from esign.ledger.entry import LedgerEntry
from esign.ledger.errors import LedgerIntegrityError
from esign.ledger.merkle import HASH_SIZE, NodeId, hash_children, hash_leaf, root_from_peaks
from esign.ledger.models import LedgerCheckpointRow, LedgerEntryRow, LedgerHeadRow, LedgerNodeRow

__all__ = ["HEAD_ID", "SqlLedger", "append"]

#: The id of the one head row.
HEAD_ID = 1
# Keep IN lists well under every backend's bound-parameter limit.
_CHUNK = 200


def _split_peaks(blob: bytes) -> list[bytes]:
    return [blob[i : i + HASH_SIZE] for i in range(0, len(blob), HASH_SIZE)]


def _ensure_head(session: Session) -> None:
    dialect = session.get_bind().dialect.name
    values = {"id": HEAD_ID, "size": 0, "peaks": b"", "updated_at": None}
    if dialect == "postgresql":
        session.execute(postgresql.insert(LedgerHeadRow).values(values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite.insert(LedgerHeadRow).values(values).on_conflict_do_nothing())
    else:  # pragma: no cover - esign supports the two backends above
        raise LedgerIntegrityError("不支持的数据库", f"unsupported database {dialect}")


_HEAD = cast(Table, LedgerHeadRow.__table__)
_ENTRIES = cast(Table, LedgerEntryRow.__table__)
_NODES = cast(Table, LedgerNodeRow.__table__)
_CHECKPOINTS = cast(Table, LedgerCheckpointRow.__table__)
# Prebuilt Core statements: an append is on the hot path of every stamp.
_SELECT_HEAD = select(_HEAD.c.size, _HEAD.c.peaks).where(_HEAD.c.id == HEAD_ID)
_SELECT_HEAD_LOCKED = _SELECT_HEAD.with_for_update()
_SELECT_DUPLICATE = select(_ENTRIES.c.idx).where(_ENTRIES.c.entry_id == bindparam("entry_id_"))
_INSERT_ENTRY = _ENTRIES.insert()
_INSERT_NODE = _NODES.insert()
_UPDATE_HEAD = (
    _HEAD.update()
    .where(_HEAD.c.id == HEAD_ID, _HEAD.c.size == bindparam("old_size"))
    .values(size=bindparam("new_size"), peaks=bindparam("new_peaks"), updated_at=bindparam("at_"))
)
# asked after every stamp by the checkpoint policy
_SELECT_LATEST_CHECKPOINT = (
    select(_CHECKPOINTS.c.size, _CHECKPOINTS.c.root_hash, _CHECKPOINTS.c.note, _CHECKPOINTS.c.created_at)
    .order_by(_CHECKPOINTS.c.size.desc())
    .limit(1)
)


def _read_head(session: Session, *, lock: bool) -> tuple[int, list[bytes]]:
    conn = session.connection()
    stmt = _SELECT_HEAD_LOCKED if lock else _SELECT_HEAD
    row = conn.execute(stmt).one_or_none()
    if row is None:
        if not lock:
            return 0, []
        _ensure_head(session)
        row = conn.execute(stmt).one()
    size, blob = int(row[0]), bytes(row[1])
    peaks = _split_peaks(blob)
    if len(peaks) != size.bit_count() or len(blob) % HASH_SIZE:
        raise LedgerIntegrityError("日志头记录损坏", "the ledger head row is inconsistent with its size")
    return size, peaks


def append(session: Session, entry: LedgerEntry, *, at: dt.datetime) -> AppendReceipt:
    """Append ``entry`` to the log inside ``session``'s transaction. Does not commit.

    Raises :class:`esign.errors.ConflictError` if the entry id is already in the log.
    """
    if at.tzinfo is None:
        raise ValueError("at must be an aware datetime")
    size, peaks = _read_head(session, lock=True)
    conn = session.connection()
    # Under the head lock no other append can race this check.
    if conn.execute(_SELECT_DUPLICATE, {"entry_id_": entry.entry_id}).first():
        raise ConflictError("该登记编号已存在", "an entry with this id is already in the log", code="ledger_duplicate")
    body = entry.to_bytes()
    leaf = hash_leaf(body)
    nodes = [{"level": 0, "idx": size, "hash": leaf}]
    level, i, h = 0, size, leaf
    while i & 1:
        h = hash_children(peaks.pop(), h)
        level, i = level + 1, i >> 1
        nodes.append({"level": level, "idx": i, "hash": h})
    peaks.append(h)
    conn.execute(
        _INSERT_ENTRY,
        {
            "idx": size,
            "entry_id": entry.entry_id,
            "leaf_hash": leaf,
            "body": body,
            "township_id": entry.township_id,
            "item_number": entry.item_number,
            "user_name": entry.user,
            "signed_at": entry.signed_at,
            "appended_at": at,
        },
    )
    conn.execute(_INSERT_NODE, nodes)
    moved = conn.execute(
        _UPDATE_HEAD, {"old_size": size, "new_size": size + 1, "new_peaks": b"".join(peaks), "at_": at}
    )
    if moved.rowcount != 1:
        raise LedgerIntegrityError("日志头被并发修改", "the ledger head changed under its lock")
    return AppendReceipt(size, entry.entry_id, leaf, size + 1, root_from_peaks(peaks))


def _stored(row: LedgerEntryRow) -> StoredEntry:
    body = bytes(row.body)
    if hash_leaf(body) != bytes(row.leaf_hash):
        raise LedgerIntegrityError("登记条目与其哈希不符", f"entry {row.idx} does not match its leaf hash")
    return StoredEntry(row.idx, LedgerEntry.from_bytes(body), bytes(row.leaf_hash), row.appended_at)


class SqlLedger:
    """The :class:`esign.ledger.api.Ledger` on a SQLAlchemy session (never commits)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def record(self, entry: LedgerEntry, *, at: dt.datetime) -> AppendReceipt:
        """Append ``entry`` (see :func:`append`)."""
        return append(self.session, entry, at=at)

    def head(self, *, lock: bool = False) -> tuple[int, bytes]:
        """Current size and root; ``lock`` blocks appends until the transaction ends."""
        size, peaks = _read_head(self.session, lock=lock)
        return size, root_from_peaks(peaks)

    def read_nodes(self, ids: Sequence[NodeId]) -> Mapping[NodeId, bytes]:
        """Stored node hashes; :class:`LedgerIntegrityError` if one is missing."""
        out: dict[NodeId, bytes] = {}
        wanted = list(dict.fromkeys(ids))
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            # OR of primary-key equalities: both backends answer it from the primary key index
            # (SQLite does not for a row-value IN list).
            rows = self.session.connection().execute(
                select(_NODES.c.level, _NODES.c.idx, _NODES.c.hash).where(
                    or_(*(and_(_NODES.c.level == lv, _NODES.c.idx == i) for lv, i in chunk))
                )
            )
            out.update({(lv, i): bytes(h) for lv, i, h in rows})
        missing = [n for n in wanted if n not in out]
        if missing:
            raise LedgerIntegrityError("缺少树节点", f"stored tree nodes are missing: {missing[:5]}")
        return out

    def entry_by_id(self, entry_id: str) -> StoredEntry:
        """The entry with ``entry_id``."""
        row = self.session.scalars(select(LedgerEntryRow).where(LedgerEntryRow.entry_id == entry_id)).first()
        if row is None:
            raise NotFoundError("未找到该用印登记", "no ledger entry with this id", code="ledger_entry_not_found")
        return _stored(row)

    def entry_at(self, index: int) -> StoredEntry:
        """The entry at ``index``."""
        row = self.session.get(LedgerEntryRow, index)
        if row is None:
            raise NotFoundError("未找到该用印登记", f"no ledger entry at {index}", code="ledger_entry_not_found")
        return _stored(row)

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        """The checkpoint with the largest size."""
        row = self.session.connection().execute(_SELECT_LATEST_CHECKPOINT).first()
        if row is None:
            return None
        size, root_hash, note, created_at = row
        return StoredCheckpoint(int(size), bytes(root_hash), note.encode(), created_at)

    def store_checkpoint(self, checkpoint: StoredCheckpoint) -> None:
        """Insert a checkpoint row."""
        self.session.execute(
            insert(LedgerCheckpointRow).values(
                size=checkpoint.size,
                root_hash=checkpoint.root_hash,
                note=checkpoint.note.decode(),
                created_at=checkpoint.created_at,
            )
        )

    def register(self, query: RegisterQuery) -> RegisterPage:
        """One page of a township's register, oldest first, decoded from the hashed bodies."""
        e = LedgerEntryRow
        conds = [e.township_id == query.township_id]
        if query.since is not None:
            conds.append(e.signed_at >= query.since)
        if query.until is not None:
            conds.append(e.signed_at < query.until)
        if query.item_number is not None:
            conds.append(e.item_number == query.item_number)
        if query.user is not None:
            conds.append(e.user_name == query.user)
        total = self.session.execute(select(func.count()).select_from(e).where(*conds)).scalar_one()
        rows = self.session.scalars(
            select(e).where(*conds).order_by(e.signed_at, e.idx).offset(query.offset).limit(query.limit)
        )
        return RegisterPage(tuple(RegisterRow.from_stored(_stored(r)) for r in rows), int(total))
