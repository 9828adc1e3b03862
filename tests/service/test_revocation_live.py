"""Revoking a seal changes what `openssl ocsp` and the CRL say at once, in every worker process."""

from __future__ import annotations

import datetime as dt
import subprocess

import httpx
import pytest

from esign.config import Settings
from esign.deployment import Deployment
from esign.setup import create_demo
from service.live import live_server


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    home = tmp_path_factory.mktemp("county")
    dep = Deployment.open(Settings(home=home))
    rows = create_demo(dep, at=dt.datetime.now(dt.UTC))
    dep.close()
    tokens = {name: token for name, _r, _t, token in rows}
    with live_server(home, workers=2) as server:
        yield home, server.base, tokens


def _ocsp(base: str, home, tmp_path, cert_pem: bytes) -> str:
    cert = tmp_path / "seal.pem"
    cert.write_bytes(cert_pem)
    certs = home / "certs"
    chain = tmp_path / "chain.pem"
    chain.write_bytes((certs / "issuing.crt").read_bytes() + (certs / "root.crt").read_bytes())
    out = subprocess.run(
        [
            "openssl",
            "ocsp",
            "-issuer",
            str(certs / "issuing.crt"),
            "-cert",
            str(cert),
            "-url",
            f"{base}/pki/ocsp",
            "-CAfile",
            str(chain),
            "-resp_text",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert "Response verify OK" in out.stderr + out.stdout, out.stderr + out.stdout
    return out.stdout


def _seal(base: str, admin: str, township: str) -> tuple[dict, str]:
    seals = httpx.get(f"{base}/api/v1/seals", headers={"Authorization": f"Bearer {admin}"}).json()
    seal = next(s for s in seals if s["township"] == township and s["status"] in ("active", "suspended"))
    return seal, seal["cert_serial"]


def _cert_pem(home, serial_hex: str) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    from esign.pki import store

    dep = Deployment.open(Settings(home=home), migrate_db=False)
    try:
        with dep.transaction() as session:
            row = session.get(store.PkiCertificate, serial_hex)
            assert row is not None
            return x509.load_der_x509_certificate(row.der).public_bytes(Encoding.PEM)
    finally:
        dep.close()


def test_revocation_reaches_ocsp_and_crl_in_every_worker(county, tmp_path):
    home, base, tokens = county
    admin = tokens["县审批局管理员"]
    seal, serial = _seal(base, admin, "红道乡")
    pem = _cert_pem(home, serial)
    for _ in range(4):  # several requests: both workers answer
        assert ": good" in _ocsp(base, home, tmp_path, pem)

    response = httpx.post(
        f"{base}/api/v1/seals/{seal['id']}/revoke",
        json={"reason": "乡镇撤并，印章注销"},
        headers={"Authorization": f"Bearer {admin}"},
    )
    assert response.status_code == 200 and response.json()["status"] == "revoked"

    for _ in range(4):
        text = _ocsp(base, home, tmp_path, pem)
        assert ": revoked" in text and "Reason: cessationOfOperation" in text

    crl = tmp_path / "crl.der"
    crl.write_bytes(httpx.get(f"{base}/pki/crl").content)
    listed = subprocess.run(
        ["openssl", "crl", "-inform", "DER", "-in", str(crl), "-noout", "-text"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert serial.upper().lstrip("0") in listed.replace(":", "").upper() and "Cessation Of Operation" in listed


def test_suspension_is_a_certificate_hold_and_resume_releases_it(county, tmp_path):
    home, base, tokens = county
    admin = {"Authorization": f"Bearer {tokens['县审批局管理员']}"}
    seal, serial = _seal(base, tokens["县审批局管理员"], "山中乡")
    pem = _cert_pem(home, serial)
    assert (
        httpx.post(
            f"{base}/api/v1/seals/{seal['id']}/suspend", json={"reason": "保管人调岗"}, headers=admin
        ).status_code
        == 200
    )
    text = _ocsp(base, home, tmp_path, pem)
    assert ": revoked" in text and "Reason: certificateHold" in text
    assert (
        httpx.post(f"{base}/api/v1/seals/{seal['id']}/resume", json={"reason": "到岗"}, headers=admin).status_code
        == 200
    )
    assert ": good" in _ocsp(base, home, tmp_path, pem)
