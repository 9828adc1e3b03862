"""The usage register (用印登记台账) as an append-only Merkle transparency log.

Entries (:mod:`~esign.ledger.entry`) are hashed into an RFC 6962 tree (:mod:`~esign.ledger.merkle`),
stored by :class:`~esign.ledger.store.SqlLedger`, covered by signed C2SP checkpoints
(:mod:`~esign.ledger.checkpoint`, :mod:`~esign.ledger.policy`), proven per entry
(:mod:`~esign.ledger.proofs`) and audited end to end (:mod:`~esign.ledger.audit`). Outside the county,
witnesses cosign the checkpoints (:mod:`~esign.ledger.witness`, :mod:`~esign.ledger.cosign`,
:mod:`~esign.ledger.cosigning`), mirrors keep its tlog-tiles (:mod:`~esign.ledger.tiles`,
:mod:`~esign.ledger.mirror`) and a kept checkpoint is checked against the log (:mod:`~esign.ledger.kept`).
"""

from esign.ledger.api import (
    AppendReceipt,
    Ledger,
    RegisterPage,
    RegisterQuery,
    RegisterRow,
    StoredCheckpoint,
    StoredEntry,
    UsageRecorder,
)
from esign.ledger.audit import AuditProblem, AuditReport, verify_log
from esign.ledger.checkpoint import (
    Checkpoint,
    Ed25519NoteSigner,
    NoteVerifier,
    SignedNote,
    open_checkpoint,
    sign_checkpoint,
)
from esign.ledger.cosign import Cosignature, CosignatureVerifier, Cosigner
from esign.ledger.entry import DocumentType, LedgerEntry, new_entry_id
from esign.ledger.errors import (
    CheckpointError,
    InvalidEntryError,
    InvalidProofError,
    LedgerIntegrityError,
    WitnessRefusal,
)
from esign.ledger.memory import MemoryLedger
from esign.ledger.policy import CheckpointPolicy, checkpoint_due, make_checkpoint, maybe_checkpoint
from esign.ledger.proofs import EntryProof, prove_consistency, prove_entry
from esign.ledger.store import SqlLedger, append
from esign.ledger.witness import Witness, WitnessStore

__all__ = [
    "AppendReceipt",
    "AuditProblem",
    "AuditReport",
    "Checkpoint",
    "CheckpointError",
    "CheckpointPolicy",
    "Cosignature",
    "CosignatureVerifier",
    "Cosigner",
    "DocumentType",
    "Ed25519NoteSigner",
    "EntryProof",
    "InvalidEntryError",
    "InvalidProofError",
    "Ledger",
    "LedgerEntry",
    "LedgerIntegrityError",
    "MemoryLedger",
    "NoteVerifier",
    "RegisterPage",
    "RegisterQuery",
    "RegisterRow",
    "SignedNote",
    "SqlLedger",
    "StoredCheckpoint",
    "StoredEntry",
    "UsageRecorder",
    "Witness",
    "WitnessRefusal",
    "WitnessStore",
    "append",
    "checkpoint_due",
    "make_checkpoint",
    "maybe_checkpoint",
    "new_entry_id",
    "open_checkpoint",
    "prove_consistency",
    "prove_entry",
    "sign_checkpoint",
    "verify_log",
]
