"""A home made by the previous release upgrades in place: its schema migrates, its seals and register survive.

The previous release's code is taken from git history (``git archive``), run in a subprocess to make a demo county
and stamp a decision; then today's code opens the same home (which runs the Alembic revisions added since), lists
the seals, re-verifies the whole usage register and verifies the document stamped before the upgrade.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tests.pdfgen import decision_pdf

#: The last release before the schema was frozen (the 0001 revision is that release's schema).
PREVIOUS_RELEASE = "a6d6fa2dd4d4e7ba6cf7e81fbc016db993f8f3e3"
REPO = Path(__file__).resolve().parents[1]


def _previous_release(dest: Path, *paths: str) -> Path:
    """The previous release's ``esign`` (and ``paths``) extracted into ``dest``."""
    try:
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", "--format=tar", PREVIOUS_RELEASE, "esign", *paths],
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        pytest.skip(f"the previous release {PREVIOUS_RELEASE[:7]} is not in this clone's history ({exc})")
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def _esign(code: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the ``esign`` command of the code tree ``code``, and prove that it is that tree's code which ran
    (``python -c`` puts the working directory first on the path, so the command runs inside ``code``)."""
    env = {**os.environ, "PYTHONPATH": str(code), "ESIGN_MODE": "development"}
    env.pop("ESIGN_HOME", None)
    probe = (
        "import esign, sys; from esign.cli.main import main; "
        "print('imported:', esign.__file__, file=sys.stderr); main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=code,
        timeout=300,
        check=False,
    )
    imported = next(line for line in done.stderr.splitlines() if line.startswith("imported: "))
    assert imported.startswith(f"imported: {code}/"), f"esign was imported from elsewhere: {imported}"
    return done


def test_a_home_of_the_previous_release_upgrades_in_place(tmp_path: Path) -> None:
    old = _previous_release(tmp_path / "previous", "samples")  # its demo reads samples/
    home = tmp_path / "home"
    made = _esign(old, "demo", "--home", str(home))
    assert made.returncode == 0, made.stderr
    notice = tmp_path / "notice.pdf"
    notice.write_bytes(decision_pdf())
    stamped = tmp_path / "stamped.pdf"
    stamp = _esign(
        old, "stamp", str(notice), "-o", str(stamped), "--home", str(home), "--seal", "克城镇", "--item", "1",
        "--reason", "升级前盖章", "--user", "克城镇窗口", "--approver", "克城镇批准人",
    )  # fmt: skip
    assert stamp.returncode == 0, stamp.stdout + stamp.stderr

    seals = _esign(REPO, "seal", "list", "--home", str(home))
    assert seals.returncode == 0, seals.stderr
    assert "克城镇" in seals.stdout and "乔家湾乡" in seals.stdout
    ledger = _esign(REPO, "ledger", "verify", "--home", str(home))
    assert ledger.returncode == 0, ledger.stdout + ledger.stderr
    verified = _esign(REPO, "verify", str(stamped), "--home", str(home))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "TOTAL_PASSED" in verified.stdout + verified.stderr
