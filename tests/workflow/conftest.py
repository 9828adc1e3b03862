"""A demo county to stamp in, built once per module, LibreOffice exports built once per session, and
helpers to check stamped files."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from esign.config import Settings
from esign.deployment import Deployment
from esign.setup import create_demo
from esign.workflow.engine import StampEngine
from tests.office import OfficeError, OfficePdfs, build_office_pdfs


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class County:
    dep: Deployment
    engine: StampEngine
    home: Path
    nssdb: Path


def nss_trusting_root(home: Path) -> Path:
    """An NSS database in ``home/nssdb`` that trusts the county root of ``home`` (for pdfsig)."""
    nssdb = home / "nssdb"
    nssdb.mkdir()
    if shutil.which("certutil"):
        subprocess.run(["certutil", "-N", "-d", f"sql:{nssdb}", "--empty-password"], check=True)
        subprocess.run(
            [
                "certutil",
                "-A",
                "-d",
                f"sql:{nssdb}",
                "-n",
                "county-root",
                "-t",
                "CT,C,C",
                "-i",
                str(home / "certs" / "root.crt"),
            ],
            check=True,
        )
    return nssdb


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Iterator[County]:
    home = tmp_path_factory.mktemp("county")
    dep = Deployment.open(Settings(home=home, public_base_url="https://esign.puxian.example"))
    assert create_demo(dep, at=now()) is not None
    nssdb = nss_trusting_root(home)
    yield County(dep, StampEngine(dep, clock=now), home, nssdb)
    dep.close()


@pytest.fixture
def any_county(db_url: str, tmp_path: Path) -> Iterator[County]:
    """A county on a fresh SQLite file, or on the real PostgreSQL (where claims race for real)."""
    dep = Deployment.open(Settings(home=tmp_path, database_url=db_url, public_base_url="https://esign.puxian.example"))
    assert create_demo(dep, at=now()) is not None
    yield County(dep, StampEngine(dep, clock=now), tmp_path, tmp_path)
    dep.close()


@pytest.fixture(scope="session")
def office_pdfs(tmp_path_factory: pytest.TempPathFactory) -> OfficePdfs:
    """Decisions exported by LibreOffice, built once per session (the soffice runs take seconds).

    Fails rather than skips without LibreOffice: ``dev.sh`` installs it, so a missing soffice is a
    broken setup, not an optional feature.
    """
    try:
        return build_office_pdfs(tmp_path_factory.mktemp("office"))
    except OfficeError as exc:
        message = str(exc)
    pytest.fail(message, pytrace=False)


def pdfsig(county: County, path: Path) -> str:
    """poppler's verdict on a file (offline: no OCSP fetch)."""
    if not shutil.which("pdfsig"):
        pytest.skip("poppler-utils (pdfsig) is not installed")
    out = subprocess.run(
        ["pdfsig", "-nssdir", f"sql:{county.nssdb}", "-no-ocsp", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return out.stdout + out.stderr
