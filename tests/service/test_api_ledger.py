"""The register's public proofs over HTTP: signed checkpoint, inclusion and consistency proofs."""

from __future__ import annotations

import base64
import json

from esign.ledger import NoteVerifier, open_checkpoint
from esign.ledger.entry import LedgerEntry
from esign.ledger.merkle import hash_leaf, verify_consistency, verify_inclusion
from tests.pdfgen import decision_pdf


def _stamp(demo, n: int) -> str:
    req = demo.client.post(
        "/api/v1/stamp-requests",
        data={"seal": "古县乡", "item": "1", "reason": f"受理{n}", "title": "受理通知书"},
        files={"file": ("d.pdf", decision_pdf(organisation="蒲县古县乡人民政府", number=f"第{n}号"))},
        headers=demo.headers("古县乡窗口"),
    ).json()
    done = demo.client.post(f"/api/v1/stamp-requests/{req['id']}/approve", headers=demo.headers("古县乡批准人"))
    assert done.status_code == 200, done.text
    return done.json()["entry_id"]


def test_checkpoint_inclusion_and_consistency_proofs_verify(demo):
    first = _stamp(demo, 1)
    cp1 = demo.client.post("/api/v1/ledger/checkpoint", headers=demo.headers("县审批局管理员")).json()
    second = _stamp(demo, 2)
    assert demo.client.post("/api/v1/ledger/checkpoint", headers=demo.headers("古县乡窗口")).status_code == 403
    cp2 = demo.client.post("/api/v1/ledger/checkpoint", headers=demo.headers("县审批局管理员")).json()
    verifier = NoteVerifier.from_vkey(cp2["verifier_key"])
    c1 = open_checkpoint(cp1["note"].encode(), verifier)
    c2 = open_checkpoint(cp2["note"].encode(), verifier)
    assert c2.size == c1.size + 1

    for entry_id in (first, second):
        e = demo.client.get(f"/api/v1/ledger/entries/{entry_id}", headers=demo.headers("县审批局管理员")).json()
        assert not e["pending"]
        body = json.dumps(e["entry"], sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        leaf = hash_leaf(LedgerEntry.from_bytes(body).to_bytes())  # the canonical bytes, re-derived here
        assert leaf == base64.b64decode(e["leaf_hash"])
        proof = [base64.b64decode(h) for h in e["inclusion_proof"]]
        verify_inclusion(e["index"], c2.size, leaf, proof, c2.root_hash)

    cons = demo.client.get("/api/v1/ledger/proof/consistency", params={"from": c1.size, "to": c2.size}).json()
    verify_consistency(c1.size, c2.size, c1.root_hash, c2.root_hash, [base64.b64decode(h) for h in cons["proof"]])


def test_unknown_entry_and_bad_sizes_are_4xx(demo):
    assert demo.client.get("/api/v1/ledger/entries/AAAAAAAAAAAAAAAAAAAAAA").status_code == 404
    r = demo.client.get("/api/v1/ledger/proof/consistency", params={"from": 5, "to": 2})
    assert r.status_code == 400 and r.json()["error"]["message_zh"]
