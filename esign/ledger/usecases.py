"""The register's use cases: what ``esign ledger`` and ``/api/v1/ledger`` (with ``/ledger``, the tiles)
call. Each opens its one transaction and returns frozen values.

``transaction`` is the deployment's factory (``dep.transaction``; the ledger does not know the
deployment). Only :func:`checkpoint_now` writes; everything else reads, and none of the reads
signs a checkpoint as a side effect.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from esign.errors import NotFoundError
from esign.ledger.api import StoredCheckpoint
from esign.ledger.audit import AuditCheck, AuditReport, verify_log
from esign.ledger.checkpoint import Ed25519NoteSigner, NoteVerifier
from esign.ledger.policy import make_checkpoint
from esign.ledger.proofs import EntryProof, prove_consistency, prove_entry
from esign.ledger.store import SqlLedger
from esign.ledger.tiles import TileRef, entry_bundle, read_tile

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from esign.db import Transactions
    from esign.ledger.audit import AuditProblem
    from esign.ledger.kept import KeptCheckpoint
    from esign.ledger.merkle import MemoryTree

__all__ = [
    "CheckpointNow",
    "CosignedCheckpoint",
    "audit_ledger",
    "checkpoint_now",
    "consistency_between",
    "entry_proof",
    "latest_checkpoint",
    "tile_bytes",
]


@dataclass(frozen=True)
class CheckpointNow:
    """What :func:`checkpoint_now` did."""

    made: bool
    """Whether a new checkpoint was signed (False when the latest one already covers the log)."""
    checkpoint: StoredCheckpoint | None
    """The newest checkpoint now; None only for an empty log that has never been checkpointed."""


@dataclass(frozen=True)
class CosignedCheckpoint:
    """The latest checkpoint with what the witnesses added to it."""

    checkpoint: StoredCheckpoint
    """The checkpoint as the county signed it."""
    note: bytes
    """Its signed note with every kept witness cosignature line appended (c2sp.org/tlog-cosignature)."""


def audit_ledger(
    transaction: Transactions,
    *,
    verifier: NoteVerifier,
    checks: Sequence[AuditCheck] = (),
    kept: Sequence[KeptCheckpoint] = (),
) -> AuditReport:
    """Recompute and audit the whole log in one read-only snapshot (:func:`esign.ledger.audit.verify_log`):
    its entries, tree, head and checkpoints, ``checks`` of the tables derived from it, and that it extends
    every checkpoint ``kept`` outside the county (:func:`esign.ledger.kept.load_kept`)."""
    with transaction() as session:
        return verify_log(session, verifier=verifier, checks=[*checks, *map(_extends, kept)])


def _extends(kept: KeptCheckpoint) -> AuditCheck:
    from esign.ledger.kept import check_kept

    def check(_session: Session, tree: MemoryTree) -> list[AuditProblem]:
        return check_kept(tree, kept)

    return check


def checkpoint_now(transaction: Transactions, *, signer: Ed25519NoteSigner, at: dt.datetime) -> CheckpointNow:
    """Sign a checkpoint of the whole log now, unless the latest one already covers it
    (:func:`esign.ledger.policy.make_checkpoint` with ``force``), and commit it."""
    with transaction() as session:
        ledger = SqlLedger(session)
        made = make_checkpoint(ledger, signer=signer, at=at, force=True)
        return CheckpointNow(made=made is not None, checkpoint=made or ledger.latest_checkpoint())


def latest_checkpoint(transaction: Transactions) -> CosignedCheckpoint:
    """The latest checkpoint and its cosigned note; ``no_checkpoint`` (404) while the log has none."""
    from esign.ledger.cosigning import cosigned_note

    with transaction() as session:
        latest = SqlLedger(session).latest_checkpoint()
        if latest is None:
            raise NotFoundError("台账尚无检查点。", "The register has no checkpoint yet.", code="no_checkpoint")
        return CosignedCheckpoint(latest, cosigned_note(session, latest.size) or latest.note)


def entry_proof(transaction: Transactions, entry_id: str) -> EntryProof:
    """Entry ``entry_id`` with its inclusion proof against the latest checkpoint (pending while none
    covers it); a :class:`~esign.errors.NotFoundError` for an unknown id. The proof is not verified here:
    :meth:`EntryProof.verify` does that with the published key."""
    with transaction() as session:
        return prove_entry(SqlLedger(session), entry_id)


def consistency_between(transaction: Transactions, old_size: int, new_size: int) -> tuple[bytes, ...]:
    """The consistency proof between two sizes of the log (``new_size`` at most the current size)."""
    with transaction() as session:
        return prove_consistency(SqlLedger(session), old_size, new_size)


def tile_bytes(transaction: Transactions, ref: TileRef) -> bytes:
    """A tlog-tiles hash tile, or an entry bundle (``ref.level`` None: the full hashed entries, which the
    caller must have authorized), of the log as it stands; an error for a tile beyond its size."""
    with transaction() as session:
        ledger = SqlLedger(session)
        size, _ = ledger.head()
        if ref.level is None:
            return entry_bundle(ref, size, lambda a, b: [ledger.entry_at(i).entry.to_bytes() for i in range(a, b)])
        return read_tile(ref, size, ledger.read_nodes)
