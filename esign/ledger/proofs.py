"""Looking entries up with their proofs, and consistency proofs between checkpoints."""

from __future__ import annotations

from dataclasses import dataclass

from esign.ledger.api import Ledger, StoredCheckpoint, StoredEntry
from esign.ledger.checkpoint import Checkpoint, NoteVerifier, open_checkpoint
from esign.ledger.errors import InvalidProofError
from esign.ledger.merkle import consistency_proof, hash_leaf, inclusion_proof, verify_inclusion

__all__ = ["EntryProof", "prove_consistency", "prove_entry"]


@dataclass(frozen=True)
class EntryProof:
    """An entry, the latest checkpoint and the entry's inclusion proof against it."""

    stored: StoredEntry
    """The entry and its index."""
    checkpoint: StoredCheckpoint | None
    """The latest checkpoint; None if there is none yet."""
    proof: tuple[bytes, ...] | None
    """Inclusion proof against ``checkpoint``; None while no checkpoint covers the entry yet."""

    @property
    def pending(self) -> bool:
        """True while the entry is logged but not yet covered by a signed checkpoint."""
        return self.proof is None

    def verify(self, verifier: NoteVerifier) -> Checkpoint:
        """Check the checkpoint signature and the inclusion proof; returns the verified checkpoint.

        Verifies only what this object carries: the entry bytes hash to the leaf, the leaf is in
        the signed tree. Raises :class:`InvalidProofError` (or ``CheckpointError``); a pending
        entry fails, since nothing signed covers it yet.
        """
        if self.checkpoint is None or self.proof is None:
            raise InvalidProofError("该条目尚未被签名检查点覆盖", "the entry is not covered by a checkpoint yet")
        cp = open_checkpoint(self.checkpoint.note, verifier)
        leaf = hash_leaf(self.stored.entry.to_bytes())
        verify_inclusion(self.stored.index, cp.size, leaf, self.proof, cp.root_hash)
        return cp


def prove_entry(ledger: Ledger, entry_id: str) -> EntryProof:
    """Find an entry by id with its inclusion proof against the latest checkpoint.

    Raises :class:`esign.errors.NotFoundError` for an unknown id.
    """
    stored = ledger.entry_by_id(entry_id)
    cp = ledger.latest_checkpoint()
    if cp is None or stored.index >= cp.size:
        return EntryProof(stored, cp, None)
    return EntryProof(stored, cp, tuple(inclusion_proof(stored.index, cp.size, ledger.read_nodes)))


def prove_consistency(ledger: Ledger, old_size: int, new_size: int) -> tuple[bytes, ...]:
    """Consistency proof between two sizes of the log (``new_size`` at most the current size)."""
    size, _ = ledger.head()
    if not 0 <= old_size <= new_size <= size:
        raise InvalidProofError("日志大小不合法", f"need 0 <= {old_size} <= {new_size} <= {size}")
    return tuple(consistency_proof(old_size, new_size, ledger.read_nodes))
