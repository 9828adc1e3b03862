"""The /pki endpoints through the FastAPI app, with openssl as the client where it has one."""

from __future__ import annotations

import base64
import datetime as dt
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from fastapi import FastAPI
from fastapi.testclient import TestClient

from esign.config import Settings
from esign.deployment import Deployment
from esign.pki import CountyPKI, certificate_pem, generate_private_key, store
from esign.pki.status import CertKind, RevocationReason
from esign.pki.tsa import TimeStampResp
from service.app import create_app
from service.live import free_port
from service.routes import pki as pki_routes
from tests.pki.conftest import COUNTY, SEAL_SUBJECT, Run, now


@dataclass
class Served:
    app: FastAPI
    client: TestClient
    dep: Deployment
    certs: Path
    seal: x509.Certificate


def _app(dep: Deployment) -> FastAPI:
    app = create_app(deployment=dep)
    if not any(getattr(r, "path", None) == "/pki/crl" for r in app.routes):
        app.include_router(pki_routes.router)  # until service.app includes it
    return app


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home = tmp_path_factory.mktemp("home")
    port = free_port()
    settings = Settings(home=home, key_passphrase="http test passphrase", public_base_url=f"http://127.0.0.1:{port}")
    dep = Deployment.open(settings)
    at = now()
    pki = CountyPKI.create(dep.keystore, settings.certs_dir, COUNTY, base_url=settings.base_url, at=at)
    seal = pki.issue_seal_certificate(SEAL_SUBJECT, generate_private_key().public_key(), at=at)
    with dep.transaction() as s:
        store.record_county_pki(s, pki, at=at)
        store.record_issued(s, seal, kind=CertKind.SEAL, issuer=pki.issuing, at=at)
    certs = settings.certs_dir
    (certs / "seal.crt").write_bytes(certificate_pem(seal))
    (certs / "chain.pem").write_bytes(certificate_pem(pki.issuing) + certificate_pem(pki.root))
    app = _app(dep)
    with TestClient(app, raise_server_exceptions=True) as client:
        yield Served(app, client, dep, certs, seal)
    dep.close()


def _ocsp_req(served: Served) -> bytes:
    issuing = x509.load_pem_x509_certificate((served.certs / "issuing.crt").read_bytes())
    req = ocsp.OCSPRequestBuilder().add_certificate(served.seal, issuing, hashes.SHA256()).build()
    return req.public_bytes(Encoding.DER)


def test_certificates(served: Served) -> None:
    for name in ("root.crt", "issuing.crt"):
        r = served.client.get(f"/pki/{name}")
        assert r.status_code == 200 and r.headers["content-type"] == "application/pkix-cert"
        cert = x509.load_der_x509_certificate(r.content)
        assert cert == x509.load_pem_x509_certificate((served.certs / name).read_bytes())


def test_crl_reflects_revocation(served: Served, openssl: Run, tmp_path: Path) -> None:
    r = served.client.get("/pki/crl")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pkix-crl"
    (tmp_path / "crl.der").write_bytes(r.content)
    out = openssl(
        "crl", "-in", tmp_path / "crl.der", "-inform", "DER", "-CAfile", served.certs / "chain.pem", "-verify", "-noout"
    )
    assert "verify OK" in out.stdout + out.stderr, out.stderr
    assert served.client.get("/pki/crl").content == r.content  # nothing changed: the same CRL


