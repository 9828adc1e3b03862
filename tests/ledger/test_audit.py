"""Tampering with the stored log directly in SQL; the audit must name the first bad index."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from esign.db import make_session_factory, session_scope
from esign.ledger import SqlLedger, make_checkpoint, verify_log
from esign.ledger.merkle import hash_leaf

from .conftest import T0, make_entry

N = 40
AT = T0 + dt.timedelta(days=1)


@pytest.fixture
def sessions(engine, signer):
    factory = make_session_factory(engine)
    with session_scope(factory) as s:
        ledger = SqlLedger(s)
        for i in range(N):
            ledger.record(make_entry(i), at=AT)
        make_checkpoint(ledger, signer=signer, at=AT, force=True)
    return factory


def _sql(sessions, *statements: tuple[str, dict]) -> None:
    with session_scope(sessions) as s:
        for stmt, params in statements:
            s.execute(text(stmt), params)


def _audit(sessions, signer):
    with session_scope(sessions) as s:
        return verify_log(s, verifier=signer.verifier)


def _forged_row(idx: int) -> dict:
    e = make_entry(1000 + idx)
    body = e.to_bytes()
    return {
        "idx": idx, "entry_id": e.entry_id, "leaf_hash": hash_leaf(body), "body": body, "township_id": e.township_id,
        "item_number": e.item_number, "user_name": e.user, "signed_at": e.signed_at, "appended_at": AT,
    }


_INSERT = (
    "INSERT INTO ledger_entries (idx, entry_id, leaf_hash, body, township_id, item_number, user_name, signed_at,"
    " appended_at) VALUES (:idx, :entry_id, :leaf_hash, :body, :township_id, :item_number, :user_name,"
    " :signed_at, :appended_at)"
)


def _body_of(sessions, idx: int) -> bytes:
    with session_scope(sessions) as s:
        return bytes(s.execute(text("SELECT body FROM ledger_entries WHERE idx = :i"), {"i": idx}).scalar_one())


def test_untouched_log_audits_clean(sessions, signer):
    report = _audit(sessions, signer)
    assert report.ok and report.size == N == report.head_size
    assert report.checkpoints_checked == 1 and report.latest_checkpoint_size == N
    assert report.first_bad_index is None and report.problems == ()


@pytest.mark.parametrize("k", [0, 13, N - 1])
def test_edited_body(sessions, signer, k):
    body = _body_of(sessions, k).replace("李四".encode(), "赵六".encode())
    _sql(sessions, ("UPDATE ledger_entries SET body = :b WHERE idx = :k", {"b": body, "k": k}))
    report = _audit(sessions, signer)
    assert not report.ok and report.first_bad_index == k
    assert {p.kind for p in report.problems if p.index == k} >= {"leaf_hash", "node"}


@pytest.mark.parametrize("k", [1, 13, 32])
def test_edited_body_with_recomputed_leaf_hash(sessions, signer, k):
    body = _body_of(sessions, k).replace(b'"count":', b'"count":9')
    _sql(sessions, ("UPDATE ledger_entries SET body = :b, leaf_hash = :h WHERE idx = :k",
                    {"b": body, "h": hash_leaf(body), "k": k}))
    report = _audit(sessions, signer)
    assert report.first_bad_index == k
    assert [p.kind for p in report.problems if p.kind == "node"] == ["node"]  # only the leaf, not its parents


def test_edited_side_column(sessions, signer):
    _sql(sessions, ("UPDATE ledger_entries SET user_name = '王五' WHERE idx = 21", {}))
    report = _audit(sessions, signer)
    assert report.first_bad_index == 21 and [p.kind for p in report.problems] == ["column"]


@pytest.mark.parametrize("k", [0, 17])
def test_deleted_row(sessions, signer, k):
    _sql(sessions, ("DELETE FROM ledger_entries WHERE idx = :k", {"k": k}))
    report = _audit(sessions, signer)
    assert report.first_bad_index == k and report.problems[0].kind == "missing"


def test_deleted_last_row(sessions, signer):
    _sql(sessions, ("DELETE FROM ledger_entries WHERE idx = :k", {"k": N - 1}))
    report = _audit(sessions, signer)
    assert report.first_bad_index == N - 1
    assert {"head", "checkpoint_size"} <= {p.kind for p in report.problems}


def test_deleted_row_with_renumbering(sessions, signer):
    _sql(
        sessions,
        ("DELETE FROM ledger_entries WHERE idx = 9", {}),
        ("UPDATE ledger_entries SET idx = -idx WHERE idx > 9", {}),
        ("UPDATE ledger_entries SET idx = -idx - 1 WHERE idx < 0", {}),
    )
    report = _audit(sessions, signer)
    assert report.first_bad_index == 9


@pytest.mark.parametrize(("k", "j"), [(4, 5), (7, 30), (0, N - 1)])
def test_swapped_rows(sessions, signer, k, j):
    _sql(
        sessions,
        ("UPDATE ledger_entries SET idx = -1 WHERE idx = :k", {"k": k}),
        ("UPDATE ledger_entries SET idx = :k WHERE idx = :j", {"k": k, "j": j}),
        ("UPDATE ledger_entries SET idx = :j WHERE idx = -1", {"j": j}),
    )
    report = _audit(sessions, signer)
    assert report.first_bad_index == k
    assert {p.index for p in report.problems if p.kind == "node"} == {k, j}


@pytest.mark.parametrize("k", [0, 11])
def test_inserted_row_in_the_middle(sessions, signer, k):
    _sql(
        sessions,
        ("UPDATE ledger_entries SET idx = -idx - 1 WHERE idx >= :k", {"k": k}),
        ("UPDATE ledger_entries SET idx = -idx WHERE idx < 0", {}),
        (_INSERT, _forged_row(k)),
    )
    report = _audit(sessions, signer)
    assert report.first_bad_index == k and report.size == N + 1


def test_inserted_row_at_the_end(sessions, signer):
    _sql(sessions, (_INSERT, _forged_row(N)))
    report = _audit(sessions, signer)
    assert report.first_bad_index == N and "head" in {p.kind for p in report.problems}


def test_edited_interior_node(sessions, signer):
    _sql(sessions, ("UPDATE ledger_nodes SET hash = :h WHERE level = 3 AND idx = 2", {"h": b"\x00" * 32}))
    report = _audit(sessions, signer)
    assert report.first_bad_index == 16 and [p.kind for p in report.problems] == ["node"]


def test_deleted_node(sessions, signer):
    _sql(sessions, ("DELETE FROM ledger_nodes WHERE level = 1 AND idx = 6", {}))
    report = _audit(sessions, signer)
    assert report.first_bad_index == 12 and [p.kind for p in report.problems] == ["node_missing"]


def test_rewritten_history_is_caught_by_the_checkpoint(sessions, signer):
    """Everything rewritten consistently (body, leaf, nodes, head): only the signed root can tell."""
    k = 25
    body = _body_of(sessions, k).replace("李四".encode(), "赵六".encode())
    with session_scope(sessions) as s:
        from sqlalchemy import select

        from esign.ledger.merkle import MemoryTree
        from esign.ledger.models import LedgerEntryRow

        leaves = [bytes(h) for h in s.scalars(select(LedgerEntryRow.leaf_hash).order_by(LedgerEntryRow.idx))]
        leaves[k] = hash_leaf(body)
        forged = MemoryTree(leaves)
        s.execute(text("UPDATE ledger_entries SET body = :b, leaf_hash = :h WHERE idx = :k"),
                  {"b": body, "h": leaves[k], "k": k})
        for level, hashes in enumerate(forged.levels):
            for idx, h in enumerate(hashes):
                s.execute(text("UPDATE ledger_nodes SET hash = :h WHERE level = :l AND idx = :i"),
                          {"h": h, "l": level, "i": idx})
        s.execute(text("UPDATE ledger_head SET peaks = :p"), {"p": b"".join(forged.peaks())})
    report = _audit(sessions, signer)
    assert [p.kind for p in report.problems] == ["checkpoint_root"]
    assert report.first_bad_index == 0  # no earlier checkpoint still matches


def test_forged_checkpoint_signature(sessions, signer):
    with session_scope(sessions) as s:
        note = s.execute(text("SELECT note FROM ledger_checkpoints")).scalar_one()
    forged = note.replace(f"\n{N}\n", f"\n{N - 1}\n")
    _sql(sessions, ("UPDATE ledger_checkpoints SET note = :n", {"n": forged}))
    report = _audit(sessions, signer)
    assert not report.ok and report.first_bad_index is None
    assert [p.kind for p in report.problems] == ["checkpoint_signature"]
