"""`esign stamp-batch`: a folder of decisions on all cores, failures reported without stopping the others, and
the same folder again answered from the register."""

from __future__ import annotations

import json
import subprocess
import sys

from esign.ledger import SqlLedger
from tests.pdfgen import decision_pdf


def test_batch_stamps_every_good_file_and_reports_the_bad_one(county, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(4):
        (folder / f"受理通知书-{n}.pdf").write_bytes(decision_pdf(number=f"克政审受字〔2025〕第{300 + n}号"))
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7 this is not really a pdf")
    out = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "esign",
        "stamp-batch",
        str(folder),
        "-o",
        str(out),
        "--seal",
        "克城镇",
        "--user",
        "克城镇窗口",
        "--approver",
        "克城镇批准人",
        "--item",
        "1",
        "--reason",
        "批量受理",
        "--workers",
        "2",
        "--home",
        str(county.home),
        "--json",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 1, result.stderr  # one failure -> non-zero exit, the others still done
    summary = json.loads(result.stdout)
    assert summary["total"] == 5 and summary["stamped"] == 4
    assert [f["file"] for f in summary["failed"]] == ["broken.pdf"]
    assert "pdf_malformed" in summary["failed"][0]["message"]
    assert sorted(p.name for p in out.iterdir()) == [f"受理通知书-{n}.pdf" for n in range(4)]
    assert all((out / f"受理通知书-{n}.pdf").read_bytes().startswith(b"%PDF") for n in range(4))

    stamped = {p.name: p.read_bytes() for p in out.iterdir()}
    entries = _entries(county)
    again = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 1, again.stderr  # the same files again: answered from the register
    assert json.loads(again.stdout) == summary
    assert _entries(county) == entries and {p.name: p.read_bytes() for p in out.iterdir()} == stamped


def _entries(county) -> int:
    with county.dep.transaction() as session:
        return SqlLedger(session).head()[0]
