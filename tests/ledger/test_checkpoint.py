"""Signed notes and checkpoints: Go's sumdb/note vectors, sign/verify, tampering."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from esign.ledger.checkpoint import (
    Checkpoint,
    Ed25519NoteSigner,
    NoteVerifier,
    SignedNote,
    open_checkpoint,
    sign_checkpoint,
)
from esign.ledger.errors import CheckpointError
from esign.ledger.merkle import EMPTY_ROOT

from .conftest import ORIGIN

GO = json.loads((Path(__file__).parent / "vectors" / "signed_note.json").read_text())


def test_go_vector_sign_is_byte_identical():
    signer = Ed25519NoteSigner.from_skey(GO["skey"])
    assert signer.verifier.vkey == GO["vkey"]
    assert SignedNote.sign(GO["text"], signer).to_bytes() == GO["signed"].encode()


def test_go_vector_open():
    peter = NoteVerifier.from_vkey(GO["vkey"])
    enoch = NoteVerifier.from_vkey(GO["other_vkey"])
    both = (GO["signed"] + GO["other_sig_line"]).encode()
    note = SignedNote.from_bytes(both)
    assert note.verified_text(peter) == GO["text"]
    assert note.verified_text(enoch) == GO["text"]
    assert note.to_bytes() == both


def test_vkey_manglings_are_refused():
    vkey = GO["vkey"]
    for bad in [vkey[:-1], vkey + "A", vkey.replace("c74f20a3", "c74f20a4"), "a+b", vkey.replace("+ARpc", "+ZRpc")]:
        with pytest.raises(CheckpointError):
            NoteVerifier.from_vkey(bad)


def test_key_id_is_the_c2sp_hash():
    import hashlib

    key = Ed25519PrivateKey.generate()
    signer = Ed25519NoteSigner("example.com/log", key)
    raw = key.public_key().public_bytes_raw()
    assert signer.key_id == hashlib.sha256(b"example.com/log\n\x01" + raw).digest()[:4]
    v = NoteVerifier.from_vkey(signer.verifier.vkey)
    assert v.key_id == signer.key_id and v.name == "example.com/log"


def test_checkpoint_round_trip(signer):
    cp = Checkpoint(ORIGIN, 12345, bytes(range(32)))
    note = sign_checkpoint(cp, signer)
    lines = note.decode().split("\n")
    assert lines[:4] == [ORIGIN, "12345", base64.b64encode(bytes(range(32))).decode(), ""]
    assert lines[4].startswith("\u2014 " + ORIGIN + " ")
    assert base64.b64decode(lines[4].split(" ")[2])[:4] == signer.key_id
    assert open_checkpoint(note, signer.verifier) == cp
    assert open_checkpoint(sign_checkpoint(Checkpoint(ORIGIN, 0, EMPTY_ROOT), signer), signer.verifier).size == 0


def test_tampered_checkpoints_are_refused(signer):
    note = sign_checkpoint(Checkpoint(ORIGIN, 7, b"\x11" * 32), signer).decode()
    other = Ed25519NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    tampered = [
        note.replace("\n7\n", "\n8\n"),
        note.replace(ORIGIN + "\n", ORIGIN + "x\n", 1),
        note[:-3] + ("A" if note[-3] != "A" else "B") + note[-2:],
        note.replace("\n\n", "\n"),
        note + "extra\n",
        note.replace("\u2014", "-"),
    ]
    for bad in tampered:
        with pytest.raises(CheckpointError):
            open_checkpoint(bad.encode(), signer.verifier)
    with pytest.raises(CheckpointError):  # signed by someone else under the same name
        open_checkpoint(note.encode(), other.verifier)
    with pytest.raises(CheckpointError):
        open_checkpoint(note.encode(), signer.verifier, origin="another/log")


def test_unknown_signatures_are_ignored_but_a_bad_known_one_rejects(signer):
    note = sign_checkpoint(Checkpoint(ORIGIN, 3, b"\x22" * 32), signer).decode()
    assert open_checkpoint((note + GO["other_sig_line"]).encode(), signer.verifier).size == 3
    own_line = note.split("\n")[-2]
    raw = bytearray(base64.b64decode(own_line.split(" ")[2]))
    raw[10] ^= 1
    forged = "\u2014 " + ORIGIN + " " + base64.b64encode(bytes(raw)).decode() + "\n"
    with pytest.raises(CheckpointError):
        open_checkpoint((note + forged).encode(), signer.verifier)


def test_malformed_checkpoint_bodies():
    for body in ["o\n01\nAAAA\n", "o\n-1\n" + base64.b64encode(EMPTY_ROOT).decode() + "\n", "o\n1\n", "o\n1\nAAAA\n"]:
        with pytest.raises(CheckpointError):
            Checkpoint.from_body(body)
    with pytest.raises(CheckpointError):
        Checkpoint("has space", 1, EMPTY_ROOT)
    with pytest.raises(CheckpointError):
        Checkpoint("o", 1, b"short")


def test_signer_name_must_be_origin(signer):
    with pytest.raises(CheckpointError):
        sign_checkpoint(Checkpoint("other/log", 1, EMPTY_ROOT), signer)
