"""Errors of the ledger, all rooted in :class:`esign.errors.EsignError`."""

from __future__ import annotations

from typing import Any

from esign.errors import EsignError, InputError

__all__ = [
    "CheckpointError",
    "InvalidEntryError",
    "InvalidProofError",
    "LedgerIntegrityError",
    "WitnessRefusal",
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


class WitnessRefusal(EsignError):
    """A witness refuses to cosign a checkpoint; ``http_status`` is the tlog-witness status code.

    400 malformed request, 403 no valid signature by the log's key, 404 unknown log, 409 the old
    size is not the one the witness last cosigned (``data["size"]`` carries it), 422 the proof
    does not show the new checkpoint extends the old one (a fork).
    """

    default_code = "witness_refused"

    def __init__(self, status: int, message_zh: str, message_en: str, **data: Any) -> None:
        super().__init__(message_zh, message_en, code=f"witness_refused_{status}", **data)
        self.http_status = status
