"""/pki/sm2 on a live server, judged by OpenSSL 3: the SM2 chain, CRL, OCSP (GET and POST) and time
stamps, and the seal lifecycle reaching both of a seal's certificates (revoke, suspend/resume, replace).

See tests/pki/sm2_openssl.py for why signatures are checked with ``-vfyopt`` and ``pkeyutl``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
from pathlib import Path

import httpx
import pytest
from asn1crypto import ocsp, tsp

from esign.config import Settings
from esign.deployment import Deployment
from esign.setup import create_demo
from service.live import live_server
from tests.pki.sm2_openssl import DISTID, pkeyutl_verify, signed_parts
from tests.pki.sm2_openssl import openssl as _openssl

pytestmark = pytest.mark.skipif(subprocess.run(["which", "openssl"], capture_output=True).returncode, reason="openssl")


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    home = tmp_path_factory.mktemp("county")
    dep = Deployment.open(Settings(home=home))
    rows = create_demo(dep, at=dt.datetime.now(dt.UTC))
    dep.close()
    tokens = {name: token for name, _r, _t, token in rows}
    with live_server(home) as server:
        yield home, server.base, tokens["县审批局管理员"]


def _seal(base: str, admin: str, township: str) -> dict:
    seals = httpx.get(f"{base}/api/v1/seals", headers={"Authorization": f"Bearer {admin}"}).json()
    return next(s for s in seals if s["township"] == township and s["status"] in ("active", "suspended"))


def _act(base: str, admin: str, seal: dict, action: str) -> dict:
    r = httpx.post(
        f"{base}/api/v1/seals/{seal['id']}/{action}",
        json={"reason": f"测试{action}"},
        headers={"Authorization": f"Bearer {admin}"},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    return r.json()


def _sm2_cert(home: Path, serial: str, out: Path) -> Path:
    """The SM2 seal certificate as recorded in the store, PEM through openssl."""
    from esign.pki import store

    dep = Deployment.open(Settings(home=home), migrate_db=False)
    try:
        with dep.transaction() as session:
            row = session.get(store.PkiCertificate, serial)
            assert row is not None
            der = row.der
    finally:
        dep.close()
    (out.with_suffix(".der")).write_bytes(der)
    done = _openssl("x509", "-inform", "DER", "-in", out.with_suffix(".der"), "-out", out)
    assert done.returncode == 0, done.stderr
    return out


def _published(base: str, tmp: Path) -> dict[str, Path]:
    files = {}
    for name in ("root.crt", "issuing.crt", "maker.crt"):
        r = httpx.get(f"{base}/pki/sm2/{name}")
        assert r.status_code == 200 and r.headers["content-type"] == "application/pkix-cert"
        (tmp / f"{name}.der").write_bytes(r.content)
        assert _openssl("x509", "-inform", "DER", "-in", tmp / f"{name}.der", "-out", tmp / name).returncode == 0
        files[name] = tmp / name
    return files


def _ocsp_status(base: str, home: Path, cert: Path, tmp: Path, *, get: bool = False) -> str:
    """What `openssl ocsp` reads from /pki/sm2/ocsp about ``cert``; the response's SM2 signature is
    checked with pkeyutl against the responder certificate it carries, signed by the issuing CA."""
    issuing = tmp / "issuing.crt"
    req = tmp / "req.der"
    assert _openssl("ocsp", "-issuer", issuing, "-cert", cert, "-reqout", req, "-no_nonce").returncode == 0
    if get:
        import base64
        from urllib.parse import quote

        r = httpx.get(f"{base}/pki/sm2/ocsp/{quote(base64.b64encode(req.read_bytes()).decode(), safe='')}")
    else:
        r = httpx.post(
            f"{base}/pki/sm2/ocsp", content=req.read_bytes(), headers={"Content-Type": "application/ocsp-request"}
        )
    assert r.headers["content-type"] == "application/ocsp-response"
    (tmp / "resp.der").write_bytes(r.content)
    responder = home / "certs" / "sm2" / "ocsp.crt"
    shown = _openssl(
        "ocsp",
        "-respin",
        tmp / "resp.der",
        "-issuer",
        issuing,
        "-cert",
        cert,
        "-VAfile",
        responder,
        "-noverify",
        "-resp_text",
    )
    assert shown.returncode == 0, shown.stderr
    basic = ocsp.OCSPResponse.load(r.content)["response_bytes"]["response"].parsed
    tbs, signature = signed_parts(basic.dump())
    responder_pub = tmp / "responder.pub"
    responder_pub.write_text(_openssl("x509", "-in", responder, "-noout", "-pubkey").stdout)
    assert pkeyutl_verify(_openssl, responder_pub, tbs, signature, tmp)
    linked = _openssl("verify", "-vfyopt", DISTID, "-partial_chain", "-CAfile", issuing, responder)
    assert linked.returncode == 0, linked.stdout + linked.stderr
    return shown.stdout


def _crl_text(base: str, tmp: Path) -> str:
    r = httpx.get(f"{base}/pki/sm2/crl")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pkix-crl"
    (tmp / "crl.der").write_bytes(r.content)
    tbs, signature = signed_parts(r.content)
    issuing_pub = tmp / "issuing.pub"
    issuing_pub.write_text(_openssl("x509", "-in", tmp / "issuing.crt", "-noout", "-pubkey").stdout)
    assert pkeyutl_verify(_openssl, issuing_pub, tbs, signature, tmp)
    text = _openssl("crl", "-inform", "DER", "-in", tmp / "crl.der", "-noout", "-text")
    assert text.returncode == 0, text.stderr
    return text.stdout


def test_openssl_accepts_the_served_sm2_chain_and_every_seal_has_an_sm2_certificate(county, tmp_path) -> None:
    home, base, admin = county
    files = _published(base, tmp_path)
    done = _openssl("verify", "-vfyopt", DISTID, "-CAfile", files["root.crt"], files["issuing.crt"])
    assert done.returncode == 0, done.stdout + done.stderr
    seals = httpx.get(f"{base}/api/v1/seals", headers={"Authorization": f"Bearer {admin}"}).json()
    assert len(seals) == 8 and all(s["sm2_cert_serial"] for s in seals)
    seal = _sm2_cert(home, seals[0]["sm2_cert_serial"], tmp_path / "seal.pem")
    leaf = _openssl("verify", "-vfyopt", DISTID, "-partial_chain", "-CAfile", files["issuing.crt"], seal)
    assert leaf.returncode == 0, leaf.stdout + leaf.stderr
    root_crl = httpx.get(f"{base}/pki/sm2/root.crl")
    (tmp_path / "root.crl").write_bytes(root_crl.content)
    assert (
        "No Revoked Certificates"
        in _openssl("crl", "-inform", "DER", "-in", tmp_path / "root.crl", "-noout", "-text").stdout
    )


def test_revoking_one_seal_reaches_both_crls_and_ocsp_while_another_stays_good(county, tmp_path) -> None:
    home, base, admin = county
    _published(base, tmp_path)
    kept, gone = _seal(base, admin, "蒲城镇"), _seal(base, admin, "克城镇")
    kept_pem = _sm2_cert(home, kept["sm2_cert_serial"], tmp_path / "kept.pem")
    gone_pem = _sm2_cert(home, gone["sm2_cert_serial"], tmp_path / "gone.pem")
    assert "Cert Status: good" in _ocsp_status(base, home, gone_pem, tmp_path)

    _act(base, admin, gone, "revoke")

    text = _crl_text(base, tmp_path)
    assert gone["sm2_cert_serial"].lstrip("0").upper() in text and "Cessation Of Operation" in text
    assert kept["sm2_cert_serial"].lstrip("0").upper() not in text
    answer = _ocsp_status(base, home, gone_pem, tmp_path)
    assert "Cert Status: revoked" in answer and "cessationOfOperation" in answer
    assert "Cert Status: good" in _ocsp_status(base, home, kept_pem, tmp_path, get=True)
    # the ECDSA CRL names the seal's ECDSA certificate too (one transaction, both hierarchies)
    ecdsa = httpx.get(f"{base}/pki/crl").content
    (tmp_path / "ecdsa.crl").write_bytes(ecdsa)
    listed = _openssl("crl", "-inform", "DER", "-in", tmp_path / "ecdsa.crl", "-noout", "-text").stdout
    assert gone["cert_serial"].lstrip("0").upper() in listed


def test_suspend_is_certificate_hold_and_resume_is_good_again(county, tmp_path) -> None:
    home, base, admin = county
    _published(base, tmp_path)
    seal = _seal(base, admin, "薛关镇")
    pem = _sm2_cert(home, seal["sm2_cert_serial"], tmp_path / "seal.pem")
    _act(base, admin, seal, "suspend")
    held = _ocsp_status(base, home, pem, tmp_path)
    assert "Cert Status: revoked" in held and "certificateHold" in held
    assert "Certificate Hold" in _crl_text(base, tmp_path)
    _act(base, admin, seal, "resume")
    assert "Cert Status: good" in _ocsp_status(base, home, pem, tmp_path)
    assert seal["sm2_cert_serial"].lstrip("0").upper() not in _crl_text(base, tmp_path)


def test_replacing_gives_a_new_sm2_certificate_and_the_old_one_is_superseded(county, tmp_path) -> None:
    home, base, admin = county
    _published(base, tmp_path)
    old = _seal(base, admin, "黑龙关镇")
    new = _act(base, admin, old, "replace")
    assert new["sm2_cert_serial"] and new["sm2_cert_serial"] != old["sm2_cert_serial"]
    old_answer = _ocsp_status(base, home, _sm2_cert(home, old["sm2_cert_serial"], tmp_path / "old.pem"), tmp_path)
    assert "Cert Status: revoked" in old_answer and "superseded" in old_answer
    assert "Cert Status: good" in _ocsp_status(
        base, home, _sm2_cert(home, new["sm2_cert_serial"], tmp_path / "new.pem"), tmp_path
    )


def test_the_sm2_tsa_answers_openssl_with_an_sm3_token_signed_by_its_certificate(county, tmp_path) -> None:
    _, base, _ = county
    files = _published(base, tmp_path)
    data = tmp_path / "data.bin"
    data.write_bytes("蒲县克城镇 SES 签章值".encode() * 50)
    query = tmp_path / "q.tsq"
    assert _openssl("ts", "-query", "-data", data, "-sm3", "-cert", "-out", query).returncode == 0
    r = httpx.post(
        f"{base}/pki/sm2/tsa", content=query.read_bytes(), headers={"Content-Type": "application/timestamp-query"}
    )
    assert r.headers["content-type"] == "application/timestamp-reply"
    (tmp_path / "r.tsr").write_bytes(r.content)
    text = _openssl("ts", "-reply", "-in", tmp_path / "r.tsr", "-text")
    assert text.returncode == 0, text.stderr
    assert "Status: Granted." in text.stdout and "Hash Algorithm: sm3" in text.stdout
    imprint = _openssl("dgst", "-sm3", "-r", data).stdout.split()[0]
    dump = [line.split(" - ", 1)[1][:47] for line in text.stdout.splitlines() if line.startswith("    00")]
    shown = "".join(dump).replace(" ", "").replace("-", "")
    assert shown == imprint
    # the token's signature: SM2 over the DER signed attributes, by the TSA certificate, which the issuing CA signed
    token = tsp.TimeStampResp.load(r.content)["time_stamp_token"]["content"]
    signer = token["signer_infos"][0]
    signed_attrs = signer["signed_attrs"].untag().dump()  # [0] IMPLICIT -> SET OF, as signed
    serial = signer["sid"].chosen["serial_number"].native
    tsa_der = next(c.chosen.dump() for c in token["certificates"] if c.chosen.serial_number == serial)
    (tmp_path / "tsa.der").write_bytes(tsa_der)
    _openssl("x509", "-inform", "DER", "-in", tmp_path / "tsa.der", "-out", tmp_path / "tsa.pem")
    (tmp_path / "tsa.pub").write_text(_openssl("x509", "-in", tmp_path / "tsa.pem", "-noout", "-pubkey").stdout)
    assert pkeyutl_verify(_openssl, tmp_path / "tsa.pub", signed_attrs, signer["signature"].native, tmp_path)
    linked = _openssl(
        "verify", "-vfyopt", DISTID, "-partial_chain", "-CAfile", files["issuing.crt"], tmp_path / "tsa.pem"
    )
    assert linked.returncode == 0, linked.stdout + linked.stderr
    ekus = _openssl("x509", "-in", tmp_path / "tsa.pem", "-noout", "-ext", "extendedKeyUsage").stdout
    assert "critical" in ekus and "Time Stamping" in ekus
    # messageDigest = SM3 of the TSTInfo, as OpenSSL computes it
    tst = token["encap_content_info"]["content"].contents
    (tmp_path / "tst.der").write_bytes(tst)
    digest = next(a["values"][0].native for a in signer["signed_attrs"] if a["type"].native == "message_digest")
    assert digest.hex() == _openssl("dgst", "-sm3", "-r", tmp_path / "tst.der").stdout.split()[0]
    assert hashlib.sha256(tst).digest() != digest


def test_the_sm2_tsa_refuses_in_protocol_form(county, tmp_path) -> None:
    _, base, _ = county
    data = tmp_path / "d.bin"
    data.write_bytes(b"x" * 100)
    query = tmp_path / "q.tsq"
    assert _openssl("ts", "-query", "-data", data, "-sha256", "-out", query).returncode == 0
    cases = {
        "sha256": (query.read_bytes(), "application/timestamp-query", "unrecognized or unsupported algorithm"),
        "garbage": (b"not a request", "application/timestamp-query", "the data submitted has the wrong format"),
        "media type": (query.read_bytes(), "text/plain", "the data submitted has the wrong format"),
    }
    for name, (body, media, failure) in cases.items():
        r = httpx.post(f"{base}/pki/sm2/tsa", content=body, headers={"Content-Type": media})
        (tmp_path / "r.tsr").write_bytes(r.content)
        text = _openssl("ts", "-reply", "-in", tmp_path / "r.tsr", "-text").stdout
        assert r.status_code == 200 and "Status: Rejected." in text and failure in text, (name, text)