def test_ocsp_post_get_and_errors(served: Served) -> None:
    req = _ocsp_req(served)
    r = served.client.post("/pki/ocsp", content=req, headers={"content-type": "application/ocsp-request"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/ocsp-response"
    assert ocsp.load_der_ocsp_response(r.content).certificate_status is ocsp.OCSPCertStatus.GOOD
    # GET, RFC 6960 appendix A.1: base64, then URL-encoded
    encoded = urllib.parse.quote(base64.b64encode(req).decode(), safe="")
    r = served.client.get(f"/pki/ocsp/{encoded}")
    assert r.status_code == 200
    assert ocsp.load_der_ocsp_response(r.content).serial_number == served.seal.serial_number
    for bad in (
        served.client.post("/pki/ocsp", content=req, headers={"content-type": "text/plain"}),
        served.client.post("/pki/ocsp", content=b"junk", headers={"content-type": "application/ocsp-request"}),
        served.client.post("/pki/ocsp", content=b"\x30" * 70000, headers={"content-type": "application/ocsp-request"}),
        served.client.get("/pki/ocsp/not*base64"),
    ):
        assert bad.status_code == 200
        assert ocsp.load_der_ocsp_response(bad.content).response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_tsa_http(served: Served, openssl: Run, tmp_path: Path) -> None:
    data = tmp_path / "doc.pdf"
    data.write_bytes(b"%PDF-1.7 decision")
    tsq, tsr = tmp_path / "req.tsq", tmp_path / "resp.tsr"
    assert openssl("ts", "-query", "-data", data, "-sha256", "-cert", "-out", tsq).returncode == 0
    r = served.client.post(
        "/pki/tsa", content=tsq.read_bytes(), headers={"content-type": "application/timestamp-query"}
    )
    assert r.status_code == 200 and r.headers["content-type"] == "application/timestamp-reply"
    tsr.write_bytes(r.content)
    out = openssl(
        "ts",
        "-verify",
        "-in",
        tsr,
        "-queryfile",
        tsq,
        "-CAfile",
        served.certs / "root.crt",
        "-untrusted",
        served.certs / "issuing.crt",
    )
    assert "Verification: OK" in out.stdout, out.stdout + out.stderr
    # serials come from the shared store and increase
    serials = []
    for _ in range(3):
        r = served.client.post(
            "/pki/tsa", content=tsq.read_bytes(), headers={"content-type": "application/timestamp-query"}
        )
        info = TimeStampResp.load(r.content)["time_stamp_token"]["content"]["encap_content_info"]["content"].parsed
        serials.append(info["serial_number"].native)
    assert serials == sorted(serials) and len(set(serials)) == 3
    bad = served.client.post("/pki/tsa", content=tsq.read_bytes(), headers={"content-type": "text/plain"})
    assert TimeStampResp.load(bad.content)["status"]["status"].native == "rejection"
    bad = served.client.post("/pki/tsa", content=b"junk", headers={"content-type": "application/timestamp-query"})
    assert TimeStampResp.load(bad.content)["status"]["fail_info"].native == {"bad_data_format"}


def test_openssl_ocsp_over_http(served: Served, openssl: Run, tmp_path: Path) -> None:
    """openssl talks HTTP to a real server; after a revocation the next answer says revoked."""
    import uvicorn

    base = served.dep.settings.base_url
    port = int(base.rsplit(":", 1)[1])
    server = uvicorn.Server(uvicorn.Config(served.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        # a seal of its own, so that revoking it leaves the other tests' seal alone
        pki = served.dep.pki
        seal = pki.issue_seal_certificate(SEAL_SUBJECT, generate_private_key().public_key(), at=now())
        with served.dep.transaction() as s:
            store.record_issued(s, seal, kind=CertKind.SEAL, issuer=pki.issuing, at=now())
        (tmp_path / "seal.crt").write_bytes(certificate_pem(seal))
        c = served.certs
        args = (
            "ocsp",
            "-url",
            f"{base}/pki/ocsp",
            "-issuer",
            c / "issuing.crt",
            "-cert",
            tmp_path / "seal.crt",
            "-CAfile",
            c / "chain.pem",
        )
        out = openssl(*args)
        assert out.returncode == 0, out.stdout + out.stderr
        assert "seal.crt: good" in out.stdout and "Response verify OK" in out.stdout + out.stderr
        with served.dep.transaction() as s:
            store.revoke(s, seal.serial_number, RevocationReason.KEY_COMPROMISE, at=now())
        out = openssl(*args)
        assert "seal.crt: revoked" in out.stdout and "keyCompromise" in out.stdout, out.stdout + out.stderr
        # the CRL served over HTTP lists it too
        crl = x509.load_der_x509_crl(httpx.get(f"{base}/pki/crl").content)
        entry = crl.get_revoked_certificate_by_serial_number(seal.serial_number)
        assert entry is not None and entry.revocation_date_utc <= now() + dt.timedelta(seconds=1)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
