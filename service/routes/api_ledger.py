"""/api/v1/ledger: the usage register's checkpoint, entries with proofs, consistency proofs, and
each township's register (用印登记台账) with CSV and XLSX export."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from esign.errors import InputError, NotFoundError
from esign.ledger import RegisterQuery, RegisterRow, SqlLedger, prove_consistency, prove_entry
from esign.ledger.export import REGISTER_COLUMNS, register_csv, register_values, register_xlsx
from esign.registry import Permission, authorize, find_township
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


def _day(value: str | None, field: str, *, end: bool = False) -> dt.datetime | None:
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"日期格式应为 YYYY-MM-DD：{value}", f"Dates are YYYY-MM-DD: {value!r}", field=field) from None
    start = dt.datetime.combine(day + dt.timedelta(days=1 if end else 0), dt.time(), dt.timezone(dt.timedelta(hours=8)))
    return start.astimezone(dt.UTC)


@router.get("/api/v1/townships/{ref}/register", summary="乡镇用印登记台账 / a township's usage register")
def township_register(
    ref: str,
    actor: CurrentActor,
    dep: Dep,
    since: Annotated[str | None, Query(description="起始日期 YYYY-MM-DD（北京时间）")] = None,
    until: Annotated[str | None, Query(description="截止日期 YYYY-MM-DD（含）")] = None,
    item: Annotated[str | None, Query(description="事项序号")] = None,
    user: Annotated[str | None, Query(description="使用人")] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    format: Annotated[str, Query(pattern="^(json|csv|xlsx)$")] = "json",
) -> Any:
    with dep.transaction() as session:
        township = find_township(session, ref)
        authorize(actor, Permission.TOWNSHIP_VIEW, township_id=township.id)
        query = RegisterQuery(
            township_id=str(township.id),
            since=_day(since, "since"),
            until=_day(until, "until", end=True),
            item_number=item,
            user=user,
            offset=offset,
            limit=limit,
        )
        ledger = SqlLedger(session)
        if format == "json":
            page = ledger.register(query)
            return {
                "township": township.name,
                "total": page.total,
                "columns": list(REGISTER_COLUMNS),
                "rows": [dict(zip(REGISTER_COLUMNS, register_values(r), strict=True)) for r in page.rows],
            }
        rows: list[RegisterRow] = []
        start = 0
        while True:  # exports stream every matching row, page by page
            page = ledger.register(RegisterQuery(**{**query.__dict__, "offset": start, "limit": 1000}))
            rows.extend(page.rows)
            start += len(page.rows)
            if not page.rows or start >= page.total:
                break
        name = f"{township.name}用印登记台账"
    if format == "csv":
        return Response(
            register_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": "attachment; filename=register.csv"},
        )
    return Response(
        register_xlsx(rows, title=name),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": "attachment; filename=register.xlsx"},
    )
