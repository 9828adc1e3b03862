"""A county PKI built by code for the pki tests, plus an ``openssl`` runner."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509

from esign.db import make_session_factory, session_scope
from esign.pki import (
    CountyInfo,
    CountyPKI,
    FileKeyStore,
    KeyAlgorithm,
    SealSubject,
    certificate_pem,
    generate_private_key,
    store,
)
from esign.pki.status import CertKind

BASE_URL = "http://127.0.0.1:8000"
PASSPHRASE = b"correct horse battery staple"
COUNTY = CountyInfo(province="山西省", city="临汾市", county="蒲县", office="蒲县行政审批服务局")
# A well-formed 统一社会信用代码 (check character per GB 32100-2015), not a real organization's.
USCC = "11141033MB12345676"
SEAL_SUBJECT = SealSubject.in_county(
    COUNTY,
    organization="蒲县克城镇人民政府",
    common_name="蒲县克城镇人民政府行政审批服务专用章",
    organization_identifier=USCC,
)

Run = Callable[..., subprocess.CompletedProcess[str]]


def now() -> dt.datetime:
    """Tests that hand files to openssl need certificates valid on the real clock."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class PkiFiles:
    """A county PKI on disk with one seal certificate, for openssl."""

    pki: CountyPKI
    """The loaded PKI."""
    dir: Path
    """Its data home (keys/, certs/)."""
    seal: x509.Certificate
    """A seal certificate issued by it."""

    @property
    def certs(self) -> Path:
        """certs/ with root.crt, issuing.crt, tsa.crt, ocsp.crt, seal.crt, chain.pem."""
        return self.dir / "certs"


def _build(base: Path, algorithm: KeyAlgorithm) -> PkiFiles:
    at = now()
    ks = FileKeyStore(base / "keys", passphrase=PASSPHRASE)
    pki = CountyPKI.create(ks, base / "certs", COUNTY, base_url=BASE_URL, at=at, algorithm=algorithm)
    seal = pki.issue_seal_certificate(SEAL_SUBJECT, generate_private_key(algorithm).public_key(), at=at)
    (base / "certs" / "seal.crt").write_bytes(certificate_pem(seal))
    (base / "certs" / "chain.pem").write_bytes(certificate_pem(pki.issuing) + certificate_pem(pki.root))
    return PkiFiles(pki=pki, dir=base, seal=seal)


@pytest.fixture(scope="session")
def pki_files(tmp_path_factory: pytest.TempPathFactory) -> PkiFiles:
    """The default (P-256) county PKI, shared by the whole session: treat it as read-only."""
    return _build(tmp_path_factory.mktemp("pki"), KeyAlgorithm.EC_P256)


@pytest.fixture(scope="session", params=[a for a in KeyAlgorithm if a.for_certificates])
def any_pki(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> PkiFiles:
    """One county PKI per key algorithm."""
    return _build(tmp_path_factory.mktemp(f"pki-{request.param.value}"), request.param)


@pytest.fixture
def pki(pki_files: PkiFiles) -> CountyPKI:
    return pki_files.pki


@pytest.fixture
def session(engine) -> Iterator:  # type: ignore[no-untyped-def]
    """A session on a migrated database (SQLite and PostgreSQL); committed at the end of the test."""
    factory = make_session_factory(engine)
    with session_scope(factory) as s:
        yield s


@pytest.fixture
def recorded(session, pki_files: PkiFiles):  # type: ignore[no-untyped-def]
    """The session with the PKI and its seal certificate recorded as issued."""
    store.record_county_pki(session, pki_files.pki, at=now())
    store.record_issued(session, pki_files.seal, kind=CertKind.SEAL, issuer=pki_files.pki.issuing, at=now())
    return session


@pytest.fixture(scope="session")
def openssl() -> Run:
    """Run the openssl command line; returns the completed process (check=False: tests assert)."""
    exe = shutil.which("openssl")
    if exe is None:
        pytest.skip("openssl is not installed")

    def run(*args: str | Path, input: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [exe, *map(str, args)], input=input, capture_output=True, cwd=cwd, timeout=60, check=False
        )
        return subprocess.CompletedProcess(
            proc.args, proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")
        )

    return run
