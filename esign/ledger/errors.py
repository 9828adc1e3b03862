"""Errors of the ledger, all rooted in :class:`esign.errors.EsignError`."""

from __future__ import annotations

from esign.errors import EsignError, InputError

__all__ = [
    "CheckpointError",
    "InvalidEntryError",
    "InvalidProofError",
    "LedgerIntegrityError",
]


class InvalidEntryError(InputError):
    """A ledger entry is malformed (a field is missing, too long, or not canonical)."""

    default_code = "ledger_invalid_entry"


class InvalidProofError(InputError):
    """An inclusion or consistency proof does not verify."""

    default_code = "ledger_invalid_proof"


class CheckpointError(InputError):
    """A checkpoint or signed note is malformed, or its signature does not verify."""

    default_code = "ledger_invalid_checkpoint"


class LedgerIntegrityError(EsignError):
    """The stored log contradicts itself (tampering or a bug); nothing further is signed."""

    http_status = 500
    default_code = "ledger_integrity"
