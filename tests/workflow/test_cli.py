"""The operator's commands on a data home: stamp, then verify online and offline (exit codes)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys

import pytest

from esign.config import Settings
from esign.deployment import Deployment
from esign.registry.accounts import authenticate_token
from tests.pdfgen import decision_pdf


def _esign(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "esign", *args], capture_output=True, text=True, timeout=300)


def _stamp_options(county) -> tuple[str, ...]:
    return (
        "--seal",
        "克城镇",
        "--item",
        "1",
        "--reason",
        "受理",
        "--user",
        "克城镇窗口",
        "--approver",
        "克城镇批准人",
        "--home",
        str(county.home),
    )


def test_stamp_then_verify_online_and_offline(county, tmp_path):
    src, out = tmp_path / "in.pdf", tmp_path / "out.pdf"
    src.write_bytes(decision_pdf(number="克政审受字〔2025〕第777号"))
    r = _esign(
        "stamp",
        str(src),
        "-o",
        str(out),
        *_stamp_options(county),
        "--json",
    )
    assert r.returncode == 0, r.stderr
    entry = json.loads(r.stdout)["entry_id"]

    online = _esign("verify", str(out), "--home", str(county.home), "--json")
    assert online.returncode == 0, online.stdout
    report = json.loads(online.stdout)
    assert report["indication"] == "TOTAL_PASSED" and report["ledger"]["entry_id"] == entry
    assert set(report) >= {"indication", "subindication", "conclusion_zh", "signatures"}

    offline = _esign("verify", str(out), "--trust", str(county.home / "certs" / "root.crt"), "--offline", "--json")
    assert offline.returncode == 0 and json.loads(offline.stdout)["ledger"]["status"] == "not_checked"

    tampered = tmp_path / "tampered.pdf"
    data = bytearray(out.read_bytes())
    data[12] ^= 0x01  # one bit in the binary comment after the header: inside the signed bytes
    tampered.write_bytes(bytes(data))
    bad = _esign("verify", str(tampered), "--home", str(county.home))
    assert bad.returncode == 1 and "TOTAL_PASSED" not in bad.stdout


def test_errors_are_chinese_and_english_with_an_exit_code(county, tmp_path):
    src = tmp_path / "x.pdf"
    src.write_bytes(b"not a pdf")
    r = _esign(
        "stamp",
        str(src),
        "-o",
        str(tmp_path / "o.pdf"),
        *_stamp_options(county),
    )
    assert r.returncode == 2 and "错误" in r.stderr and "not_pdf" in r.stderr and "Traceback" not in r.stderr
    r = _esign("seal", "show", "不存在乡", "--home", str(county.home))
    assert r.returncode == 3 and "seal_not_found" in r.stderr


def test_demo_tokens_are_printed_whole_into_a_log_file(tmp_path):
    """`esign demo` (as `dev.sh serve` runs it) shows each token once: piped into a file, where the
    console is 80 columns wide, every token must still come out whole and sign in."""
    home = tmp_path / "home"
    env = {**os.environ, "COLUMNS": "80", "ESIGN_HOME": str(home)}
    r = subprocess.run(
        [sys.executable, "-m", "esign", "demo"], capture_output=True, text=True, timeout=300, env=env, check=False
    )
    assert r.returncode == 0, r.stderr
    rows = re.findall(r"│ (\S+)\s+│[^│]+│[^│]+│ (esk_\S+) +│", r.stdout)
    assert len(rows) == 26, r.stdout
    dep = Deployment.open(Settings(home=home), migrate_db=False)
    try:
        with dep.transaction() as session:
            for name, token in rows:
                assert authenticate_token(session, token, at=dt.datetime.now(dt.UTC)).name == name
    finally:
        dep.close()


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("--also-pages", "a,b"), "bad_placement"),
        (("--page", str(2**63), "--x", "10", "--y", "10"), "bad_placement"),
        (("--x", "1e999", "--y", "10"), "bad_placement"),
        (("--reason", "受理\u202e申请"), "invalid_text"),
    ],
    ids=["also-words", "page-2^63", "x-inf", "reason-bidi"],
)
def test_hostile_options_are_one_clear_error(county, tmp_path, args, code):
    src = tmp_path / "in.pdf"
    src.write_bytes(decision_pdf(number="第778号"))
    options = list(_stamp_options(county))
    if "--reason" in args:
        i = options.index("--reason")
        del options[i : i + 2]
    r = _esign("stamp", str(src), "-o", str(tmp_path / "o.pdf"), *options, *args)
    assert r.returncode == 2 and code in r.stderr and "Traceback" not in r.stderr, r.stderr
