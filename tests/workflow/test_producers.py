"""Inputs from real producers other than LibreOffice, stamped and then verified by us and by others.

The LibreOffice decision is rewritten by Ghostscript (PDF 2.0, whose XMP packet is not
well-formed XML, and PDF/A-2), by qpdf (object streams, linearized, encrypted with an empty user
password and with a user password) and signed by someone else first (pyHanko under a foreign test
CA). Each is stamped (keyword placement) and must verify: by our verifier (with the password where
one is needed, as a viewer opens it otherwise) and by poppler's pdfsig; the foreign signature
stays valid beside ours (pyHanko CLI with both roots).
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore
from typer.testing import CliRunner

from esign.cli.main import app
from esign.hosts import BlobStore
from esign.stamp import AtKeyword
from esign.verify.report import Indication
from esign.workflow.requests import StampRequestSpec, stamp_directly
from esign.workflow.verification import verify_document
from service.app import create_app
from tests.office import OfficePdfs

from .conftest import now, pdfsig

PASSWORD = "kc-2026"


def _tool(*cmd: str, data: bytes, tmp: Path) -> bytes:
    if shutil.which(cmd[0]) is None:
        pytest.fail(f"{cmd[0]} is not installed (dev.sh installs it)", pytrace=False)
    src, dst = tmp / "in.pdf", tmp / "out.pdf"
    src.write_bytes(data)
    subprocess.run([*cmd, str(src), str(dst)], check=True, capture_output=True, timeout=120)
    return dst.read_bytes()


def _gs(*opts: str) -> Callable[[bytes, Path], bytes]:
    def run(data: bytes, tmp: Path) -> bytes:
        if shutil.which("gs") is None:
            pytest.fail("ghostscript is not installed (dev.sh installs it)", pytrace=False)
        src, dst = tmp / "in.pdf", tmp / "out.pdf"
        src.write_bytes(data)
        subprocess.run(
            [
                "gs",
                "-q",
                "-dNOPAUSE",
                "-dBATCH",
                "-dSAFER",
                "-sDEVICE=pdfwrite",
                *opts,
                f"-sOutputFile={dst}",
                str(src),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        return dst.read_bytes()

    return run


PRODUCERS: dict[str, tuple[Callable[[bytes, Path], bytes], str | None]] = {
    # ps2pdf -dCompatibilityLevel=2.0 is this gs call
    "gs-pdf20": (_gs("-dCompatibilityLevel=2.0"), None),
    "gs-pdfa2": (_gs("-dPDFA=2", "-dPDFACompatibilityPolicy=1", "-sColorConversionStrategy=RGB"), None),
    "qpdf-objstreams": (lambda d, t: _tool("qpdf", "--object-streams=generate", data=d, tmp=t), None),
    "qpdf-linearized": (lambda d, t: _tool("qpdf", "--linearize", data=d, tmp=t), None),
    "qpdf-empty-user-password": (
        lambda d, t: _tool("qpdf", "--encrypt", "", "owner-secret", "256", "--", data=d, tmp=t),
        None,
    ),
    "qpdf-user-password": (
        lambda d, t: _tool("qpdf", "--encrypt", PASSWORD, "owner-secret", "256", "--", data=d, tmp=t),
        PASSWORD,
    ),
}


def _stamp(county, data: bytes, password: str | None = None):
    spec = StampRequestSpec(
        seal="克城镇", item="1", reason="受理", title="受理通知书", placement=AtKeyword(), password=password
    )
    outcome = stamp_directly(
        county.dep, county.engine, data, spec, user="克城镇窗口", approver="克城镇批准人", at=now()
    )
    return outcome, BlobStore(county.home / "documents").get(outcome.output_sha256)


@pytest.mark.parametrize("name", list(PRODUCERS))
def test_rewritten_decisions_stamp_and_verify(county, office_pdfs: OfficePdfs, name: str, tmp_path: Path) -> None:
    make, password = PRODUCERS[name]
    source = make(office_pdfs.plain, tmp_path)
    outcome, out = _stamp(county, source, password)

    report = verify_document(county.dep, out, at=now(), password=password)
    assert report.passed, report.conclusion_en
    if name == "gs-pdf20":  # its XMP packet is not XML: replaced in the stamped revision, and said so
        assert any("XMP" in n for n in outcome.notes), outcome.notes
    else:
        assert outcome.notes == ()

    path = tmp_path / "stamped.pdf"
    path.write_bytes(out)
    if password is not None:
        refused = verify_document(county.dep, out, at=now())
        assert not refused.passed and refused.problems[0].code == "encrypted"
        cli = CliRunner().invoke(app, ["verify", str(path), "--home", str(county.home), "--password", password])
        assert cli.exit_code == 0, cli.output
        with TestClient(create_app(deployment=county.dep)) as client:  # the API's password field
            upload = {"file": ("stamped.pdf", out, "application/pdf")}
            opened = client.post("/api/v1/verify", files=upload, data={"password": password})
            assert opened.status_code == 200 and opened.json()["indication"] == "TOTAL_PASSED", opened.text
            locked = client.post("/api/v1/verify", files=upload)
            assert locked.status_code == 200 and locked.json()["indication"] != "TOTAL_PASSED", locked.text
            wrong = client.post("/api/v1/verify", files=upload, data={"password": "not-the-password"})
            assert wrong.status_code in (200, 400) and wrong.json().get("indication") != "TOTAL_PASSED", wrong.text
        return  # pdfsig asks for the password interactively
    verdict = pdfsig(county, path)
    assert "Signature is Valid." in verdict and "Certificate is Trusted." in verdict, verdict


# --- a document signed by someone else first ----------------------------------------------------


def _foreign_ca(tmp: Path) -> tuple[signers.SimpleSigner, Path]:
    """A foreign test CA (root -> signer, EC P-256) and a pyHanko signer under it; returns the root's PEM path."""
    at = dt.datetime.now(dt.UTC)
    root_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"), x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def cert(subject: str, key, issuer: str, signer_key, ca: bool) -> x509.Certificate:
        b = (
            x509.CertificateBuilder()
            .subject_name(name(subject))
            .issuer_name(name(issuer))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(at - dt.timedelta(hours=1))
            .not_valid_after(at + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(
                # digitalSignature + nonRepudiation for the signer (pyHanko's default key usage policy)
                x509.KeyUsage(not ca, not ca, False, False, False, ca, ca, False, False),
                critical=True,
            )
        )
        return b.sign(signer_key, hashes.SHA256())

    root = cert("外单位测试根CA", root_key, "外单位测试根CA", root_key, True)
    leaf = cert("申请人 王建国", leaf_key, "外单位测试根CA", root_key, False)
    root_pem = tmp / "foreign-root.pem"
    root_pem.write_bytes(root.public_bytes(Encoding.PEM))
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(leaf.public_bytes(Encoding.DER)),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            leaf_key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
        ),
        cert_registry=SimpleCertificateStore.from_certs([asn1_x509.Certificate.load(root.public_bytes(Encoding.DER))]),
    )
    return signer, root_pem


