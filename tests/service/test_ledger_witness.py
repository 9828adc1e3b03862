"""The register as a witnessed transparency log over HTTP: the signed note as text/plain, tlog-tiles,
a public view without staff names, the checkpoint timer, and an independent check with Go's
golang.org/x/mod/sumdb/{note,tlog} (Debian golang-golang-x-mod-dev) of notes, cosignatures, proofs and tiles.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from esign.ledger import SqlLedger, open_checkpoint
from esign.ledger.cosign import cosigned_by
from esign.ledger.cosigning import WitnessConfig, collect_cosignatures
from esign.ledger.errors import WitnessRefusal
from esign.ledger.merkle import hash_leaf
from esign.ledger.tiles import tiles_for_size
from esign.ledger.witness_home import init_witness, open_witness
from esign.workflow.checkpoints import checkpoint_tick
from service.app import create_app
from tests.ledger.conftest import T0, make_entry

GO_SRC = Path(__file__).parents[1] / "ledger" / "go" / "checklog.go"
GOPATH = Path("/usr/share/gocode")
PASS = b"tests witness passphrase"


def _fill(demo, n: int) -> None:
    with demo.deployment.transaction() as s:
        ledger = SqlLedger(s)
        for i in range(n):
            ledger.record(make_entry(i), at=T0)


def _witness(tmp_path, demo):
    verifier = init_witness(tmp_path / "w", "witness.dept.example/w1", passphrase=PASS)
    w = open_witness(tmp_path / "w", passphrase=PASS)
    w.store.watch(demo.client.get("/ledger/vkey").text)

    def transport(url: str, body: bytes) -> tuple[int, bytes]:
        try:
            return 200, w.add_checkpoint(body, at=dt.datetime.now(dt.UTC))
        except WitnessRefusal as e:
            return e.http_status, (f"{e.data.get('size', '')}\n").encode()

    return WitnessConfig("local", verifier), transport


def test_checkpoint_note_is_served_as_text_plain_per_spec(demo):
    _fill(demo, 3)
    admin = demo.headers("县审批局管理员")
    assert demo.client.post("/api/v1/ledger/checkpoint", headers=admin).status_code == 200
    r = demo.client.get("/ledger/checkpoint")
    assert r.status_code == 200 and r.headers["content-type"] == "text/plain; charset=utf-8"
    origin, size, root, blank, sig, end = r.text.split("\n")
    assert origin == "testserver/ledger" and int(size) >= 3 and blank == "" and end == ""
    assert len(base64.b64decode(root)) == 32 and sig.startswith("— testserver/ledger ")
    vkey = demo.client.get("/ledger/vkey").text.strip()
    assert vkey.startswith("testserver/ledger+") and open_checkpoint(r.content, demo.deployment.ledger_verifier)


def test_public_entry_view_has_no_staff_names_but_staff_see_them(demo):
    _fill(demo, 1)
    with demo.deployment.transaction() as s:
        entry = SqlLedger(s).entry_at(0).entry
    public = demo.client.get(f"/api/v1/ledger/entries/{entry.entry_id}")
    text = public.text
    assert public.status_code == 200 and public.json()["redacted"] is True
    for secret in (entry.user, entry.approver, entry.reason):
        assert secret not in text
    assert public.json()["entry"]["output_sha256"] == entry.output_sha256
    staff = demo.client.get(f"/api/v1/ledger/entries/{entry.entry_id}", headers=demo.headers("县审批局管理员")).json()
    assert staff["entry"]["user"] == entry.user and staff["redacted"] is False
    # The public leaf hash binds the names: it is the hash of the full entry staff see.
    body = json.dumps(staff["entry"], sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert hash_leaf(body) == base64.b64decode(public.json()["leaf_hash"])
    bundle = demo.client.get("/ledger/tile/entries/000.p/1")
    assert bundle.status_code == 401
    assert demo.client.get("/ledger/tile/entries/000.p/1", headers=demo.headers("县审批局管理员")).status_code == 200


def test_tiles_beyond_the_log_and_bad_paths_are_4xx(demo):
    assert demo.client.get("/ledger/tile/0/x999/000").status_code == 404
    assert demo.client.get("/ledger/tile/0/12").status_code == 400
    assert demo.client.get("/ledger/tile/0/000.p/256").status_code == 400


def test_checkpoint_tick_is_idempotent_across_workers(demo):
    _fill(demo, 2)
    results = []
    at = dt.datetime.now(dt.UTC)
    threads = [
        threading.Thread(target=lambda: results.append(checkpoint_tick(demo.deployment, at=at))) for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.checkpoint is not None for r in results) == 1
    assert all(r.checkpoint is None for r in [checkpoint_tick(demo.deployment, at=at)])


def test_timer_checkpoints_an_idle_log_within_the_interval(demo):
    with TestClient(create_app(deployment=demo.deployment, checkpoint_interval=0.3)):
        _fill(demo, 1)
        with demo.deployment.transaction() as s:
            size, _ = SqlLedger(s).head()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with demo.deployment.transaction() as s:
                latest = SqlLedger(s).latest_checkpoint()
            if latest is not None and latest.size >= size:
                break
            time.sleep(0.1)
    assert latest is not None and latest.size >= size


@pytest.mark.skipif(
    not shutil.which("go") or not (GOPATH / "src/golang.org/x/mod").exists(),
    reason="dev.sh installs golang-go and golang-golang-x-mod-dev",
)
def test_go_x_mod_checks_notes_cosignatures_proofs_and_tiles(demo, tmp_path):
    cfg, transport = _witness(tmp_path, demo)
    admin = demo.headers("县审批局管理员")
    _fill(demo, 5)
    old = demo.client.post("/api/v1/ledger/checkpoint", headers=admin).json()
    (first,) = collect_cosignatures(demo.deployment.transaction, [cfg], transport)
    assert first.cosignature is not None, first.message
    _fill(demo, 600)  # two full level-0 tiles, a partial one, and a level-1 tile
    new = demo.client.post("/api/v1/ledger/checkpoint", headers=admin).json()
    (second,) = collect_cosignatures(demo.deployment.transaction, [cfg], transport)
    assert second.cosignature is not None and second.status == 200

    out = tmp_path / "mirror"
    out.mkdir()
    note = demo.client.get("/ledger/checkpoint").content
    assert cosigned_by(note, [cfg.verifier])
    (out / "checkpoint").write_bytes(note)
    (out / "vkey").write_text(demo.client.get("/ledger/vkey").text)
    (out / "witness.vkey").write_text(cfg.verifier.vkey + "\n")
    size = new["size"]
    for ref in tiles_for_size(size):
        tile = demo.client.get(f"/ledger/{ref.path()}")
        assert tile.status_code == 200 and tile.headers["content-type"] == "application/octet-stream"
        (out / ref.path()).parent.mkdir(parents=True, exist_ok=True)
        (out / ref.path()).write_bytes(tile.content)
    inclusion = []
    with demo.deployment.transaction() as s:
        ids = [SqlLedger(s).entry_at(i).entry.entry_id for i in (0, 257, size - 1)]
    for entry_id in ids:
        e = demo.client.get(f"/api/v1/ledger/entries/{entry_id}", headers=admin).json()
        body = json.dumps(e["entry"], sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        inclusion.append(
            {
                "index": e["index"],
                "body": base64.b64encode(body).decode(),
                "leaf": e["leaf_hash"],
                "proof": e["inclusion_proof"],
            }
        )
    cons = demo.client.get("/api/v1/ledger/proof/consistency", params={"from": old["size"], "to": size}).json()
    (out / "proofs.json").write_text(
        json.dumps(
            {
                "inclusion": inclusion,
                "consistency": {"old": old["size"], "old_root": old["root_hash"], "proof": cons["proof"]},
            }
        )
    )
    build = tmp_path / "go"
    build.mkdir()
    shutil.copy(GO_SRC, build / "checklog.go")
    env = {
        **os.environ,
        "GOPATH": str(GOPATH),
        "GO111MODULE": "off",
        "GOFLAGS": "",
        "GOCACHE": str(tmp_path / "gocache"),
    }
    subprocess.run(["go", "build", "-o", "checklog", "checklog.go"], cwd=build, env=env, check=True, timeout=300)
    run = subprocess.run([str(build / "checklog"), str(out)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "OK cosignature witness.dept.example/w1" in run.stdout and "OK tiles root" in run.stdout
    assert run.stdout.count("OK inclusion") == 3 and f"OK consistency {old['size']} {size}" in run.stdout

    # The same program refuses a tampered tile and a forged cosignature.
    level0 = out / tiles_for_size(size)[0].path()
    good = level0.read_bytes()
    level0.write_bytes(good[: 32 * 100] + bytes([good[32 * 100] ^ 1]) + good[32 * 100 + 1 :])
    bad = subprocess.run([str(build / "checklog"), str(out)], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "FAIL" in bad.stdout
    level0.write_bytes(good)
    lines = note.decode().split("\n")
    forged = [
        ln[:-8] + ("AAAAAAA=" if not ln.endswith("AAAAAAA=") else "BBBBBBB=") if ln.startswith("— witness") else ln
        for ln in lines
    ]
    (out / "checkpoint").write_text("\n".join(forged))
    bad = subprocess.run([str(build / "checklog"), str(out)], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "cosignature" in bad.stdout


def test_witness_cli_fetches_cosigns_and_refuses_loudly(demo, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from esign.cli import witness as wcli
    from esign.ledger import Checkpoint, Ed25519NoteSigner, sign_checkpoint
    from esign.ledger.witness import add_checkpoint_body

    monkeypatch.setenv("ESIGN_WITNESS_PASSPHRASE", "cli test passphrase")
    from esign.ledger import mirror

    # The county service answers in process: the witness's HTTP reads go to the test client.
    monkeypatch.setattr(mirror, "http_get", lambda url: demo.client.get(url.replace("http://testserver", "")).content)
    runner = CliRunner()
    wdir = str(tmp_path / "w")
    vkey = runner.invoke(wcli.app, ["init", wdir, "--name", "dept.example/cli"])
    assert vkey.exit_code == 0 and vkey.stdout.startswith("dept.example/cli+")
    assert runner.invoke(wcli.app, ["watch", wdir, demo.client.get("/ledger/vkey").text.strip()]).exit_code == 0
    admin = demo.headers("县审批局管理员")
    _fill(demo, 3)
    demo.client.post("/api/v1/ledger/checkpoint", headers=admin)
    first = runner.invoke(wcli.app, ["fetch", wdir, "http://testserver"])
    assert first.exit_code == 0 and first.stdout.startswith("— dept.example/cli "), first.output
    _fill(demo, 4)
    demo.client.post("/api/v1/ledger/checkpoint", headers=admin)
    second = runner.invoke(wcli.app, ["fetch", wdir, "http://testserver"])  # with a consistency proof this time
    assert second.exit_code == 0, second.output
    status = json.loads(runner.invoke(wcli.app, ["status", wdir, "--json"]).stdout)
    size = status["logs"][0]["size"]
    # A note signed with the county's real key over another history of the same size: refused.
    signer = demo.deployment.ledger_signer
    assert isinstance(signer, Ed25519NoteSigner)
    forged = sign_checkpoint(Checkpoint(signer.name, size, bytes(32)), signer)
    req = tmp_path / "req"
    req.write_bytes(add_checkpoint_body(size, [], forged))
    refused = runner.invoke(wcli.app, ["add", wdir, str(req)])
    assert refused.exit_code != 0 and isinstance(refused.exception, WitnessRefusal)
    assert refused.exception.http_status == 422 and "分叉" in refused.exception.message_zh
