"""Stamped B-LT and B-LTA documents judged by independent validators, none of them ours.

Offline, from what the document carries: pyHanko's AdES validation (``pyhanko sign adesverify``:
revocation data required for every certificate, fresher than the signature); ``openssl cms
-verify`` over the signed byte ranges; ``openssl ocsp`` on the DSS's OCSP answer (and its
thisUpdate after the signature time-stamp's genTime); ``openssl verify -crl_check_all`` on the
seal's and the TSA's chains with the DSS's CRLs; qpdf (through pikepdf) on the file's structure.
Online, against the county's live server named in the certificates: poppler's pdfsig with its
OCSP check, ``pyhanko sign validate --force-revinfo`` (it fetches; every CA in the path must have
revocation data) and ``openssl ocsp -url``.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pytest
from asn1crypto import cms, tsp
from asn1crypto import ocsp as asn1_ocsp
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from esign.config import Settings
from esign.deployment import Deployment
from esign.hosts import BlobStore
from esign.setup import create_demo
from esign.workflow.engine import StampEngine
from esign.workflow.requests import StampRequestSpec, stamp_directly
from service.live import free_port, live_server
from tests.pdfgen import decision_pdf

from .conftest import nss_trusting_root

LEVELS = ("B-LT", "B-LTA")
PYHANKO = str(Path(sys.executable).parent / "pyhanko")


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Stamped:
    home: Path
    port: int
    files: dict[str, Path]
    certs: Path


@pytest.fixture(scope="module")
def stamped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stamped]:
    home = tmp_path_factory.mktemp("validators")
    port = free_port()  # the county is created with the address it is served on later
    dep = Deployment.open(Settings(home=home, public_base_url=f"http://127.0.0.1:{port}"))
    try:
        create_demo(dep, at=now())
        engine = StampEngine(dep, clock=now)
        files = {}
        for level in LEVELS:
            spec = StampRequestSpec(seal="克城镇", item="1", reason="受理", title="受理通知书", level=level)
            outcome = stamp_directly(
                dep, engine, decision_pdf(), spec, user="克城镇窗口", approver="克城镇批准人", at=now()
            )
            files[level] = home / f"{level}.pdf"
            files[level].write_bytes(BlobStore(home / "documents").get(outcome.output_sha256))
    finally:
        dep.close()
    yield Stamped(home, port, files, home / "certs")


def _run(*cmd: str, timeout: int = 120) -> str:
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    return out.stdout + out.stderr


def _pyhanko_verdicts(*args: str) -> list[str]:
    """The executive summary lines (``field:fingerprint:VALID|INVALID``) of a pyHanko CLI run."""
    out = subprocess.run([PYHANKO, "sign", *args], capture_output=True, text=True, timeout=180, check=False)
    verdicts = [line.rsplit(":", 1)[-1] for line in out.stdout.splitlines() if line.startswith("esign-")]
    assert verdicts, out.stdout + out.stderr
    return verdicts


def _seal_signature(path: Path) -> tuple[bytes, bytes]:
    """(the signed bytes of the byte ranges, the CMS DER) of the seal's signature (the first /Sig)."""
    data = path.read_bytes()
    with pikepdf.open(path) as pdf:
        sig = next(
            f.V for f in pdf.Root.AcroForm.Fields if f.get("/FT") == "/Sig" and f.V.get("/Type") != "/DocTimeStamp"
        )
        a, b, c, d = (int(v) for v in sig.ByteRange)
        contents = bytes(sig.Contents)
    return data[a : a + b] + data[c : c + d], cms.ContentInfo.load(contents).dump()


def _dss(path: Path) -> tuple[list[bytes], list[bytes], list[bytes]]:
    with pikepdf.open(path) as pdf:
        dss = pdf.Root.DSS
        return (
            [s.read_bytes() for s in dss.Certs],
            [s.read_bytes() for s in dss.OCSPs],
            [s.read_bytes() for s in dss.CRLs],
        )


def _pem_file(path: Path, ders: list[bytes], kind: str) -> Path:
    import base64

    chunks = []
    for der in ders:
        b64 = base64.encodebytes(der).decode().replace("\n", "")
        lines = "\n".join(b64[i : i + 64] for i in range(0, len(b64), 64))
        chunks.append(f"-----BEGIN {kind}-----\n{lines}\n-----END {kind}-----\n")
    path.write_text("".join(chunks))
    return path


