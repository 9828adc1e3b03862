"""The witness (c2sp.org/tlog-witness): cosigns extensions only, refuses forks loudly, remembers across restarts."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from esign.ledger import Checkpoint, Ed25519NoteSigner, sign_checkpoint
from esign.ledger.checkpoint import SignedNote
from esign.ledger.cosign import CosignatureVerifier, Cosigner, cosigned_by
from esign.ledger.errors import CheckpointError, WitnessRefusal
from esign.ledger.merkle import MemoryTree, hash_leaf
from esign.ledger.witness import add_checkpoint_body
from esign.ledger.witness_home import init_witness, open_witness
from service.witness_app import create_witness_app
from tests.ledger.conftest import ORIGIN

AT = dt.datetime(2026, 12, 6, 8, 0, tzinfo=dt.UTC)
PASS = b"witness passphrase for tests"


def _tree(n: int, tag: str = "") -> MemoryTree:
    return MemoryTree(hash_leaf(f"entry {i}{tag if i >= 5 else ''}".encode()) for i in range(n))


def _request(signer: Ed25519NoteSigner, tree: MemoryTree, size: int, old: int) -> bytes:
    note = sign_checkpoint(Checkpoint(signer.name, size, tree.root(size)), signer)
    proof = tree.consistency_proof(old, size) if old else []
    return add_checkpoint_body(old, proof, note)


@pytest.fixture
def witness_dir(tmp_path, signer):
    verifier = init_witness(tmp_path / "w", "witness.dept.example/w1", passphrase=PASS)
    open_witness(tmp_path / "w", passphrase=PASS).store.watch(signer.verifier.vkey)
    return tmp_path / "w", verifier


def test_cosigns_an_extension_with_a_timestamped_cosignature(witness_dir, signer):
    directory, verifier = witness_dir
    w = open_witness(directory, passphrase=PASS)
    tree = _tree(20)
    first = w.add_checkpoint(_request(signer, tree, 7, 0), at=AT)
    second = w.add_checkpoint(_request(signer, tree, 20, 7), at=AT + dt.timedelta(seconds=3))
    note = sign_checkpoint(Checkpoint(ORIGIN, 20, tree.root()), signer)
    (cosig,) = cosigned_by(note + second, [verifier])
    assert cosig.witness == "witness.dept.example/w1" and cosig.at == AT + dt.timedelta(seconds=3)
    # The first cosignature is over size 7, not 20: it does not verify on the size-20 note.
    with pytest.raises(CheckpointError):
        cosigned_by(note + first, [verifier])
    assert [(s.size, s.root_hash) for s in w.store.states()] == [(20, tree.root())]


def test_refuses_a_fork_with_422_and_records_it(witness_dir, signer, caplog):
    directory, _ = witness_dir
    w = open_witness(directory, passphrase=PASS)
    honest = _tree(10)
    w.add_checkpoint(_request(signer, honest, 10, 0), at=AT)
    forked = _tree(12, tag=" rewritten")  # entries 5.. differ: the same first 5, another history after
    with caplog.at_level(logging.ERROR, logger="esign.witness"), pytest.raises(WitnessRefusal) as err:
        w.add_checkpoint(_request(signer, forked, 12, 10), at=AT)
    assert err.value.http_status == 422 and "fork" in err.value.message_en and "分叉" in err.value.message_zh
    assert any("refused" in r.message for r in caplog.records)
    # A rewritten history of the same size is a fork too.
    with pytest.raises(WitnessRefusal) as same:
        w.add_checkpoint(_request(signer, _tree(10, tag=" x"), 10, 10), at=AT)
    assert same.value.http_status == 422
    assert [s.size for s in w.store.states()] == [10]
    assert [c for _, c, _ in w.store.refusals()] == [422, 422]


def test_spec_statuses_for_bad_requests(witness_dir, signer):
    directory, _ = witness_dir
    w = open_witness(directory, passphrase=PASS)
    tree = _tree(8)
    w.add_checkpoint(_request(signer, tree, 4, 0), at=AT)
    with pytest.raises(WitnessRefusal) as stale:
        w.add_checkpoint(_request(signer, tree, 8, 0), at=AT)
    assert stale.value.http_status == 409 and stale.value.data["size"] == 4
    stranger = Ed25519NoteSigner("other.example/log", Ed25519PrivateKey.generate())
    with pytest.raises(WitnessRefusal) as unknown:
        w.add_checkpoint(_request(stranger, tree, 8, 4), at=AT)
    assert unknown.value.http_status == 404
    impostor = Ed25519NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    with pytest.raises(WitnessRefusal) as forged:
        w.add_checkpoint(_request(impostor, tree, 8, 4), at=AT)
    assert forged.value.http_status == 403
    body = _request(signer, tree, 4, 0).replace(b"old 0", b"old 6")
    with pytest.raises(WitnessRefusal) as backwards:
        w.add_checkpoint(body, at=AT)
    assert backwards.value.http_status == 400


def test_state_survives_a_restart(witness_dir, signer):
    directory, verifier = witness_dir
    tree = _tree(30)
    open_witness(directory, passphrase=PASS).add_checkpoint(_request(signer, tree, 11, 0), at=AT)
    again = open_witness(directory, passphrase=PASS)  # a new process: key and memory from the directory
    assert again.cosigner.verifier.vkey == verifier.vkey
    with pytest.raises(WitnessRefusal) as err:
        again.add_checkpoint(_request(signer, tree, 30, 0), at=AT)
    assert err.value.data["size"] == 11
    assert again.add_checkpoint(_request(signer, tree, 30, 11), at=AT).startswith("— witness.dept.example/w1 ".encode())
    with pytest.raises(Exception):  # noqa: B017 - the wrong passphrase cannot open the key
        open_witness(directory, passphrase=b"wrong")
    assert b"PRIVATE KEY-----\nMII" not in next((directory / "keys").iterdir()).read_bytes()


def test_http_add_checkpoint(witness_dir, signer):
    directory, verifier = witness_dir
    app = create_witness_app(open_witness(directory, passphrase=PASS), clock=lambda: AT)
    client = TestClient(app)
    tree = _tree(6)
    ok = client.post("/add-checkpoint", content=_request(signer, tree, 6, 0))
    assert ok.status_code == 200 and ok.headers["content-type"].startswith("text/plain")
    note = sign_checkpoint(Checkpoint(ORIGIN, 6, tree.root()), signer)
    assert cosigned_by(SignedNote.from_bytes(note + ok.content), [verifier])
    conflict = client.post("/add-checkpoint", content=_request(signer, tree, 6, 0))
    assert conflict.status_code == 409 and conflict.text == "6\n"
    assert conflict.headers["content-type"].startswith("text/x.tlog.size")
    fork = client.post("/add-checkpoint", content=_request(signer, _tree(9, " f"), 9, 6))
    assert fork.status_code == 422 and "分叉" in fork.text
    assert client.post("/add-checkpoint", content=b"garbage").status_code == 400


def test_cosignature_key_format_is_the_spec_one():
    key = Ed25519PrivateKey.generate()
    v = Cosigner("w.example/x", key).verifier
    name, key_id, b64 = v.vkey.split("+", 2)
    assert name == "w.example/x" and len(key_id) == 8
    assert CosignatureVerifier.from_vkey(v.vkey).key_id == v.key_id
    import base64

    assert base64.b64decode(b64)[0] == 0x04
