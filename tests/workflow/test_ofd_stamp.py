"""OFD decisions through the same paths as PDF: ``esign stamp`` (sniffed by content, not by name),
one register entry per stamp; the stamped OFD passes esign's OFD verifier with the register entry
found from its QR annotation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from esign.ledger import SqlLedger
from esign.ofd import OfdPackage
from esign.ofd.verify import entry_ids
from tests.ofd.demo import require_seal_data

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "ofd-samples"


def _esign(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "esign", *args], capture_output=True, text=True, timeout=300)


def _options(county) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    return (
        "--seal", "克城镇", "--item", "1", "--reason", "受理", "--user", "克城镇窗口",
        "--approver", "克城镇批准人", "--home", str(county.home),
    )  # fmt: skip


def test_cli_stamps_sample_ofds(county, tmp_path):  # type: ignore[no-untyped-def]
    require_seal_data(county.dep)
    with county.dep.transaction() as session:
        before = SqlLedger(session).head()[0]
    entries = []
    for name, where in [
        ("helloworld", ("--page", "1", "--x", "150", "--y", "240")),
        ("Page5", ("--page", "-1", "--x", "150", "--y", "240", "--riding")),
        ("SESV4SignDoc", ("--page", "1", "--x", "150", "--y", "240")),
    ]:
        src = tmp_path / f"{name}.bin"  # sniffed by content: the name says nothing
        src.write_bytes((SAMPLES / f"{name}.ofd").read_bytes())
        out = tmp_path / f"{name}-stamped.ofd"
        r = _esign("stamp", str(src), "-o", str(out), *where, *_options(county), "--json")
        assert r.returncode == 0, r.stderr + r.stdout
        entry = json.loads(r.stdout)["entry_id"]
        entries.append(entry)
        pkg = OfdPackage.from_bytes(out.read_bytes())
        assert any(n.endswith("/SignedValue.dat") and "Sign_" in n for n in pkg.names)
        if name != "SESV4SignDoc":  # ofdrw's signature protects its Document.xml: no QR annotation there
            assert entry_ids(pkg) == (entry,)
        if name == "helloworld":  # esign verify, on the same home: the signature and the register entry
            v = _esign("verify", str(out), "--home", str(county.home), "--json")
            report = json.loads(v.stdout)
            assert v.returncode == 0 and report["indication"] == "TOTAL_PASSED", v.stdout[-3000:]
            assert report["ledger"]["entry_id"] == entry
    with county.dep.transaction() as session:
        assert SqlLedger(session).head()[0] == before + 3
        for entry in entries:  # each in the register, with the stamped file's hash
            assert SqlLedger(session).entry_by_id(entry) is not None
    assert len(set(entries)) == 3


def test_cli_refuses_a_locked_ofd_with_a_code(county, tmp_path):  # type: ignore[no-untyped-def]
    src = tmp_path / "keyword.ofd"
    src.write_bytes((SAMPLES / "keyword.ofd").read_bytes())
    r = _esign("stamp", str(src), "-o", str(tmp_path / "x.ofd"), *_options(county), "--json")
    assert r.returncode != 0 and "ofd_signatures_locked" in r.stdout + r.stderr
    assert not (tmp_path / "x.ofd").exists()
