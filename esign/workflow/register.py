"""The usage register seen from the QR code: an entry, its seal's state now and its inclusion proof.

Read only: looking an entry up writes nothing (no checkpoint either; the checkpointer,
:mod:`esign.workflow.checkpoints`, covers every append within its interval, and until then the
proof is ``pending``).
"""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext

from esign.deployment import Deployment
from esign.errors import EsignError, NotFoundError
from esign.ledger import SqlLedger, TileRef, prove_entry, tile_bytes
from esign.registry import Actor, Permission, SealStatus, authorized_transaction
from esign.registry.models import Seal
from esign.workflow.views import EntryView

__all__ = ["entry_view", "register_tile"]


def entry_view(dep: Deployment, entry_id: str) -> EntryView:
    """The public view of register entry ``entry_id``; ``entry_not_found`` when the register has none.

    The proof is checked against the deployment's published register key (``certs/ledger.vkey``).
    """
    with dep.transaction() as session:
        try:
            proof = prove_entry(SqlLedger(session), entry_id)
        except EsignError:
            raise NotFoundError(
                "用印登记台账中没有该登记编号，请核对二维码。",
                "No such entry in the usage register.",
                code="entry_not_found",
            ) from None
        entry = proof.stored.entry
        seal = session.get(Seal, int(entry.seal_id)) if entry.seal_id.isdigit() else None
        status = SealStatus(seal.status) if seal else None
        seal_name = seal.name if seal else entry.seal_id
        since = seal.status_since if seal else None
    proof_state = "pending"
    if not proof.pending:
        try:
            proof.verify(dep.ledger_verifier)
            proof_state = "valid"
        except EsignError:
            proof_state = "invalid"
    return EntryView(
        entry_id=entry.entry_id,
        township=entry.township_name,
        seal_name=seal_name,
        seal_status=status.value if status else "unknown",
        seal_status_zh=status.zh if status else "未知",
        seal_status_since=since,
        item=f"{entry.item_number}. {entry.item_name}",
        document_type=entry.document_type.value,
        document_title=entry.document_title,
        signed_at=entry.signed_at,
        count=entry.count,
        output_sha256=entry.output_sha256,
        index=proof.stored.index,
        proof=proof_state,
    )


def register_tile(dep: Deployment, actor: Actor, ref: TileRef, *, at: dt.datetime) -> bytes:
    """A tlog-tiles hash tile (for anyone), or an entry bundle (``ref.level`` None: the full entries, with
    the staff's names, for ``AUDIT_VIEW`` only, asked in the read's one transaction, which records a
    refusal once, at ``at``: :func:`esign.registry.authorized_transaction`)."""
    if ref.level is not None:
        return tile_bytes(dep.transaction, ref)
    target = f"ledger_tile:{ref.path()}"
    with authorized_transaction(dep.transaction, actor, Permission.AUDIT_VIEW, target, at=at) as session:
        return tile_bytes(lambda: nullcontext(session), ref)