def _cert_by_cn(ders: list[bytes], suffix: str) -> x509.Certificate:
    for der in ders:
        cert = x509.load_der_x509_certificate(der)
        if cert.subject.rfc4514_string().split(",")[0].endswith(suffix):
            return cert
    raise AssertionError(f"no certificate *{suffix} in the DSS")


# --- offline ---------------------------------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
def test_pyhanko_ades_validation_offline_from_the_dss(stamped: Stamped, level: str) -> None:
    # nothing listens on the port the certificates name: only what the document carries counts
    verdicts = _pyhanko_verdicts(
        "adesverify",
        "--trust",
        str(stamped.certs / "root.crt"),
        "--trust-replace",
        "--executive-summary",
        str(stamped.files[level]),
    )
    assert verdicts == ["VALID"]


@pytest.mark.parametrize("level", LEVELS)
def test_openssl_cms_verifies_the_byte_ranges(stamped: Stamped, level: str, tmp_path: Path) -> None:
    content, der = _seal_signature(stamped.files[level])
    (tmp_path / "content.bin").write_bytes(content)
    (tmp_path / "sig.der").write_bytes(der)
    out = _run(
        "openssl",
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        str(tmp_path / "sig.der"),
        "-content",
        str(tmp_path / "content.bin"),
        "-CAfile",
        str(stamped.certs / "root.crt"),
        "-purpose",
        "any",
        "-out",
        "/dev/null",
    )
    assert "Verification successful" in out, out
    # one flipped byte in the signed ranges fails it
    (tmp_path / "content.bin").write_bytes(content[:100] + bytes([content[100] ^ 1]) + content[101:])
    out = _run(
        "openssl",
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        str(tmp_path / "sig.der"),
        "-content",
        str(tmp_path / "content.bin"),
        "-CAfile",
        str(stamped.certs / "root.crt"),
        "-purpose",
        "any",
        "-out",
        "/dev/null",
    )
    assert "Verification successful" not in out


@pytest.mark.parametrize("level", LEVELS)
def test_the_dss_ocsp_answer_is_fresher_than_the_signature(stamped: Stamped, level: str, tmp_path: Path) -> None:
    certs, ocsps, _crls = _dss(stamped.files[level])
    seal = _cert_by_cn(certs, "专用章")
    issuing = _cert_by_cn(certs, "签发CA")
    [resp] = ocsps
    (tmp_path / "resp.der").write_bytes(resp)
    (tmp_path / "seal.pem").write_bytes(seal.public_bytes(Encoding.PEM))
    (tmp_path / "issuing.pem").write_bytes(issuing.public_bytes(Encoding.PEM))
    out = _run(
        "openssl",
        "ocsp",
        "-respin",
        str(tmp_path / "resp.der"),
        "-issuer",
        str(tmp_path / "issuing.pem"),
        "-sha256",
        "-cert",
        str(tmp_path / "seal.pem"),
        "-CAfile",
        str(stamped.certs / "root.crt"),
        "-verify_other",
        str(tmp_path / "issuing.pem"),
        "-no_nonce",
    )
    assert "Response verify OK" in out and ": good" in out, out
    # thisUpdate is at or after the signature time-stamp's genTime (ETSI EN 319 142-1 5.4)
    this_update = (
        asn1_ocsp.OCSPResponse.load(resp).basic_ocsp_response["tbs_response_data"]["responses"][0]["this_update"].native
    )
    _content, der = _seal_signature(stamped.files[level])
    signer_info = cms.ContentInfo.load(der)["content"]["signer_infos"][0]
    [token] = [
        a["values"][0] for a in signer_info["unsigned_attrs"] if a["type"].native == "signature_time_stamp_token"
    ]
    gen_time = tsp.TSTInfo.load(token["content"]["encap_content_info"]["content"].parsed.dump())["gen_time"].native
    assert this_update >= gen_time, (this_update, gen_time)


