"""End to end with real processes: a department's witness (``esign witness serve``) cosigns the county's
checkpoints made by the service's timer; ``esign verify`` reports the document's entry as witnessed; after a
database administrator rewrites the register, the department's mirror names the entry and the witness
refuses the rewritten history, and still remembers after a restart.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import text

from esign.config import Settings
from esign.deployment import Deployment
from esign.ledger.mirror import mirror_log
from esign.setup import create_demo
from esign.workflow.verification import verify_document
from service.app import create_app
from service.live import free_port
from tests.ledger.test_tamper import _rewrite_reason
from tests.pdfgen import decision_pdf

ENV = {**os.environ, "ESIGN_WITNESS_PASSPHRASE": "department secret"}


def _esign(*args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
    run = subprocess.run(
        [sys.executable, "-m", "esign", *args], env={**ENV, **env}, capture_output=True, text=True, timeout=120
    )
    if check:
        assert run.returncode == 0, run.stdout + run.stderr
    return run


@contextmanager
def _witness_server(directory: Path, port: int, log: Path) -> Iterator[str]:
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "esign", "witness", "serve", str(directory), "--port", str(port)],
            env=ENV,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _wait(pred, what: str, timeout: float = 20.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = pred()
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_witnessed_register_end_to_end(tmp_path):
    wdir, port, wlog = tmp_path / "witness", free_port(), tmp_path / "witness.log"
    vkey = _esign("witness", "init", str(wdir), "--name", "dept.example/w1").stdout.strip()
    home = tmp_path / "home"
    with _witness_server(wdir, port, wlog) as wurl:
        dep = Deployment.open(
            Settings(
                home=home, public_base_url="http://testserver", ledger_witnesses=f"{wurl} {vkey}", witness_quorum=1
            )
        )
        rows = create_demo(dep, at=dt.datetime.now(dt.UTC))
        assert rows is not None
        tokens = {name: token for name, _r, _t, token in rows}
        _esign("witness", "watch", str(wdir), dep.ledger_verifier.vkey)

        def auth(user: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {tokens[user]}"}

        with TestClient(create_app(deployment=dep, checkpoint_interval=0.3)) as client:
            req = client.post(
                "/api/v1/stamp-requests",
                data={"seal": "古县乡", "item": "1", "reason": "受理", "title": "受理通知书"},
                files={"file": ("d.pdf", decision_pdf(organisation="蒲县古县乡人民政府", number="第1号"))},
                headers=auth("古县乡窗口"),
            ).json()
            done = client.post(f"/api/v1/stamp-requests/{req['id']}/approve", headers=auth("古县乡批准人")).json()
            pdf = client.get(done["result_url"], headers=auth("古县乡窗口")).content
            cp = _wait(
                lambda: (c := client.get("/api/v1/ledger/checkpoint").json()).get("cosignatures") and c,
                "a cosigned checkpoint",
            )
            assert cp["cosignatures"][0]["witness"] == "dept.example/w1"
            assert "— dept.example/w1 " in client.get("/ledger/checkpoint").text

            report = verify_document(dep, pdf, at=dt.datetime.now(dt.UTC))
            assert report.ledger.cosignatures == 1 and report.ledger.witnessed is True
            page = client.post("/verify", files={"file": ("stamped.pdf", pdf, "application/pdf")})
            assert "1/1 个县直部门见证人联署" in page.text and "已见证" in page.text
            doc = tmp_path / "stamped.pdf"
            doc.write_bytes(pdf)
            shown = _esign(
                "verify",
                str(doc),
                "--home",
                str(home),
                ESIGN_LEDGER_WITNESSES=f"{wurl} {vkey}",
                ESIGN_WITNESS_QUORUM="1",
            )
            assert "1/1 个见证人联署" in shown.stdout, shown.stdout

            mirror = tmp_path / "mirror"
            mirror_log(
                "http://testserver/ledger", mirror, vkey=dep.ledger_verifier.vkey, get=lambda u: client.get(u).content
            )
            ok = _esign("ledger", "verify", "--home", str(home), "--checkpoint", str(mirror))
            assert "延续了保存的检查点" in ok.stdout

            # The administrator rewrites the newest entry, deletes the checkpoints and their cosignatures.
            with dep.engine.begin() as conn:
                newest = conn.execute(text("SELECT max(idx) FROM ledger_entries")).scalar_one()
                conn.execute(text("DELETE FROM ledger_checkpoints"))
                conn.execute(text("DELETE FROM ledger_cosignatures"))
            _rewrite_reason(dep.engine, newest)
            bad = _esign("ledger", "verify", "--home", str(home), "--checkpoint", str(mirror), "--json", check=False)
            report_json = json.loads(bad.stdout)
            assert bad.returncode == 1 and report_json["first_bad_index"] == newest
            assert [p["kind"] for p in report_json["problems"]] == ["kept_leaf"]

            # The timer signs the rewritten log; the witness refuses it (409, then 422 on the retry).
            status = _wait(
                lambda: [
                    r
                    for r in json.loads(_esign("witness", "status", str(wdir), "--json").stdout)["refusals"]
                    if r["status"] == 422
                ],
                "the witness to refuse the fork",
            )
            assert "fork" in status[0]["reason"]
        dep.close()
    assert "refused" in wlog.read_text()
    # A restarted witness still holds the size it cosigned and still refuses.
    with _witness_server(wdir, free_port(), wlog) as wurl2:
        logs = httpx.get(wurl2 + "/logs").json()
        assert logs[0]["size"] == cp["size"] and logs[0]["origin"] == "testserver/ledger"
