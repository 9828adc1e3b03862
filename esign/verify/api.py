"""Hook points the online service plugs into the verifier: the seal registry and the usage ledger.

Offline (both None) the report's registry and ledger checks stay ``not_checked``. An
implementation answers from its own store; the verifier only compares the answers with what the
document proves. A hook that raises is reported as ``unavailable``; it never changes the
cryptographic verdict into a pass.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = ["LedgerAnswer", "LedgerLookup", "LedgerQuery", "RegistryAnswer", "RegistryLookup", "SealState"]


class SealState(enum.StrEnum):
    """A seal's state in the registry."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class RegistryAnswer:
    """The registry's view of one seal."""

    known: bool
    """The registry knows a seal with this certificate."""
    state_at_signing: SealState
    """State at the trusted signing time (``unknown`` when that time is not proven)."""
    state_now: SealState
    """State at validation time."""
    item_authorized: bool | None = None
    """Whether the document's service item was in the township's authority list at signing time
    (None: the registry cannot tell, e.g. no ledger entry names the item)."""
    detail: str | None = None
    """Free text shown to people."""


@runtime_checkable
class RegistryLookup(Protocol):
    """The seal registry, as the verifier asks it."""

    def seal_status(
        self, *, cert_serial_hex: str, sha256_fingerprint: str, signed_at: dt.datetime | None, at: dt.datetime
    ) -> RegistryAnswer:
        """The seal whose certificate has this serial and fingerprint, at ``signed_at`` and ``at``."""
        ...


@dataclass(frozen=True)
class LedgerQuery:
    """What the verifier knows to look a document up in the ledger."""

    document_sha256: str
    """SHA-256 of the whole file as received."""
    revision_sha256s: tuple[str, ...]
    """SHA-256 of the file up to the end of each signed revision (the stamped output may have
    received validation data or time-stamps since)."""
    entry_id: str | None
    """The entry id, if the caller has one (e.g. from the QR-code URL)."""
    cert_serials_hex: tuple[str, ...]
    """Serials of the document's seal certificates, lower-case hex without leading zeros."""


@dataclass(frozen=True)
class LedgerAnswer:
    """The ledger's answer."""

    found: bool
    """An entry was found by entry id or output hash."""
    entry_id: str | None = None
    """Its id."""
    output_sha256: str | None = None
    """Its output hash."""
    cert_serial_hex: str | None = None
    """Its seal certificate serial."""
    proof_valid: bool | None = None
    """The inclusion proof against the latest signed checkpoint verified (None: not yet covered)."""
    detail: str | None = None
    """Free text shown to people."""
    cosignatures: int | None = None
    """Configured witnesses whose valid cosignature is on that checkpoint (None: not covered yet)."""
    witnesses: int = 0
    """Witnesses configured (n)."""
    witness_quorum: int = 0
    """Cosignatures the policy asks for (k)."""


@runtime_checkable
class LedgerLookup(Protocol):
    """The usage ledger, as the verifier asks it."""

    def lookup(self, query: LedgerQuery) -> LedgerAnswer:
        """Find the entry for ``query`` (by entry id first, else by any of the hashes) and check its proof."""
        ...
