"""A database administrator's rewrites, done with direct SQL on a real database, are detected and located.

Each test builds a log of 40 entries in SQLite or PostgreSQL, checkpoints it, has an outside witness
cosign it and a department mirror its tiles, then rewrites the database as an administrator could
(recomputing leaf hashes, nodes and the head) and checks that ``verify_log`` with the kept mirror and
the derived-table check names the exact entry, and that the witness refuses the rewritten history.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from esign.db import make_session_factory, session_scope
from esign.ledger import Ed25519NoteSigner, LedgerEntry, SqlLedger, make_checkpoint, verify_log
from esign.ledger.cosigning import WitnessConfig, collect_cosignatures, cosigned_note
from esign.ledger.errors import LedgerIntegrityError, WitnessRefusal
from esign.ledger.kept import check_kept, load_kept
from esign.ledger.merkle import MemoryTree, hash_leaf, span_node_ids
from esign.ledger.mirror import mirror_log
from esign.ledger.tiles import parse_tile_path, read_tile
from esign.ledger.witness import Witness
from esign.ledger.witness_home import init_witness, open_witness
from esign.oversight.audit import check_projection
from esign.oversight.register import sync_projection
from tests.ledger.conftest import T0, make_entry

PASS = b"department witness passphrase"


@dataclasses.dataclass
class County:
    engine: Engine
    signer: Ed25519NoteSigner
    witness: Witness
    witness_cfg: WitnessConfig
    mirror: Path

    def tx(self):  # type: ignore[no-untyped-def]
        return session_scope(make_session_factory(self.engine))

    def transport(self, url: str, body: bytes) -> tuple[int, bytes]:
        try:
            return 200, self.witness.add_checkpoint(body, at=T0 + dt.timedelta(days=1))
        except WitnessRefusal as e:
            return e.http_status, (f"{e.data['size']}\n" if e.http_status == 409 else e.message_en).encode()

    def checkpoint_and_cosign(self) -> list:  # type: ignore[type-arg]
        with self.tx() as s:
            make_checkpoint(SqlLedger(s), signer=self.signer, at=T0 + dt.timedelta(days=1), force=True)
        return collect_cosignatures(self.tx, [self.witness_cfg], self.transport)

    def get(self, url: str) -> bytes:
        with self.tx() as s:
            if url.endswith("/checkpoint"):
                note = cosigned_note(s)
                assert note is not None
                return note
            ledger = SqlLedger(s)
            size, _ = ledger.head()
            return read_tile(parse_tile_path(url.split("/tile/", 1)[1]), size, ledger.read_nodes)

    def audit(self):  # type: ignore[no-untyped-def]
        kept = load_kept(str(self.mirror), self.signer.verifier)
        with self.tx() as s:
            return verify_log(
                s, verifier=self.signer.verifier, checks=[check_projection, lambda _s, tree: check_kept(tree, kept)]
            )


@pytest.fixture
def county(engine, signer, tmp_path) -> County:
    with session_scope(make_session_factory(engine)) as s:
        ledger = SqlLedger(s)
        for n in range(40):
            ledger.record(make_entry(n, township="1" if n % 2 else "2"), at=T0 + dt.timedelta(minutes=n))
            if n == 19:
                make_checkpoint(ledger, signer=signer, at=T0 + dt.timedelta(hours=1), force=True)
        sync_projection(s)
    verifier = init_witness(tmp_path / "witness", "dept.example/witness", passphrase=PASS)
    witness = open_witness(tmp_path / "witness", passphrase=PASS)
    witness.store.watch(signer.verifier.vkey)
    c = County(engine, signer, witness, WitnessConfig("local", verifier), tmp_path / "mirror")
    (outcome,) = c.checkpoint_and_cosign()
    assert outcome.cosignature is not None, outcome.message
    mirror_log("http://county/ledger", c.mirror, vkey=signer.verifier.vkey, get=c.get)
    report = c.audit()
    assert report.ok, report.problems
    return c


def _rebuild(engine: Engine) -> None:
    """What an administrator does after editing bodies: recompute leaves, nodes and the head."""
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT idx, body FROM ledger_entries ORDER BY idx")).all()
        tree = MemoryTree()
        for new_idx, (idx, body) in enumerate(rows):
            leaf = hash_leaf(bytes(body))
            conn.execute(
                text("UPDATE ledger_entries SET idx = :n, leaf_hash = :h WHERE idx = :i"),
                {"n": new_idx, "h": leaf, "i": idx},
            )
            tree.append_hash(leaf)
        conn.execute(text("DELETE FROM ledger_nodes"))
        nodes = [{"l": lv, "i": i, "h": h} for lv, level in enumerate(tree.levels) for i, h in enumerate(level)]
        conn.execute(text("INSERT INTO ledger_nodes (level, idx, hash) VALUES (:l, :i, :h)"), nodes)
        peaks = b"".join(tree.levels[lv][i] for lv, i in span_node_ids(0, tree.size))
        conn.execute(text("UPDATE ledger_head SET size = :s, peaks = :p"), {"s": tree.size, "p": peaks})


def _rewrite_reason(engine: Engine, idx: int) -> None:
    with engine.begin() as conn:
        body = bytes(conn.execute(text("SELECT body FROM ledger_entries WHERE idx = :i"), {"i": idx}).scalar_one())
        entry = dataclasses.replace(LedgerEntry.from_bytes(body), reason="事后改写的事由")
        conn.execute(text("UPDATE ledger_entries SET body = :b WHERE idx = :i"), {"b": entry.to_bytes(), "i": idx})
    _rebuild(engine)


def _indices(report, kind: str) -> list[int]:  # type: ignore[no-untyped-def]
    return [p.index for p in report.problems if p.kind == kind]


def test_editing_the_newest_reason_and_recomputing_is_located(county):
    _rewrite_reason(county.engine, 39)
    report = county.audit()
    assert not report.ok and report.first_bad_index == 39
    assert _indices(report, "kept_leaf") == [39]


def test_deleting_the_newest_five_and_rebuilding_is_located(county):
    with county.engine.begin() as conn:
        conn.execute(text("DELETE FROM ledger_entries WHERE idx >= 35"))
    _rebuild(county.engine)
    report = county.audit()
    assert report.first_bad_index == 35
    assert _indices(report, "kept_missing") == [35]
    assert _indices(report, "derived_extra") == [35, 36, 37, 38, 39]


@pytest.mark.parametrize("which", ["all", "newest"])
def test_deleting_checkpoints_and_rewriting_entry_5_is_located_and_the_witness_refuses(county, which):
    with county.engine.begin() as conn:
        if which == "all":
            conn.execute(text("DELETE FROM ledger_checkpoints"))
            conn.execute(text("DELETE FROM ledger_cosignatures"))
        else:
            conn.execute(text("DELETE FROM ledger_checkpoints WHERE size = 40"))
    _rewrite_reason(county.engine, 5)
    report = county.audit()
    assert report.first_bad_index == 5 and _indices(report, "kept_leaf") == [5]
    if which == "newest":
        # The checkpoint of size 20 that is left is broken too; the kept tiles put the break at 5.
        assert [p.index for p in report.problems if p.kind == "checkpoint_root"] == [5]
        with pytest.raises(LedgerIntegrityError):
            county.checkpoint_and_cosign()  # the county refuses to sign a forked history itself
        return
    # Without its own checkpoints the county signs the rewritten log; the witness refuses it.
    (outcome,) = county.checkpoint_and_cosign()
    assert outcome.cosignature is None and outcome.status == 422
    assert [s.size for s in county.witness.store.states()] == [40]


def test_moving_or_deleting_a_township_register_row_is_located(county):
    with county.engine.begin() as conn:
        conn.execute(text("UPDATE oversight_register SET township_id = 2 WHERE idx = 7"))
        conn.execute(text("DELETE FROM oversight_register WHERE idx = 8"))
    report = county.audit()
    assert _indices(report, "derived_differs") == [7] and "township_id" in report.problems[0].detail
    assert _indices(report, "derived_missing") == [8]
    assert report.first_bad_index == 7
