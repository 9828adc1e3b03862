"""The county's usage register for oversight: the projection of the log, filtered and paged queries.

:func:`sync_projection` brings ``oversight_register`` (:mod:`esign.oversight.models`) up to the
log's head: the log's indexes are contiguous and appends commit in index order (they hold the head
lock until commit), so "everything after the largest projected index" is exactly what is missing.
Concurrent syncs insert the same rows and the second insert is ignored.

:func:`query_register` filters and pages on the projection's indexes (keyset on
``(signed_at, idx)`` stays one index range scan at any depth; offset paging is offered for the
first pages) and then reads the page's entries by primary key, checking each body against its leaf
hash and decoding it: the lines shown are the hashed entries, not the projection's copies.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from esign.ledger.api import RegisterRow, StoredEntry
from esign.ledger.entry import LedgerEntry
from esign.ledger.errors import LedgerIntegrityError
from esign.ledger.merkle import hash_leaf
from esign.ledger.models import LedgerEntryRow
from esign.oversight.api import (
    Cursor,
    OversightPage,
    OversightRow,
    RegisterFilter,
    Scope,
    local_day,
    local_month,
)
from esign.oversight.models import RegisterIndexRow
from esign.registry.models import AuthorityItem, CatalogItemRow

__all__ = [
    "iter_register",
    "leading_type",
    "projected_row",
    "query_register",
    "scope_conditions",
    "sync_projection",
]

_BATCH = 2000
_INDEX = cast(Table, RegisterIndexRow.__table__)


def leading_type(item_type: str) -> str:
    """The leading type of a catalog type: ``公共服务（行政给付）`` → ``公共服务``."""
    return item_type.split("（", 1)[0].strip()


def _catalog_facts(session: Session, entries: Sequence[LedgerEntry]) -> dict[tuple[str, str], tuple[str, str]]:
    """(township id, item number) → (leading type, department) for the items of ``entries``."""
    townships = {int(e.township_id) for e in entries if e.township_id.isdigit()}
    if not townships:
        return {}
    rows = session.execute(
        select(AuthorityItem.township_id, AuthorityItem.number, CatalogItemRow.type, CatalogItemRow.department)
        .join(CatalogItemRow, CatalogItemRow.id == AuthorityItem.item_id)
        .where(AuthorityItem.township_id.in_(townships))
    )
    return {(str(t), str(n)): (leading_type(ty), dep) for t, n, ty, dep in rows}


def _decode(idx: int, body: bytes, leaf: bytes) -> LedgerEntry:
    if hash_leaf(body) != leaf:
        raise LedgerIntegrityError("登记条目与其哈希不符", f"entry {idx} does not match its leaf hash")
    return LedgerEntry.from_bytes(body)


def _insert_ignoring_duplicates(session: Session, rows: list[dict[str, Any]]) -> None:
    dialect = session.get_bind().dialect.name
    stmt: Any
    if dialect == "postgresql":
        stmt = postgresql.insert(_INDEX).on_conflict_do_nothing()
    else:
        stmt = sqlite.insert(_INDEX).on_conflict_do_nothing()
    session.execute(stmt, rows)


def projected_row(idx: int, en: LedgerEntry) -> dict[str, Any]:
    """The ``oversight_register`` columns that follow from entry ``idx`` alone (all but the catalog's
    item type and department, which are the catalog's at projection time)."""
    return {
        "idx": idx,
        "entry_id": en.entry_id,
        "township_id": int(en.township_id) if en.township_id.isdigit() else -1,
        "signed_at": en.signed_at,
        "local_day": local_day(en.signed_at),
        "local_month": local_month(en.signed_at),
        "item_number": en.item_number,
        "item_name": en.item_name,
        "user_name": en.user,
        "approver": en.approver,
        "document_type": en.document_type.value,
        "count": en.count,
    }


def sync_projection(session: Session, *, batch: int = _BATCH) -> int:
    """Project every log entry not yet in ``oversight_register``; returns how many rows were added.

    Runs in the caller's transaction and does not commit. Checks each body against its leaf hash
    (:class:`LedgerIntegrityError` if one differs). The item's type and department are the
    catalog's at projection time.
    """
    added = 0
    last = session.scalar(select(func.max(RegisterIndexRow.idx)))
    last = -1 if last is None else int(last)
    e = LedgerEntryRow
    while True:
        found = session.execute(
            select(e.idx, e.body, e.leaf_hash).where(e.idx > last).order_by(e.idx).limit(batch)
        ).all()
        if not found:
            return added
        entries = [(int(i), _decode(int(i), bytes(b), bytes(h))) for i, b, h in found]
        facts = _catalog_facts(session, [en for _, en in entries])
        rows = []
        for idx, en in entries:
            item_type, department = facts.get((en.township_id, en.item_number), ("", ""))
            rows.append({**projected_row(idx, en), "item_type": item_type, "department": department})
        _insert_ignoring_duplicates(session, rows)
        added += len(rows)
        last = entries[-1][0]


def scope_conditions(scope: Scope) -> list[ColumnElement[bool]]:
    """SQL conditions on ``oversight_register`` that keep only what ``scope`` allows."""
    r = RegisterIndexRow
    conds: list[ColumnElement[bool]] = []
    if scope.township_ids is not None:
        conds.append(r.township_id.in_(sorted(scope.township_ids)))
    if scope.departments is not None:
        conds.append(r.department.in_(sorted(scope.departments)))
    return conds


def _conditions(scope: Scope, f: RegisterFilter) -> list[ColumnElement[bool]]:
    r = RegisterIndexRow
    conds = scope_conditions(scope)
    if f.since is not None:
        conds.append(r.signed_at >= f.since)
    if f.until is not None:
        conds.append(r.signed_at < f.until)
    if f.township_id is not None:
        conds.append(r.township_id == f.township_id)
    if f.item:
        text = f.item.strip()
        conds.append(r.item_number == text if text.isdigit() else r.item_name.contains(text, autoescape=True))
    if f.user:
        conds.append(r.user_name == f.user)
    if f.approver:
        conds.append(r.approver == f.approver)
    if f.document_type:
        conds.append(r.document_type == f.document_type)
    return conds


def query_register(session: Session, scope: Scope, f: RegisterFilter) -> OversightPage:
    """One page of the county's register as ``scope`` allows it (syncs the projection first)."""
    sync_projection(session)
    r = RegisterIndexRow
    conds = _conditions(scope, f)
    total = None
    if f.with_total:
        total = int(session.execute(select(func.count()).select_from(r).where(*conds)).scalar_one())
    key = tuple_(r.signed_at, r.idx)
    page_conds = list(conds)
    if f.after is not None:
        mark = tuple_(f.after.signed_at, f.after.idx)
        page_conds.append(key < mark if f.newest_first else key > mark)
    order = (r.signed_at.desc(), r.idx.desc()) if f.newest_first else (r.signed_at, r.idx)
    # One row more than asked tells whether there is a next page.
    picked = session.execute(
        select(r.idx, r.township_id, r.item_type, r.department, r.signed_at)
        .where(*page_conds)
        .order_by(*order)
        .offset(f.offset)
        .limit(f.limit + 1)
    ).all()
    more = len(picked) > f.limit
    picked = picked[: f.limit]
    rows = _lines(session, [(int(i), int(t), ty, dep) for i, t, ty, dep, _ in picked])
    cursor = Cursor(picked[-1][4], int(picked[-1][0])) if more and picked else None
    return OversightPage(tuple(rows), total, cursor)


def _lines(session: Session, picked: list[tuple[int, int, str, str]]) -> list[OversightRow]:
    if not picked:
        return []
    e = LedgerEntryRow
    found = {
        int(i): (bytes(b), bytes(h), at)
        for i, b, h, at in session.execute(
            select(e.idx, e.body, e.leaf_hash, e.appended_at).where(e.idx.in_([p[0] for p in picked]))
        )
    }
    out = []
    for idx, township_id, item_type, department in picked:
        body, leaf, appended_at = found[idx]
        entry = _decode(idx, body, leaf)
        line = RegisterRow.from_stored(StoredEntry(idx, entry, leaf, appended_at))
        out.append(OversightRow(line, township_id, entry.township_name, item_type, department))
    return out


def iter_register(session: Session, scope: Scope, f: RegisterFilter, *, page: int = 1000) -> Iterator[OversightRow]:
    """Every matching row in order (exports): keyset pages of ``page`` rows, without counting."""
    after = f.after
    while True:
        got = query_register(
            session,
            scope,
            RegisterFilter(**{**f.__dict__, "after": after, "offset": 0, "limit": page, "with_total": False}),
        )
        yield from got.rows
        if got.next_cursor is None:
            return
        after = got.next_cursor
