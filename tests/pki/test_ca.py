from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest

from esign.errors import ConfigError, ConflictError
from esign.pki import (
    CERT_FILES,
    CountyPKI,
    FileKeyStore,
    KeyAlgorithm,
    MemoryKeyStore,
    certificate_der,
    certificate_pem,
)
from tests.pki.conftest import BASE_URL, COUNTY, PASSPHRASE, PkiFiles, Run

AT = dt.datetime(2025, 6, 1, 8, 0, tzinfo=dt.UTC)


def test_create_writes_certs_and_keys(tmp_path: Path) -> None:
    ks = FileKeyStore(tmp_path / "keys", passphrase=PASSPHRASE)
    pki = CountyPKI.create(ks, tmp_path / "certs", COUNTY, base_url=BASE_URL + "/", at=AT)
    assert sorted(p.name for p in (tmp_path / "certs").iterdir()) == sorted(CERT_FILES.values())
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == [
        "issuing.key.pem",
        "ocsp.key.pem",
        "root.key.pem",
        "tsa.key.pem",
    ]
    for p in (tmp_path / "certs").iterdir():
        assert p.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
        assert stat.S_IMODE(p.stat().st_mode) == 0o644
    assert pki.base_url == BASE_URL
    assert pki.chain == (pki.issuing, pki.root)
    assert "_key=" not in repr(pki)  # private keys stay out of logs

    loaded = CountyPKI.load(FileKeyStore(tmp_path / "keys", passphrase=PASSPHRASE), tmp_path / "certs")
    for kind in CERT_FILES:
        assert loaded.certificate(kind) == pki.certificate(kind)
    assert loaded.base_url == BASE_URL


def test_create_refuses_existing_pki(tmp_path: Path) -> None:
    ks = FileKeyStore(tmp_path / "keys", passphrase=PASSPHRASE)
    CountyPKI.create(ks, tmp_path / "certs", COUNTY, base_url=BASE_URL, at=AT)
    before = (tmp_path / "certs" / "root.crt").read_bytes()
    with pytest.raises(ConflictError):
        CountyPKI.create(ks, tmp_path / "certs", COUNTY, base_url=BASE_URL, at=AT)
    with pytest.raises(ConflictError):  # keys exist even if the certificates were removed
        CountyPKI.create(ks, tmp_path / "other", COUNTY, base_url=BASE_URL, at=AT)
    assert (tmp_path / "certs" / "root.crt").read_bytes() == before


@pytest.mark.parametrize("algorithm", [a for a in KeyAlgorithm if a.for_certificates])
def test_generate_in_memory_and_from_bytes(algorithm: KeyAlgorithm) -> None:
    ks = MemoryKeyStore()
    pki = CountyPKI.generate(ks, COUNTY, base_url=BASE_URL, at=AT, algorithm=algorithm)
    again = CountyPKI.from_bytes(
        ks,
        root=certificate_pem(pki.root),
        issuing=certificate_der(pki.issuing),
        tsa=certificate_pem(pki.tsa),
        ocsp=certificate_pem(pki.ocsp),
    )
    assert again.issuing == pki.issuing


def test_load_missing_pki(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        CountyPKI.load(MemoryKeyStore(), tmp_path)
    assert info.value.code == "pki_not_initialized"


def test_inconsistent_pki_refused() -> None:
    ks1, ks2 = MemoryKeyStore(), MemoryKeyStore()
    a = CountyPKI.generate(ks1, COUNTY, base_url=BASE_URL, at=AT)
    b = CountyPKI.generate(ks2, COUNTY, base_url=BASE_URL, at=AT)
    with pytest.raises(ConfigError):  # B's TSA certificate is not signed by A's issuing CA
        CountyPKI.from_bytes(
            ks1,
            root=certificate_pem(a.root),
            issuing=certificate_pem(a.issuing),
            tsa=certificate_pem(b.tsa),
            ocsp=certificate_pem(a.ocsp),
        )
    with pytest.raises(ConfigError):  # right certificates, wrong keys
        CountyPKI.from_bytes(
            ks2,
            root=certificate_pem(a.root),
            issuing=certificate_pem(a.issuing),
            tsa=certificate_pem(a.tsa),
            ocsp=certificate_pem(a.ocsp),
        )


def test_openssl_verifies_the_chain(any_pki: PkiFiles, openssl: Run) -> None:
    c = any_pki.certs
    out = openssl("verify", "-CAfile", c / "root.crt", "-untrusted", c / "issuing.crt", c / "seal.crt")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("seal.crt: OK")
    out = openssl(
        "verify",
        "-purpose",
        "timestampsign",
        "-CAfile",
        c / "root.crt",
        "-untrusted",
        c / "issuing.crt",
        c / "tsa.crt",
    )
    assert out.returncode == 0, out.stderr
    out = openssl("verify", "-CAfile", c / "root.crt", "-untrusted", c / "issuing.crt", c / "ocsp.crt")
    assert out.returncode == 0, out.stderr
    # and the chain really is needed: without the issuing CA the seal does not verify
    out = openssl("verify", "-CAfile", c / "root.crt", c / "seal.crt")
    assert out.returncode != 0
