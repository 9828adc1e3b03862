"""When and how checkpoints are made: never one that contradicts the previous one.

:func:`make_checkpoint` holds the append lock, recomputes the root from the stored nodes, checks it
against the head, verifies the previous checkpoint's signature and a consistency proof from it to
the new size, and only then signs and stores. A log that was edited after a checkpoint therefore
stops getting checkpoints (and says why) instead of signing a forked history. The service calls
:func:`maybe_checkpoint` after appends and from a timer (the T-seconds rule needs a clock tick);
the CLI calls :func:`make_checkpoint` with ``force=True`` on demand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from esign.ledger.api import Ledger, StoredCheckpoint
from esign.ledger.checkpoint import Checkpoint, Ed25519NoteSigner, open_checkpoint, sign_checkpoint
from esign.ledger.errors import CheckpointError, InvalidProofError, LedgerIntegrityError
from esign.ledger.merkle import consistency_proof, root_hash, verify_consistency

__all__ = ["CheckpointPolicy", "checkpoint_due", "make_checkpoint", "maybe_checkpoint"]


@dataclass(frozen=True)
class CheckpointPolicy:
    """How often the log is checkpointed."""

    max_entries: int = 100
    """A new checkpoint once this many entries are not yet covered."""
    max_age: dt.timedelta = dt.timedelta(minutes=5)
    """A new checkpoint once uncovered entries exist and the last checkpoint is this old."""

    def __post_init__(self) -> None:
        if self.max_entries < 1 or self.max_age <= dt.timedelta(0):
            raise ValueError("max_entries must be >= 1 and max_age positive")


def checkpoint_due(policy: CheckpointPolicy, latest: StoredCheckpoint | None, size: int, at: dt.datetime) -> bool:
    """Whether ``policy`` asks for a checkpoint of ``size`` entries at time ``at``."""
    uncovered = size - (latest.size if latest else 0)
    if uncovered <= 0:
        return False
    if latest is None or uncovered >= policy.max_entries:
        return True
    return at - latest.created_at >= policy.max_age


def _integrity(zh: str, en: str) -> LedgerIntegrityError:
    return LedgerIntegrityError(zh, en)


def make_checkpoint(
    ledger: Ledger,
    *,
    signer: Ed25519NoteSigner,
    at: dt.datetime,
    policy: CheckpointPolicy | None = None,
    force: bool = False,
) -> StoredCheckpoint | None:
    """Sign and store a checkpoint of the whole log, if ``force`` or ``policy`` says it is due.

    Returns the new checkpoint, or None when none was due or the latest one already covers the
    log. Raises :class:`LedgerIntegrityError` if the stored log is inconsistent with itself or with
    the previous checkpoint. Part of the caller's transaction; does not commit.
    """
    if at.tzinfo is None:
        raise ValueError("at must be an aware datetime")
    size, head_root = ledger.head(lock=True)
    root = root_hash(size, ledger.read_nodes)
    if root != head_root:
        raise _integrity("树节点与日志头不一致", "stored tree nodes do not match the ledger head")
    latest = ledger.latest_checkpoint()
    if latest is not None:
        try:
            prev = open_checkpoint(latest.note, signer.verifier)
        except CheckpointError as e:
            raise _integrity("上一个检查点签名无效", f"the latest checkpoint does not verify: {e.message_en}") from e
        if (prev.size, prev.root_hash) != (latest.size, latest.root_hash):
            raise _integrity("检查点记录与其签名内容不符", "checkpoint row differs from its signed note")
        if latest.size > size:
            raise _integrity("日志比上一个检查点短", "the log is shorter than its latest checkpoint")
        try:
            proof = consistency_proof(latest.size, size, ledger.read_nodes)
            verify_consistency(latest.size, size, latest.root_hash, root, proof)
        except InvalidProofError as e:
            raise _integrity(
                "日志与上一个检查点不一致，拒绝签署", "the log is not consistent with its latest checkpoint"
            ) from e
        if latest.size == size:
            return None
    due = force or (policy is not None and checkpoint_due(policy, latest, size, at))
    if not due:
        return None
    note = sign_checkpoint(Checkpoint(signer.name, size, root), signer)
    stored = StoredCheckpoint(size, root, note, at)
    ledger.store_checkpoint(stored)
    return stored


def maybe_checkpoint(
    ledger: Ledger, *, signer: Ed25519NoteSigner, policy: CheckpointPolicy, at: dt.datetime
) -> StoredCheckpoint | None:
    """Checkpoint if ``policy`` says it is due (cheap when it is not: no lock, no hashing)."""
    size, _ = ledger.head()
    if not checkpoint_due(policy, ledger.latest_checkpoint(), size, at):
        return None
    return make_checkpoint(ledger, signer=signer, at=at, policy=policy)
