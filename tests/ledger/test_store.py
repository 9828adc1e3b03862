"""The SQL ledger on SQLite and PostgreSQL: appends, proofs from stored nodes, atomicity,
checkpoints, lookups and the register; MemoryLedger honours the same contract."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from esign.db import make_session_factory, session_scope
from esign.errors import ConflictError, NotFoundError
from esign.ledger import (
    CheckpointPolicy,
    InvalidProofError,
    LedgerIntegrityError,
    MemoryLedger,
    RegisterQuery,
    SqlLedger,
    make_checkpoint,
    maybe_checkpoint,
    open_checkpoint,
    prove_consistency,
    prove_entry,
)
from esign.ledger.merkle import MemoryTree, hash_leaf, verify_consistency, verify_inclusion
from esign.ledger.models import LedgerCheckpointRow, LedgerEntryRow, LedgerNodeRow

from .conftest import T0, make_entry

AT = T0 + dt.timedelta(days=1)


@pytest.fixture
def sessions(engine):
    return make_session_factory(engine)


def _fill(sessions, n: int, start: int = 0, **kw):
    with session_scope(sessions) as s:
        ledger = SqlLedger(s)
        return [ledger.record(make_entry(start + i, **kw), at=AT) for i in range(n)]


def test_append_matches_an_in_memory_tree(sessions):
    receipts = _fill(sessions, 37)
    tree = MemoryTree()
    with session_scope(sessions) as s:
        ledger = SqlLedger(s)
        for i, r in enumerate(receipts):
            stored = ledger.entry_at(i)
            assert r.index == i and r.tree_size == i + 1 and r.leaf_hash == hash_leaf(stored.entry.to_bytes())
            tree.append(stored.entry.to_bytes())
            assert r.root_hash == tree.root()
        assert ledger.head() == (37, tree.root())
        for size in range(1, 38):
            for index in range(size):
                from esign.ledger.merkle import inclusion_proof

                assert inclusion_proof(index, size, ledger.read_nodes) == tree.inclusion_proof(index, size)
        assert prove_consistency(ledger, 5, 37) == tuple(tree.consistency_proof(5, 37))
        with pytest.raises(InvalidProofError):
            prove_consistency(ledger, 5, 38)
        # every complete node is stored, leaves included
        assert s.execute(select(func.count()).select_from(LedgerNodeRow)).scalar_one() == sum(
            len(level) for level in tree.levels
        )


def test_rolled_back_append_leaves_nothing(sessions):
    _fill(sessions, 3)
    s: Session = sessions()
    try:
        SqlLedger(s).record(make_entry(99), at=AT)
        s.execute(select(1))
    finally:
        s.rollback()
        s.close()
    with session_scope(sessions) as s:
        assert SqlLedger(s).head()[0] == 3
        assert s.execute(select(func.count()).select_from(LedgerEntryRow)).scalar_one() == 3
        assert s.execute(select(func.count()).select_from(LedgerNodeRow)).scalar_one() == 3 + 1
    # the next append takes index 3: no gap
    assert _fill(sessions, 1, start=50)[0].index == 3


def test_error_in_the_callers_transaction_rolls_back_the_entry(sessions):
    with pytest.raises(RuntimeError), session_scope(sessions) as s:
        SqlLedger(s).record(make_entry(1), at=AT)
        raise RuntimeError("stamping failed after the entry was written")
    with session_scope(sessions) as s:
        assert SqlLedger(s).head()[0] == 0


def test_duplicate_entry_id(sessions):
    e = make_entry(1)
    with session_scope(sessions) as s:
        SqlLedger(s).record(e, at=AT)
    with pytest.raises(ConflictError), session_scope(sessions) as s:
        SqlLedger(s).record(e, at=AT)


def test_checkpoints_and_entry_proofs(sessions, signer):
    receipts = _fill(sessions, 10)
    with session_scope(sessions) as s:
        ledger = SqlLedger(s)
        pending = prove_entry(ledger, receipts[3].entry_id)
        assert pending.pending and pending.checkpoint is None
        with pytest.raises(InvalidProofError):
            pending.verify(signer.verifier)
        cp1 = make_checkpoint(ledger, signer=signer, at=AT, force=True)
        assert cp1 is not None and cp1.size == 10
        assert make_checkpoint(ledger, signer=signer, at=AT, force=True) is None  # nothing new
    _fill(sessions, 5, start=10)
    with session_scope(sessions) as s:
        ledger = SqlLedger(s)
        late = prove_entry(ledger, receipts[3].entry_id)
        assert late.verify(signer.verifier).size == 10
        cp2 = make_checkpoint(ledger, signer=signer, at=AT, force=True)
        assert cp2 is not None
        c1 = open_checkpoint(cp1.note, signer.verifier)
        c2 = open_checkpoint(cp2.note, signer.verifier)
        verify_consistency(10, 15, c1.root_hash, c2.root_hash, prove_consistency(ledger, 10, 15))
        for r in receipts:
            p = prove_entry(ledger, r.entry_id)
            assert p.verify(signer.verifier).size == 15
            verify_inclusion(r.index, 15, r.leaf_hash, p.proof or (), c2.root_hash)
        with pytest.raises(NotFoundError):
            prove_entry(ledger, "no-such-entry-id-000")


def test_policy(sessions, signer):
    policy = CheckpointPolicy(max_entries=4, max_age=dt.timedelta(minutes=10))
    with session_scope(sessions) as s:
        ledger = SqlLedger(s)
        assert maybe_checkpoint(ledger, signer=signer, policy=policy, at=AT) is None  # empty log
        ledger.record(make_entry(0), at=AT)
        assert maybe_checkpoint(ledger, signer=signer, policy=policy, at=AT) is not None  # first one
        for i in range(1, 4):
            ledger.record(make_entry(i), at=AT)
        assert maybe_checkpoint(ledger, signer=signer, policy=policy, at=AT) is None  # 3 < 4, too recent
        later = AT + dt.timedelta(minutes=11)
        cp = maybe_checkpoint(ledger, signer=signer, policy=policy, at=later)
        assert cp is not None and cp.size == 4
        for i in range(4, 8):
            ledger.record(make_entry(i), at=later)
        cp = maybe_checkpoint(ledger, signer=signer, policy=policy, at=later)
        assert cp is not None and cp.size == 8


def test_no_checkpoint_over_an_edited_log(sessions, signer):
    _fill(sessions, 6)
    with session_scope(sessions) as s:
        make_checkpoint(SqlLedger(s), signer=signer, at=AT, force=True)
    _fill(sessions, 2, start=6)
    with session_scope(sessions) as s:  # someone rewrites leaf 2 and the nodes above it consistently
        tree = MemoryTree(bytes(h) for h in s.scalars(select(LedgerEntryRow.leaf_hash).order_by(LedgerEntryRow.idx)))
        tree.levels[0][2] = hash_leaf(b"forged")
        forged = MemoryTree(tree.levels[0])
        for level, hashes in enumerate(forged.levels):
            for idx, h in enumerate(hashes):
                s.execute(
                    LedgerNodeRow.__table__.update()
                    .where(LedgerNodeRow.level == level, LedgerNodeRow.idx == idx)
                    .values(hash=h)
                )
        from esign.ledger.models import LedgerHeadRow

        s.execute(LedgerHeadRow.__table__.update().values(peaks=b"".join(forged.peaks())))
    with pytest.raises(LedgerIntegrityError), session_scope(sessions) as s:
        make_checkpoint(SqlLedger(s), signer=signer, at=AT, force=True)
    with session_scope(sessions) as s:
        assert s.execute(select(func.count()).select_from(LedgerCheckpointRow)).scalar_one() == 1


def test_register_query(sessions):
    with session_scope(sessions) as s:
        ledger = SqlLedger(s)
        for i in range(30):
            ledger.record(
                make_entry(i, township="T1" if i % 3 else "T2", user="张三" if i % 2 else "王五",
                           item="A-001" if i < 20 else "B-002"),
                at=AT,
            )
        _check_register(ledger)


def test_memory_ledger_register_and_proofs(signer):
    ledger = MemoryLedger()
    for i in range(30):
        ledger.record(
            make_entry(i, township="T1" if i % 3 else "T2", user="张三" if i % 2 else "王五",
                       item="A-001" if i < 20 else "B-002"),
            at=AT,
        )
    _check_register(ledger)
    cp = make_checkpoint(ledger, signer=signer, at=AT, force=True)
    assert cp is not None
    assert prove_entry(ledger, ledger.entry_at(7).entry.entry_id).verify(signer.verifier).size == 30


def _check_register(ledger):
    page = ledger.register(RegisterQuery(township_id="T1", limit=5))
    assert page.total == 20 and len(page.rows) == 5
    assert [r.index for r in page.rows] == [1, 2, 4, 5, 7]
    assert page.rows[0].reason == "办理个体工商户设立登记" and page.rows[0].approver == "李四"
    page2 = ledger.register(RegisterQuery(township_id="T1", offset=18, limit=5))
    assert [r.index for r in page2.rows] == [28, 29]
    since, until = T0 + dt.timedelta(minutes=10), T0 + dt.timedelta(minutes=20)
    dated = ledger.register(RegisterQuery(township_id="T1", since=since, until=until, limit=100))
    assert [r.index for r in dated.rows] == [10, 11, 13, 14, 16, 17, 19]
    by_item = ledger.register(RegisterQuery(township_id="T1", item_number="B-002", user="张三", limit=100))
    assert [r.index for r in by_item.rows] == [23, 25, 29]
    assert ledger.register(RegisterQuery(township_id="T9")).total == 0