@pytest.mark.parametrize("level", LEVELS)
def test_openssl_verifies_the_chains_with_every_crl(stamped: Stamped, level: str, tmp_path: Path) -> None:
    certs, _ocsps, crls = _dss(stamped.files[level])
    assert len(crls) == 2  # the issuing CA's and the root's
    crl_pem = _pem_file(tmp_path / "crls.pem", crls, "X509 CRL")
    issuing = tmp_path / "issuing.pem"
    issuing.write_bytes(_cert_by_cn(certs, "签发CA").public_bytes(Encoding.PEM))
    for leaf in ("专用章", "时间戳服务"):
        (tmp_path / "leaf.pem").write_bytes(_cert_by_cn(certs, leaf).public_bytes(Encoding.PEM))
        out = _run(
            "openssl",
            "verify",
            "-crl_check_all",
            "-CAfile",
            str(stamped.certs / "root.crt"),
            "-untrusted",
            str(issuing),
            "-CRLfile",
            str(crl_pem),
            "-purpose",
            "any",
            str(tmp_path / "leaf.pem"),
        )
        assert out.strip().endswith(": OK"), out
    # without the root's CRL, the issuing CA's status is unknown: the check is real
    _pem_file(tmp_path / "one.pem", crls[:1], "X509 CRL")
    out = _run(
        "openssl",
        "verify",
        "-crl_check_all",
        "-CAfile",
        str(stamped.certs / "root.crt"),
        "-untrusted",
        str(issuing),
        "-CRLfile",
        str(tmp_path / "one.pem"),
        str(tmp_path / "leaf.pem"),
    )
    assert "unable to get certificate CRL" in out, out


@pytest.mark.parametrize("level", LEVELS)
def test_qpdf_finds_the_structure_sound(stamped: Stamped, level: str) -> None:
    with pikepdf.open(stamped.files[level]) as pdf:
        pdf.check_pdf_syntax()  # qpdf's syntax check, through pikepdf: raises on an error
        assert "/DSS" in pdf.Root
    if shutil.which("qpdf"):
        out = _run("qpdf", "--check", str(stamped.files[level]))
        assert "No syntax or stream encoding errors found" in out, out


# --- online, against the live server the certificates name -----------------------------------


@pytest.fixture(scope="module")
def served(stamped: Stamped) -> Iterator[str]:
    with live_server(stamped.home, port=stamped.port) as server:
        yield server.base


@pytest.mark.parametrize("level", LEVELS)
def test_pdfsig_with_online_ocsp(stamped: Stamped, served: str, level: str) -> None:
    if not shutil.which("pdfsig"):
        pytest.fail("poppler-utils (pdfsig) is not installed", pytrace=False)
    nssdb = stamped.home / "nssdb"
    if not nssdb.exists():
        nss_trusting_root(stamped.home)
    out = _run("pdfsig", "-nssdir", f"sql:{nssdb}", str(stamped.files[level]))
    first = out.split("Signature #2")[0]
    assert "Signature Validation: Signature is Valid." in first, out
    assert "Certificate Validation: Certificate is Trusted." in first, out


@pytest.mark.parametrize("level", LEVELS)
def test_pyhanko_force_revinfo_online(stamped: Stamped, served: str, level: str) -> None:
    verdicts = _pyhanko_verdicts(
        "validate",
        "--force-revinfo",
        "--trust",
        str(stamped.certs / "root.crt"),
        "--trust-replace",
        "--executive-summary",
        str(stamped.files[level]),
    )
    assert verdicts == ["VALID"]


def test_openssl_ocsp_against_the_live_responder(stamped: Stamped, served: str, tmp_path: Path) -> None:
    certs, _ocsps, _crls = _dss(stamped.files["B-LT"])
    (tmp_path / "seal.pem").write_bytes(_cert_by_cn(certs, "专用章").public_bytes(Encoding.PEM))
    issuing = str(stamped.certs / "issuing.crt")
    out = _run(
        "openssl",
        "ocsp",
        "-issuer",
        issuing,
        "-cert",
        str(tmp_path / "seal.pem"),
        "-url",
        f"{served}/pki/ocsp",
        "-CAfile",
        str(stamped.certs / "root.crt"),
        "-verify_other",
        issuing,
    )
    assert "Response verify OK" in out and ": good" in out, out