def test_a_document_signed_by_someone_else_keeps_both_signatures_valid(
    county, office_pdfs: OfficePdfs, tmp_path: Path
) -> None:
    signer, foreign_root = _foreign_ca(tmp_path)
    writer = IncrementalPdfFileWriter(io.BytesIO(office_pdfs.plain))
    signed = signers.sign_pdf(writer, signers.PdfSignatureMetadata(field_name="Applicant"), signer=signer).getvalue()
    _outcome, out = _stamp(county, signed)
    path = tmp_path / "two.pdf"
    path.write_bytes(out)

    # pyHanko's CLI with both roots: the applicant's signature intact (only a signature and
    # validation data were added after it) and ours
    result = subprocess.run(
        [str(Path(sys.executable).parent / "pyhanko"), "sign", "validate", "--no-revocation-check", "--trust",
         str(foreign_root), "--trust", str(county.home / "certs" / "root.crt"), "--trust-replace", str(path)],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    lines = [line for line in result.stdout.splitlines() if line.startswith(("Applicant:", "esign-"))]
    assert len(lines) == 2, result.stdout + result.stderr
    for line in lines:
        assert ":INTACT:TRUSTED" in line, line

    report = verify_document(county.dep, out, at=now())
    ours = [s for s in report.signatures if s.field_name.startswith("esign-")]
    theirs = [s for s in report.signatures if s.field_name == "Applicant"]
    assert [s.indication for s in ours] == [Indication.TOTAL_PASSED], report.conclusion_en
    # ours does not trust the foreign root, but its bytes are intact: not a failed signature
    assert theirs and theirs[0].indication is not Indication.TOTAL_FAILED, report.conclusion_en
    verdict = pdfsig(county, path)
    assert verdict.count("Signature Validation: Signature is Valid.") == 2, verdict
