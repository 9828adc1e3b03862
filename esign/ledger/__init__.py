"""The usage register (用印登记台账) as an append-only Merkle transparency log.

Entries (:mod:`~esign.ledger.entry`) are hashed into an RFC 6962 tree (:mod:`~esign.ledger.merkle`),
stored by :class:`~esign.ledger.store.SqlLedger`, covered by signed C2SP checkpoints
(:mod:`~esign.ledger.checkpoint`, :mod:`~esign.ledger.policy`), proven per entry
(:mod:`~esign.ledger.proofs`) and audited end to end (:mod:`~esign.ledger.audit`). Outside the county,
witnesses cosign the checkpoints (:mod:`~esign.ledger.witness`, :mod:`~esign.ledger.cosign`,
:mod:`~esign.ledger.cosigning`), mirrors keep its tlog-tiles (:mod:`~esign.ledger.tiles`,
:mod:`~esign.ledger.mirror`) and a kept checkpoint is checked against the log (:mod:`~esign.ledger.kept`).

The edges call the use cases (:mod:`~esign.ledger.usecases`), each in one transaction of the deployment's.
What only some commands need (witnessing, mirroring, kept checkpoints, the CSV/XLSX export) is loaded on
first use, so that importing the register does not load HTTP clients, key stores or spreadsheets.
"""

from typing import TYPE_CHECKING

from esign.lazy import lazy_face
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
from esign.ledger.audit import AuditCheck, AuditProblem, AuditReport, verify_log
from esign.ledger.checkpoint import (
    Checkpoint,
    Ed25519NoteSigner,
    NoteVerifier,
    SignedNote,
    open_checkpoint,
    sign_checkpoint,
)
from esign.ledger.cosign import Cosignature, CosignatureVerifier, Cosigner, cosigned_by
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
from esign.ledger.tiles import TileRef, parse_tile_path
from esign.ledger.usecases import (
    CheckpointNow,
    CosignedCheckpoint,
    audit_ledger,
    checkpoint_now,
    consistency_between,
    entry_proof,
    latest_checkpoint,
    tile_bytes,
)
from esign.ledger.witness import Witness, WitnessStore

if TYPE_CHECKING:
    from esign.ledger.cosigning import CosignOutcome, WitnessConfig, collect_cosignatures, http_transport
    from esign.ledger.export import REGISTER_COLUMNS, register_csv, register_values, register_xlsx
    from esign.ledger.kept import KeptCheckpoint, load_kept
    from esign.ledger.mirror import MirrorResult, mirror_log
    from esign.ledger.witness_home import init_witness, open_witness

#: Where each name loaded on first use lives.
_LAZY = {
    "cosigning": ("CosignOutcome", "WitnessConfig", "collect_cosignatures", "http_transport"),
    "export": ("REGISTER_COLUMNS", "register_csv", "register_values", "register_xlsx"),
    "kept": ("KeptCheckpoint", "load_kept"),
    "mirror": ("MirrorResult", "mirror_log"),
    "witness_home": ("init_witness", "open_witness"),
}


__all__ = [
    "REGISTER_COLUMNS",
    "AppendReceipt",
    "AuditCheck",
    "AuditProblem",
    "AuditReport",
    "Checkpoint",
    "CheckpointError",
    "CheckpointNow",
    "CheckpointPolicy",
    "CosignOutcome",
    "Cosignature",
    "CosignatureVerifier",
    "CosignedCheckpoint",
    "Cosigner",
    "DocumentType",
    "Ed25519NoteSigner",
    "EntryProof",
    "InvalidEntryError",
    "InvalidProofError",
    "KeptCheckpoint",
    "Ledger",
    "LedgerEntry",
    "LedgerIntegrityError",
    "MemoryLedger",
    "MirrorResult",
    "NoteVerifier",
    "RegisterPage",
    "RegisterQuery",
    "RegisterRow",
    "SignedNote",
    "SqlLedger",
    "StoredCheckpoint",
    "StoredEntry",
    "TileRef",
    "UsageRecorder",
    "Witness",
    "WitnessConfig",
    "WitnessRefusal",
    "WitnessStore",
    "append",
    "audit_ledger",
    "checkpoint_due",
    "checkpoint_now",
    "collect_cosignatures",
    "consistency_between",
    "cosigned_by",
    "entry_proof",
    "http_transport",
    "init_witness",
    "latest_checkpoint",
    "load_kept",
    "make_checkpoint",
    "maybe_checkpoint",
    "mirror_log",
    "new_entry_id",
    "open_checkpoint",
    "open_witness",
    "parse_tile_path",
    "prove_consistency",
    "prove_entry",
    "register_csv",
    "register_values",
    "register_xlsx",
    "sign_checkpoint",
    "tile_bytes",
    "verify_log",
]

__getattr__, __dir__ = lazy_face(__name__, __all__, _LAZY)
