"""The real ``esign`` command in a subprocess: usage mistakes, hostile documents and library
warnings give messages and exit codes, never a Python traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from tests.pdfgen import decision_pdf
from tests.verify.docs import simple_pdf
from tests.verify.factory import T0, Level, TestPKI

ESIGN = Path(sys.executable).with_name("esign")


def _esign(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONWARNINGS": "default"}  # show every warning once, as a user's shell would
    return subprocess.run([str(ESIGN), *args], capture_output=True, text=True, timeout=120, cwd=cwd, env=env)


@pytest.mark.parametrize(
    "args",
    [
        ("stamp", "nope.pdf", "-o", "out.pdf"),  # a file that is not there
        ("stamp", "in.pdf"),  # the missing -o
        ("stmap", "in.pdf"),  # an unknown command
        ("stamp", "in.pdf", "-o", "out.pdf", "--page", "abc"),  # a value of the wrong type
        ("verify",),  # a missing argument
    ],
)
def test_a_usage_mistake_is_one_line_and_exit_code_2(args, tmp_path):
    (tmp_path / "in.pdf").write_bytes(decision_pdf())
    got = _esign(*args, cwd=tmp_path)
    assert got.returncode == 2, got.stderr
    assert "Traceback" not in got.stderr + got.stdout
    lines = [line for line in got.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "用法错误 / usage error" in lines[0], got.stderr


def test_no_command_prints_the_help_and_exit_code_2(tmp_path):
    got = _esign(cwd=tmp_path)
    assert got.returncode == 2 and "Traceback" not in got.stderr
    assert "stamp" in got.stdout + got.stderr


def test_no_dsa_deprecation_warning(tmp_path):
    got = _esign("verify", "--help", cwd=tmp_path)
    assert got.returncode == 0, got.stderr
    assert "verify" in got.stdout
    assert "DSA" not in got.stderr and "Warning" not in got.stderr, got.stderr


@pytest.fixture(scope="module")
def foreign_seal_document(tmp_path_factory) -> Path:
    """A document sealed under one county's root, and another county's root to verify it with:
    pyHanko logs the path that does not validate as a warning with its traceback attached."""
    folder = tmp_path_factory.mktemp("foreign")
    signer, other = TestPKI.create(), TestPKI.create()
    pdf = signer.sign(simple_pdf(), signer.issue_seal(), at=T0, level=Level.B_B)
    (folder / "doc.pdf").write_bytes(pdf)
    (folder / "root.pem").write_bytes(other.root.public_bytes(serialization.Encoding.PEM))
    return folder


def test_verify_prints_the_verdict_and_no_traceback(foreign_seal_document):
    folder = foreign_seal_document
    got = _esign("verify", "doc.pdf", "--trust", "root.pem", cwd=folder)
    assert got.returncode == 1, got.stderr
    assert "TOTAL_PASSED" not in got.stdout and ("INDETERMINATE" in got.stdout or "TOTAL_FAILED" in got.stdout)
    assert "Traceback" not in got.stderr, got.stderr
    assert "WARNING" in got.stderr  # the warning itself is still there, in one line


def test_verify_verbose_shows_the_libraries_tracebacks(foreign_seal_document):
    got = _esign("verify", "doc.pdf", "--trust", "root.pem", "--verbose", cwd=foreign_seal_document)
    assert got.returncode == 1
    assert "Traceback" in got.stderr


def test_purge_documents_removes_temporary_files_a_crash_left(tmp_path):
    home = tmp_path / "home"
    (home / "documents").mkdir(parents=True)
    leftover, recent = home / "documents" / ".tmp-crashed", home / "documents" / ".tmp-recent"
    leftover.write_bytes(b"half")
    recent.write_bytes(b"half")
    past = time.time() - 3 * 3600
    os.utime(leftover, (past, past))
    got = _esign("purge-documents", "--home", str(home), cwd=tmp_path)
    assert got.returncode == 0, got.stderr
    assert not leftover.exists() and recent.exists()
    assert "1" in got.stdout and "Traceback" not in got.stderr
