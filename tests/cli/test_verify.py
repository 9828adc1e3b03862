"""``esign verify`` and ``esign --help`` load what the answer needs (esign/cli/verify.py, esign/cli/main.py).

A user waits for the process, not for the function: verifying a file offline must not load the database,
the signer, the workflow or the settings machinery, and printing the help must not load pyHanko. The
tests read what was imported from ``python -X importtime`` in a real process (the installed ``esign``
script), not the clock; the lists of modules that must stay out are written here, not read from the code.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from esign.cli.common import home_dir
from esign.config import Settings
from tests.verify.docs import simple_pdf
from tests.verify.factory import T0, Level, TestPKI

ESIGN = Path(sys.executable).with_name("esign")

#: Packages an offline verification has no use for: the database and its tables, the settings
#: (pydantic-settings), the signer and its HTTP client, the use cases and the service.
NOT_FOR_OFFLINE_VERIFY = (
    "sqlalchemy",
    "pydantic_settings",
    "aiohttp",
    "pyhanko.sign.signers",
    "pyhanko.sign.timestamps",
    "esign.deployment",
    "esign.db",
    "esign.registry",
    "esign.workflow",
    "esign.stamp",
    "service",
)
#: ... and what the help has no use for besides: the verifier itself (``pyhanko`` alone is an empty namespace).
NOT_FOR_HELP = (
    *NOT_FOR_OFFLINE_VERIFY,
    "pyhanko.sign",
    "pyhanko.pdf_utils",
    "pyhanko_certvalidator",
    "esign.verify",
    "esign.pki",
    "esign.ledger",
    "esign.ses",
)

#: Every top-level command, from the README and the issue, not from the app.
COMMANDS = (
    "version",
    "init",
    "demo",
    "stamp",
    "stamp-batch",
    "purge-documents",
    "verify",
    "audit",
    "serve",
    "backup",
    "restore",
    "township",
    "catalog",
    "seal",
    "ledger",
    "user",
    "pki",
    "witness",
    "feed",
    "ses",
)


def _imported(stderr: str) -> set[str]:
    """Module names from ``-X importtime`` lines (``import time: self | cumulative | name``)."""
    return {
        line.rsplit("|", 1)[1].strip()
        for line in stderr.splitlines()
        if line.startswith("import time:") and "|" in line and not line.rstrip().endswith("imported package")
    }


def _loaded(modules: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes))


def _esign_importtime(*args: str, cwd: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESIGN_")}  # no data home from the caller
    got = subprocess.run(
        [sys.executable, "-X", "importtime", str(ESIGN), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env=env,
    )
    return got, _imported(got.stderr)


@pytest.fixture(scope="module")
def stamped(tmp_path_factory) -> Path:
    """A B-LT document sealed under a county root, the root beside it, and no data home anywhere."""
    folder = tmp_path_factory.mktemp("stamped")
    county = TestPKI.create()
    pdf = county.sign(simple_pdf(), county.issue_seal(), at=T0, level=Level.B_LT)
    (folder / "doc.pdf").write_bytes(pdf)
    (folder / "root.pem").write_bytes(county.root.public_bytes(serialization.Encoding.PEM))
    return folder


def test_the_import_reader_sees_what_a_process_imports(tmp_path):
    """The check below can fail: a process that imports SQLAlchemy is seen to."""
    got = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import sqlalchemy.orm"], capture_output=True, text=True, check=True
    )
    assert _loaded(_imported(got.stderr), ("sqlalchemy",))


def test_offline_verify_loads_neither_the_database_nor_the_signer(stamped):
    got, modules = _esign_importtime("verify", "doc.pdf", "--trust", "root.pem", cwd=stamped)
    assert got.returncode == 0, got.stdout + got.stderr[-2000:]
    assert "TOTAL_PASSED" in got.stdout
    assert "esign.verify" in modules and "pyhanko.sign.validation" in modules  # it did verify
    assert _loaded(modules, NOT_FOR_OFFLINE_VERIFY) == []


def test_offline_verify_json_loads_no_more(stamped):
    got, modules = _esign_importtime("verify", "doc.pdf", "--trust", "root.pem", "--json", cwd=stamped)
    assert got.returncode == 0, got.stderr[-2000:]
    assert '"indication": "TOTAL_PASSED"' in got.stdout
    assert _loaded(modules, NOT_FOR_OFFLINE_VERIFY) == []


def test_help_lists_every_command_and_loads_no_library(tmp_path):
    got, modules = _esign_importtime("--help", cwd=tmp_path)
    assert got.returncode == 0, got.stderr[-2000:]
    listed = {line.strip("│ ").split(" ", 1)[0] for line in got.stdout.splitlines() if line.startswith("│ ")}
    assert set(COMMANDS) <= listed, sorted(set(COMMANDS) - listed)
    assert "/ verify a stamped PDF or OFD" in got.stdout  # help text, not just names
    assert _loaded(modules, NOT_FOR_HELP) == []


@pytest.mark.parametrize(
    ("env", "option"),
    [
        ({}, None),
        ({"ESIGN_HOME": "/srv/esign"}, None),
        ({"ESIGN_HOME": ""}, None),
        ({"ESIGN_HOME": "/srv/esign"}, Path("/elsewhere")),
        ({}, Path("relative/home")),
    ],
)
def test_home_dir_is_the_settings_home(monkeypatch, env, option):
    """``verify`` looks for a home without loading the settings; it must find the one they would name."""
    monkeypatch.delenv("ESIGN_HOME", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings(home=option) if option is not None else Settings()
    assert home_dir(option) / "certs" == settings.certs_dir
