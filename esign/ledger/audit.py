"""Recompute the whole stored log and report where it disagrees with itself or its checkpoints.

:func:`verify_log` reads every entry in index order, re-hashes each canonical body, rebuilds the
tree in memory and compares: indices are contiguous from 0; each body is canonical, hashes to its
``leaf_hash`` and agrees with its side columns; every stored node (leaves included) equals the
recomputed one and none is missing or extra; the head row's size and compact range match; every
stored checkpoint verifies under the given key, matches its row and the recomputed root.

Attribution: each problem names the first entry index it implicates. A node that disagrees while
its children agree names the first leaf under it (the node row itself was edited). A checkpoint
whose root disagrees while no entry problem explains it names the size of the newest earlier
checkpoint that still matches: the entries from there on can no longer be proven.
``first_bad_index`` is the smallest index named.

Memory grows linearly with the log (about 150 MB per million entries). On PostgreSQL the audit
runs in a REPEATABLE READ snapshot when it starts the transaction itself; on SQLite the esign
engine's ``BEGIN IMMEDIATE`` holds appends off while it runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from esign.ledger.checkpoint import NoteVerifier, open_checkpoint
from esign.ledger.entry import LedgerEntry
from esign.ledger.errors import CheckpointError, InvalidEntryError
from esign.ledger.merkle import EMPTY_ROOT, MemoryTree, hash_leaf, span_node_ids
from esign.ledger.models import LedgerCheckpointRow, LedgerEntryRow, LedgerHeadRow, LedgerNodeRow
from esign.ledger.store import HEAD_ID

__all__ = ["AuditCheck", "AuditProblem", "AuditReport", "verify_log"]

_BATCH = 2000


@dataclass(frozen=True)
class AuditProblem:
    """One disagreement found by the audit."""

    index: int | None
    """First entry index implicated; None for a defect of a checkpoint row that names no entry."""
    kind: str
    """``missing``, ``leaf_hash``, ``body``, ``column``, ``node``, ``node_missing``, ``node_extra``,
    ``head``, ``checkpoint_signature``, ``checkpoint_row``, ``checkpoint_size``, ``checkpoint_root``;
    against a kept checkpoint ``kept_leaf``, ``kept_missing``, ``kept_root``; for a derived table
    ``derived_missing``, ``derived_extra``, ``derived_differs``."""
    detail: str
    """Human-readable explanation (English)."""


@dataclass(frozen=True)
class AuditReport:
    """Result of :func:`verify_log`. ``ok`` means every check passed."""

    ok: bool
    """No problem found."""
    size: int
    """Entries found."""
    head_size: int
    """Size recorded in the head row."""
    root_hash: bytes
    """Root recomputed from the entry bodies found."""
    checkpoints_checked: int
    """Stored checkpoints examined."""
    latest_checkpoint_size: int | None
    """Size of the newest stored checkpoint, if any."""
    first_bad_index: int | None
    """Smallest entry index named by a problem (None if none names one)."""
    problems: tuple[AuditProblem, ...]
    """Problems found, ordered by index (at most ``max_problems``)."""
    truncated: bool
    """More problems were found than are listed."""


class _Problems:
    def __init__(self) -> None:
        self.items: list[AuditProblem] = []
        self._aggregate: list[tuple[int, int, str, str]] = []

    def add(self, index: int | None, kind: str, detail: str) -> None:
        self.items.append(AuditProblem(index, kind, detail))

    def add_aggregate(self, start: int, end: int, kind: str, detail: str) -> None:
        """A hash over entries ``[start, end)`` disagrees; resolved by :meth:`resolve`."""
        self._aggregate.append((start, end, kind, detail))

    def resolve(self) -> list[AuditProblem]:
        # An aggregate hash that disagrees is explained by the first specific problem inside its
        # range, if any; otherwise it can only name the start of the range.
        out = list(self.items)
        for start, end, kind, detail in self._aggregate:
            inside = [p.index for p in self.items if p.index is not None and start <= p.index < end]
            out.append(AuditProblem(min(inside) if inside else start, kind, detail))
        return out


def _check_entries(session: Session, out: _Problems) -> MemoryTree:
    tree = MemoryTree()
    e = LedgerEntryRow
    stmt = select(
        e.idx, e.entry_id, e.leaf_hash, e.body, e.township_id, e.item_number, e.user_name, e.signed_at
    ).order_by(e.idx)
    expected = 0
    for idx, entry_id, leaf_hash, body, township_id, item_number, user_name, signed_at in session.execute(
        stmt.execution_options(yield_per=_BATCH)
    ):
        if idx != expected:
            out.add(expected, "missing", f"no entry at index {expected}; the next one found is {idx}")
            expected = idx
        body = bytes(body)
        leaf = hash_leaf(body)
        if leaf != bytes(leaf_hash):
            out.add(idx, "leaf_hash", "the body does not hash to the stored leaf hash")
        try:
            entry = LedgerEntry.from_bytes(body)
        except InvalidEntryError as exc:
            out.add(idx, "body", f"the body is not a canonical entry: {exc.message_en}")
        else:
            cols = {
                "entry_id": (entry_id, entry.entry_id),
                "township_id": (township_id, entry.township_id),
                "item_number": (item_number, entry.item_number),
                "user_name": (user_name, entry.user),
                "signed_at": (signed_at, entry.signed_at),
            }
            wrong = [k for k, (col, val) in cols.items() if col != val]
            if wrong:
                out.add(idx, "column", f"columns disagree with the hashed body: {', '.join(wrong)}")
        tree.append_hash(leaf)
        expected += 1
    return tree


def _check_nodes(session: Session, tree: MemoryTree, out: _Problems) -> None:
    n = LedgerNodeRow
    stmt = select(n.level, n.idx, n.hash).order_by(n.level, n.idx).execution_options(yield_per=_BATCH)
    mismatched: set[tuple[int, int]] = set()
    missing: list[tuple[int, int]] = []
    next_idx: dict[int, int] = {}
    for level, idx, h in session.execute(stmt):
        want = tree.levels[level] if 0 <= level < len(tree.levels) else []
        start = next_idx.get(level, 0)
        for gap in range(start, min(idx, len(want))):
            missing.append((level, gap))
        next_idx[level] = idx + 1
        if idx >= len(want):
            detail = f"node ({level}, {idx}) covers entries that do not exist"
            out.add(max(idx << level, tree.size), "node_extra", detail)
        elif bytes(h) != want[idx]:
            mismatched.add((level, idx))
    for level, want in enumerate(tree.levels):
        missing.extend((level, i) for i in range(next_idx.get(level, 0), len(want)))
    for level, idx in missing:
        out.add(idx << level, "node_missing", f"node ({level}, {idx}) is not stored")
    for level, idx in sorted(mismatched):
        # Report only the lowest disagreeing nodes: a parent of a bad child is explained by it.
        if level == 0 or not {(level - 1, 2 * idx), (level - 1, 2 * idx + 1)} & mismatched:
            what = "leaf" if level == 0 else "subtree"
            out.add(idx << level, "node", f"stored {what} hash ({level}, {idx}) differs from the recomputed one")


def _check_head(session: Session, tree: MemoryTree, out: _Problems) -> int:
    row = session.execute(
        select(LedgerHeadRow.size, LedgerHeadRow.peaks).where(LedgerHeadRow.id == HEAD_ID)
    ).one_or_none()
    size, blob = (0, b"") if row is None else (int(row[0]), bytes(row[1]))
    if size != tree.size:
        out.add(min(size, tree.size), "head", f"the head records {size} entries but {tree.size} exist")
        return size
    ids = span_node_ids(0, size)
    stored = [blob[i : i + 32] for i in range(0, len(blob), 32)]
    if len(stored) != len(ids) or len(blob) % 32:
        out.add(0 if not ids else ids[0][1] << ids[0][0], "head", "the head's compact range has the wrong length")
        return size
    for (level, idx), h in zip(ids, stored, strict=True):
        if h != tree.levels[level][idx]:
            detail = f"the head's compact range differs at node ({level}, {idx})"
            out.add_aggregate(idx << level, (idx + 1) << level, "head", detail)
            break
    return size


def _check_checkpoints(
    session: Session, tree: MemoryTree, verifier: NoteVerifier, out: _Problems
) -> tuple[int, int | None]:
    count, latest, good_size = 0, None, 0
    for row in session.scalars(select(LedgerCheckpointRow).order_by(LedgerCheckpointRow.size)):
        count, latest = count + 1, row.size
        try:
            cp = open_checkpoint(row.note.encode(), verifier)
        except CheckpointError as exc:
            out.add(None, "checkpoint_signature", f"checkpoint at size {row.size}: {exc.message_en}")
            continue
        if (cp.size, cp.root_hash) != (row.size, bytes(row.root_hash)):
            out.add(None, "checkpoint_row", f"checkpoint row {row.size} differs from its signed note")
        if cp.size > tree.size:
            out.add(tree.size, "checkpoint_size", f"a checkpoint covers {cp.size} entries but {tree.size} exist")
            continue
        if tree.root(cp.size) != cp.root_hash:
            detail = (
                f"an entry in [{good_size}, {cp.size}) no longer matches the signed root; a checkpoint kept"
                " outside with its tiles (esign ledger verify --checkpoint DIR) names the exact entry"
            )
            out.add_aggregate(good_size, cp.size, "checkpoint_root", detail)
        else:
            good_size = cp.size
    return count, latest


#: A further check run on the recomputed tree: a checkpoint kept outside
#: (:func:`esign.ledger.kept.check_kept`) or a table derived from the log (``esign.oversight.audit``).
AuditCheck = Callable[[Session, MemoryTree], Sequence["AuditProblem"]]


def verify_log(
    session: Session, *, verifier: NoteVerifier, max_problems: int = 100, checks: Sequence[AuditCheck] = ()
) -> AuditReport:
    """Audit the stored log against itself and the checkpoints signed by ``verifier``'s key.

    ``checks`` run on the tree recomputed from the entry bodies, in the same snapshot; their
    problems are reported with the others. Reads only; run it in a session of its own.
    """
    if not session.in_transaction() and session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    out = _Problems()
    tree = _check_entries(session, out)
    _check_nodes(session, tree, out)
    head_size = _check_head(session, tree, out)
    count, latest = _check_checkpoints(session, tree, verifier, out)
    for check in checks:
        out.items.extend(check(session, tree))
    problems = sorted(out.resolve(), key=lambda p: (p.index is None, p.index or 0))
    indices = [p.index for p in problems if p.index is not None]
    return AuditReport(
        ok=not problems,
        size=tree.size,
        head_size=head_size,
        root_hash=tree.root() if tree.size else EMPTY_ROOT,
        checkpoints_checked=count,
        latest_checkpoint_size=latest,
        first_bad_index=min(indices) if indices else None,
        problems=tuple(problems[:max_problems]),
        truncated=len(problems) > max_problems,
    )
