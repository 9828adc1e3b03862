"""``esign verify`` with several files (esign/cli/verify.py): one process, a verdict per file, a summary.

Each file's section must be what the one-file command prints for that file, so the tests run the one-file
command on each file and look for its output, whole, in the several-file run. The expectations (which file
passes, the counts, the exit codes) follow from how the fixtures are built, not from the code under test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from tests.verify.docs import simple_pdf
from tests.verify.factory import T0, Level, TestPKI

ESIGN = Path(sys.executable).with_name("esign")
TRUST = ("--trust", "root.pem")


def _esign(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESIGN_")}  # no data home from the caller
    return subprocess.run([str(ESIGN), *args], capture_output=True, text=True, timeout=300, cwd=cwd, env=env)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    """Two genuine B-LT documents, one changed after stamping, one that is not a PDF, and the root."""
    folder = tmp_path_factory.mktemp("many")
    county = TestPKI.create()
    seal = county.issue_seal()
    for name, lines in (("good.pdf", ["First decision"]), ("good2.pdf", ["Second decision"])):
        (folder / name).write_bytes(county.sign(simple_pdf(lines), seal, at=T0, level=Level.B_LT))
    genuine = (folder / "good.pdf").read_bytes()
    assert genuine.count(b"First decision") == 1
    (folder / "tampered.pdf").write_bytes(genuine.replace(b"First decision", b"Fifth decision"))
    (folder / "notes.pdf").write_bytes(b"minutes of the meeting, plain text\n")
    (folder / "root.pem").write_bytes(county.root.public_bytes(serialization.Encoding.PEM))
    return folder


def _without_time(report: dict[str, Any]) -> dict[str, Any]:
    """A report without the moment of validation (each run has its own)."""
    return {k: v for k, v in report.items() if k != "validation_time"}


def test_several_files_each_verdict_under_its_name_then_the_summary(files):
    names = ["good.pdf", "tampered.pdf", "notes.pdf"]
    alone = {name: _esign("verify", name, *TRUST, cwd=files) for name in names}
    assert [alone[n].returncode for n in names] == [0, 1, 1]

    got = _esign("verify", *names, *TRUST, cwd=files)
    assert got.returncode == 1, got.stderr[-2000:]
    assert "Traceback" not in got.stderr
    out = got.stdout
    position = 0
    for name in names:
        header = out.index(name, position)
        assert out[header:].split("\n", 1)[0].startswith(name + " ─")  # the header line names the file
        section = out.index(alone[name].stdout, header)  # then exactly what the one-file command prints
        position = section + len(alone[name].stdout)
    summary = out[position:].strip()
    assert summary == "3 份文件：1 份通过，2 份未通过 / 3 files: 1 passed, 2 not passed"


def test_all_genuine_is_exit_code_0(files):
    got = _esign("verify", "good.pdf", "good2.pdf", *TRUST, cwd=files)
    assert got.returncode == 0, got.stdout + got.stderr[-2000:]
    assert got.stdout.count("TOTAL_PASSED") >= 2
    assert got.stdout.strip().splitlines()[-1] == "2 份文件：2 份通过，0 份未通过 / 2 files: 2 passed, 0 not passed"


def test_a_file_that_cannot_be_read_gets_its_error_and_the_others_still_run(files):
    (files / "folder.pdf").mkdir(exist_ok=True)
    got = _esign("verify", "missing.pdf", "good.pdf", "folder.pdf", *TRUST, cwd=files)
    assert got.returncode == 2, got.stderr[-2000:]  # a file that cannot be read is an input error, as alone
    assert "Traceback" not in got.stdout + got.stderr
    out = got.stdout
    assert out.index("missing.pdf") < out.index("(file_not_found)") < out.index("good.pdf") < out.index("TOTAL_PASSED")
    assert out.index("folder.pdf") < out.index("(not_a_file)")
    assert out.strip().splitlines()[-1] == (
        "3 份文件：1 份通过，0 份未通过，2 份无法验证 / 3 files: 1 passed, 0 not passed, 2 could not be verified"
    )


def test_one_file_output_is_the_single_file_output(files):
    """No header and no summary with one file: the verdict comes first, as it always did."""
    for name, indication in (("good.pdf", "TOTAL_PASSED"), ("tampered.pdf", "TOTAL_FAILED / HASH_FAILURE")):
        got = _esign("verify", name, *TRUST, cwd=files)
        assert got.stdout.splitlines()[0] == indication
        assert "份文件" not in got.stdout and name not in got.stdout
        single = json.loads(_esign("verify", name, *TRUST, "--json", cwd=files).stdout)
        assert isinstance(single, dict) and "file" not in single


def test_several_files_json_is_an_array_of_the_one_file_reports(files):
    names = ["good.pdf", "tampered.pdf", "missing.pdf"]
    got = _esign("verify", *names, *TRUST, "--json", cwd=files)
    assert got.returncode == 2, got.stderr[-2000:]
    reports = json.loads(got.stdout)  # stdout is the JSON and nothing else
    assert [r["file"] for r in reports] == names
    for name, report in zip(names[:2], reports, strict=False):
        alone = json.loads(_esign("verify", name, *TRUST, "--json", cwd=files).stdout)
        assert _without_time({k: v for k, v in report.items() if k != "file"}) == _without_time(alone)
    assert reports[2]["error"]["code"] == "file_not_found" and "indication" not in reports[2]


def test_entry_with_two_files_is_a_usage_error(files):
    got = _esign("verify", "good.pdf", "good2.pdf", "--entry", "E-1", *TRUST, cwd=files)
    assert got.returncode == 2
    assert got.stdout == ""  # refused before anything is verified
    lines = [line for line in got.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "用法错误 / usage error" in lines[0] and "--entry" in lines[0], got.stderr


def test_one_missing_file_alone_is_still_a_usage_error(files):
    got = _esign("verify", "missing.pdf", *TRUST, cwd=files)
    assert got.returncode == 2
    lines = [line for line in got.stderr.splitlines() if line.strip()]
    assert lines == [
        "用法错误 / usage error: Invalid value for 'file': file 'missing.pdf' does not exist."
        "（esign verify --help 查看用法）"
    ]
