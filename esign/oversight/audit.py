"""Recompute ``oversight_register`` from the log and report every row that disagrees.

The township register views, the county register and every counter of the dashboard
(:mod:`esign.oversight.stats`) are read from ``oversight_register``; a row moved to another
township, edited or deleted there changes what the reform office sees while the log still
verifies. :func:`check_projection` is an :data:`esign.ledger.audit.AuditCheck`: it decodes every
entry whose body hashes to the recomputed leaf and compares the row it should have projected,
column by column, with the stored one. Reported with the entry index they concern:

* ``derived_missing``: no row for an entry at or below the largest projected index (rows after it
  are simply not synced yet: :func:`esign.oversight.register.sync_projection` adds them);
* ``derived_extra``: a row for an index the log does not have;
* ``derived_differs``: a row whose columns differ from the entry (names the columns).

Not checked: ``item_type`` and ``department``, which are the catalog's at projection time and may
legitimately differ from today's catalog.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from esign.ledger.audit import AuditProblem
from esign.ledger.entry import LedgerEntry
from esign.ledger.errors import InvalidEntryError
from esign.ledger.merkle import MemoryTree, hash_leaf
from esign.ledger.models import LedgerEntryRow
from esign.oversight.models import RegisterIndexRow
from esign.oversight.register import projected_row

__all__ = ["check_projection"]

_BATCH = 2000
_COLUMNS = (
    "entry_id",
    "township_id",
    "signed_at",
    "local_day",
    "local_month",
    "item_number",
    "item_name",
    "user_name",
    "approver",
    "document_type",
    "count",
)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        return a.replace(tzinfo=a.tzinfo or dt.UTC) == b.replace(tzinfo=b.tzinfo or dt.UTC)
    return bool(a == b)


def check_projection(session: Session, tree: MemoryTree) -> Sequence[AuditProblem]:
    """Problems of ``oversight_register`` against the log recomputed as ``tree``."""
    r = RegisterIndexRow
    stored: dict[int, dict[str, Any]] = {}
    for row in session.execute(select(r.idx, *(getattr(r, c) for c in _COLUMNS)).execution_options(yield_per=_BATCH)):
        stored[int(row[0])] = dict(zip(_COLUMNS, row[1:], strict=True))
    out: list[AuditProblem] = []
    last = max(stored, default=-1)
    leaves = tree.levels[0]
    e = LedgerEntryRow
    for idx, body in session.execute(select(e.idx, e.body).order_by(e.idx).execution_options(yield_per=_BATCH)):
        idx, body = int(idx), bytes(body)
        have = stored.pop(idx, None)
        if idx >= len(leaves) or hash_leaf(body) != leaves[idx]:
            continue  # the log audit reports this entry itself
        try:
            want = projected_row(idx, LedgerEntry.from_bytes(body))
        except InvalidEntryError:
            continue
        if have is None:
            if idx <= last:
                out.append(AuditProblem(idx, "derived_missing", f"oversight_register has no row for entry {idx}"))
            continue
        wrong = [c for c in _COLUMNS if not _same(have[c], want[c])]
        if wrong:
            detail = ", ".join(f"{c}={have[c]!r} (log: {want[c]!r})" for c in wrong)
            out.append(AuditProblem(idx, "derived_differs", f"oversight_register row {idx} differs: {detail}"))
    out += [AuditProblem(i, "derived_extra", f"oversight_register row {i} has no log entry") for i in sorted(stored)]
    return out
