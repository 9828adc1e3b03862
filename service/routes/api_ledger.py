"""/api/v1/ledger: the usage register's checkpoint, entries with proofs and consistency proofs.

The register as a table (用印登记台账, filters, CSV/XLSX) is served by ``/api/v1/oversight``."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query

from esign.errors import NotFoundError
from esign.ledger import SqlLedger, prove_consistency, prove_entry
from esign.registry import Permission, authorize
from esign.workflow.requests import checkpoint_if_due
from service.auth import CurrentActor
from service.deps import Dep

__all__ = ["router"]

router = APIRouter(tags=["ledger"])


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@router.get("/api/v1/ledger/checkpoint", summary="最新签名检查点 / latest signed checkpoint")
def checkpoint(dep: Dep) -> dict[str, Any]:
    checkpoint_if_due(dep, at=dt.datetime.now(dt.UTC))
    with dep.transaction() as session:
        latest = SqlLedger(session).latest_checkpoint()
    if latest is None:
        raise NotFoundError("台账尚无检查点。", "The register has no checkpoint yet.", code="no_checkpoint")
    return {
        "size": latest.size,
        "root_hash": _b64(latest.root_hash),
        "note": latest.note.decode(),
        "created_at": latest.created_at.isoformat(),
        "verifier_key": dep.ledger_verifier.vkey,
    }


@router.post("/api/v1/ledger/checkpoint", summary="立即签发检查点 / sign a checkpoint now (reform office)")
def checkpoint_now(actor: CurrentActor, dep: Dep) -> dict[str, Any]:
    authorize(actor, Permission.AUDIT_VIEW)
    checkpoint_if_due(dep, at=dt.datetime.now(dt.UTC), force=True)
    return checkpoint(dep)


@router.get("/api/v1/ledger/entries/{entry_id}", summary="登记条目及其包含证明 / an entry with its inclusion proof")
def entry(entry_id: str, dep: Dep) -> dict[str, Any]:
    checkpoint_if_due(dep, at=dt.datetime.now(dt.UTC))
    with dep.transaction() as session:
        proof = prove_entry(SqlLedger(session), entry_id)
    return {
        "index": proof.stored.index,
        "entry": proof.stored.entry.to_dict(),
        "leaf_hash": _b64(proof.stored.leaf_hash),
        "pending": proof.pending,
        "checkpoint": proof.checkpoint.note.decode() if proof.checkpoint else None,
        "inclusion_proof": [_b64(h) for h in proof.proof] if proof.proof is not None else None,
    }


@router.get("/api/v1/ledger/proof/consistency", summary="一致性证明 / consistency proof between two sizes")
def consistency(
    dep: Dep,
    first: Annotated[int, Query(alias="from", ge=0)],
    second: Annotated[int, Query(alias="to", ge=0)],
) -> dict[str, Any]:
    with dep.transaction() as session:
        proof = prove_consistency(SqlLedger(session), first, second)
    return {"from": first, "to": second, "proof": [_b64(h) for h in proof]}
