"""/api/v1/ledger: the usage register's checkpoint, entries with proofs and consistency proofs;
/ledger: the same log as C2SP tlog-tiles (``/ledger/checkpoint``, ``/ledger/tile/...``) for mirrors.

The register as a table (用印登记台账, filters, CSV/XLSX) is served by ``/api/v1/oversight``.

Privacy: these routes answer without a token. An entry's public view carries what a citizen or a
department needs to check a document (hashes, time, township, seal, item, document type) and the
leaf hash, which still binds the whole entry, 使用人 and 批准人 included; the names, the 事由 and
the title are shown to signed-in staff only. For the same reason the entry bundles
(``/ledger/tile/entries/...``, the full hashed entries) need the reform office's audit
permission, while the hash tiles, which let anyone mirror the tree and check every proof, are
public.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from esign.ledger import consistency_between, cosigned_by, entry_proof, latest_checkpoint, parse_tile_path
from esign.text import MAX_ID
from esign.workflow import register_tile, sign_checkpoint_now
from service.auth import CurrentActor
from service.clock import now
from service.deps import Dep

__all__ = ["router"]

router = APIRouter(tags=["ledger"])


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@router.get("/api/v1/ledger/checkpoint", summary="最新签名检查点 / latest signed checkpoint")
def checkpoint(dep: Dep) -> dict[str, Any]:
    # reads only: the checkpointer (esign.workflow.checkpoints) signs within its interval of an append
    cosigned = latest_checkpoint(dep.transaction)
    latest, note = cosigned.checkpoint, cosigned.note
    cosigs = cosigned_by(note, [w.verifier for w in dep.witnesses])
    return {
        "size": latest.size,
        "root_hash": _b64(latest.root_hash),
        "note": latest.note.decode(),
        "cosigned_note": note.decode(),
        "cosignatures": [{"witness": c.witness, "time": c.at.isoformat()} for c in cosigs],
        "witnesses": len(dep.witnesses),
        "witness_quorum": dep.settings.witness_quorum,
        "created_at": latest.created_at.isoformat(),
        "verifier_key": dep.ledger_verifier.vkey,
    }


@router.post("/api/v1/ledger/checkpoint", summary="立即签发检查点 / sign a checkpoint now (reform office)")
def checkpoint_now(actor: CurrentActor, dep: Dep) -> dict[str, Any]:
    sign_checkpoint_now(dep, actor, at=now())
    return checkpoint(dep)


def _public_view(full: dict[str, Any]) -> dict[str, Any]:
    # What binds the staff names is the leaf hash; the names themselves stay with signed-in staff.
    keep = ("v", "entry_id", "township", "seal", "item", "count", "input_sha256", "output_sha256", "signed_at")
    out = {k: full[k] for k in keep}
    out["document"] = {"type": full["document"]["type"]}
    return out


@router.get("/api/v1/ledger/entries/{entry_id}", summary="登记条目及其包含证明 / an entry with its inclusion proof")
def entry(entry_id: str, dep: Dep, actor: CurrentActor) -> dict[str, Any]:
    proof = entry_proof(dep.transaction, entry_id)
    full = proof.stored.entry.to_dict()
    staff = actor.role is not None
    return {
        "index": proof.stored.index,
        "entry": full if staff else _public_view(full),
        "redacted": not staff,
        "leaf_hash": _b64(proof.stored.leaf_hash),
        "pending": proof.pending,
        "checkpoint": proof.checkpoint.note.decode() if proof.checkpoint else None,
        "inclusion_proof": [_b64(h) for h in proof.proof] if proof.proof is not None else None,
    }


@router.get("/api/v1/ledger/proof/consistency", summary="一致性证明 / consistency proof between two sizes")
def consistency(
    dep: Dep,
    first: Annotated[int, Query(alias="from", ge=0, le=MAX_ID)],
    second: Annotated[int, Query(alias="to", ge=0, le=MAX_ID)],
) -> dict[str, Any]:
    proof = consistency_between(dep.transaction, first, second)
    return {"from": first, "to": second, "proof": [_b64(h) for h in proof]}


_TEXT = "text/plain; charset=utf-8"


@router.get("/ledger/checkpoint", summary="tlog-tiles 检查点（签名注记）/ the cosigned checkpoint as a signed note")
def checkpoint_note(dep: Dep) -> Response:
    note = latest_checkpoint(dep.transaction).note
    return Response(note, media_type=_TEXT, headers={"Cache-Control": "no-cache"})


@router.get("/ledger/vkey", summary="检查点验证公钥 / the log's note verifier key")
def verifier_key(dep: Dep) -> Response:
    return Response(dep.ledger_verifier.vkey + "\n", media_type=_TEXT)


@router.get("/ledger/tile/{path:path}", summary="tlog-tiles 瓦片 / a hash tile or an entry bundle")
def tile(path: str, dep: Dep, actor: CurrentActor) -> Response:
    return Response(
        register_tile(dep, actor, parse_tile_path(path), at=now()),
        media_type="application/octet-stream",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )
