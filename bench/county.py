"""The benchmark's own county and documents, built by code in a temporary folder.

:class:`BenchCounty` is the demo county 蒲县 (``esign.setup.create_demo``) in a fresh data home,
its public base URL fixed up front so that the URLs printed into the certificates (OCSP, CRL,
caIssuers) and the TSA reach the live server that a benchmark may start on that port.
:class:`KeyExports` writes the 克城镇 seal key where outside tools can use it: encrypted PKCS#8
PEM plus a passfile (pyHanko CLI), PKCS#12 imported into an NSS database (poppler's pdfsig). Keys
are never written unencrypted; everything lives in a 0700 temporary folder removed afterwards.
"""

from __future__ import annotations

import datetime as dt
import io
import secrets
import subprocess
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from esign.config import Settings
from esign.deployment import Deployment
from esign.hosts import BlobStore
from esign.pki.keys import PrivateKey
from esign.registry import find_seal
from esign.setup import create_demo
from esign.stamp import placement_from_dict
from esign.workflow.engine import StampEngine
from esign.workflow.requests import StampOutcome, StampRequestSpec, stamp_directly

__all__ = [
    "APPROVER",
    "CLERK",
    "ITEM",
    "SEAL",
    "BenchCounty",
    "Documents",
    "KeyExports",
    "now",
]

SEAL = "克城镇"
CLERK = "克城镇窗口"
APPROVER = "克城镇批准人"
ITEM = "1"
#: Where the seal goes on a scan (no text layer to search): lower right of the last page.
SCAN_PLACEMENT: dict[str, Any] = {"mode": "position", "page": -1, "x_mm": 150, "y_mm": 230}


def now() -> dt.datetime:
    """The clock (benchmarks, like the CLI, stamp 'now')."""
    return dt.datetime.now(dt.UTC)


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


class BenchCounty:
    """A demo county in ``home`` with a per-process :class:`StampEngine`."""

    def __init__(self, home: Path, *, base_url: str, database_url: str | None = None) -> None:
        self.home = home
        self.base_url = base_url
        self.database_url = database_url
        settings = Settings(home=home, public_base_url=base_url, database_url=database_url)
        self.dep = Deployment.open(settings)
        rows = create_demo(self.dep, at=now())
        if rows is None:
            raise RuntimeError(f"{home} already holds a county")
        self.tokens = {name: token for name, _role, _township, token in rows}
        self.engine = StampEngine(self.dep, clock=now)
        with self.dep.transaction() as session:
            seal = find_seal(session, SEAL)
            _ = seal.township  # loaded before the session closes: the engine reads it later
            self.seal = seal

    def env(self) -> dict[str, str]:
        """Environment for a server or CLI process on this county."""
        env = {"ESIGN_HOME": str(self.home), "ESIGN_PUBLIC_BASE_URL": self.base_url}
        if self.database_url:
            env["ESIGN_DATABASE_URL"] = self.database_url
        return env

    @cached_property
    def key(self) -> PrivateKey:
        """The seal's private key (in memory only)."""
        assert self.seal.key_id
        return self.dep.keystore.load_private(self.seal.key_id)

    @cached_property
    def certificate(self) -> x509.Certificate:
        """The seal certificate."""
        return self.engine.material(self.seal).credentials.certificate

    @property
    def chain(self) -> tuple[x509.Certificate, ...]:
        """Issuing CA and root."""
        return tuple(self.dep.pki.chain)

    @property
    def root(self) -> x509.Certificate:
        """The county root (trust anchor)."""
        return self.dep.pki.root

    def stamp(self, data: bytes, *, level: str = "B-LT", placement: dict[str, Any] | None = None) -> StampOutcome:
        """The full pipeline: rules, seal + QR, PAdES signature, usage-register append."""
        spec = StampRequestSpec(
            seal=SEAL,
            item=ITEM,
            reason="基准测试 benchmark",
            title="基准测试文书",
            level=level,
            placement=placement_from_dict(placement or {"mode": "keyword"}),
        )
        return stamp_directly(self.dep, self.engine, data, spec, user=CLERK, approver=APPROVER, at=now())

    def output(self, outcome: StampOutcome) -> bytes:
        """The stamped file of ``outcome``."""
        return BlobStore(self.home / "documents").get(outcome.output_sha256)

    def close(self) -> None:
        """Release the database."""
        self.dep.close()


@dataclass(frozen=True)
class KeyExports:
    """The seal key and certificates as files for the pyHanko CLI and for pdfsig."""

    folder: Path
    key_pem: Path
    """Encrypted PKCS#8 PEM."""
    passfile: Path
    """The key's passphrase."""
    cert_pem: Path
    chain_pem: Path
    nssdb: str
    """``sql:`` path of an NSS database holding the signing key and trusting the county root."""
    nss_password: str
    nick: str
    """Nickname of the signing key in the NSS database."""
    nss_note: str
    """Empty, or why pdfsig signs with a stand-in key."""

    @classmethod
    def write(cls, county: BenchCounty, folder: Path) -> KeyExports:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        password = secrets.token_urlsafe(18)
        enc = serialization.BestAvailableEncryption(password.encode())
        pem = serialization.Encoding.PEM
        key_pem = folder / "seal.key.pem"
        key_pem.write_bytes(county.key.private_bytes(pem, serialization.PrivateFormat.PKCS8, enc))
        key_pem.chmod(0o600)
        passfile = folder / "seal.pass"
        passfile.write_text(password)
        passfile.chmod(0o600)
        cert_pem = folder / "seal.crt.pem"
        cert_pem.write_bytes(county.certificate.public_bytes(pem))
        chain_pem = folder / "chain.pem"
        chain_pem.write_bytes(b"".join(c.public_bytes(pem) for c in county.chain))

        nss = folder / "nssdb"
        nss.mkdir(mode=0o700)
        nssdb = f"sql:{nss}"
        subprocess.run(["certutil", "-N", "-d", nssdb, "-f", str(passfile)], check=True, capture_output=True)
        root_der = folder / "root.der"
        root_der.write_bytes(_der(county.root))
        subprocess.run(
            [
                "certutil",
                "-A",
                "-d",
                nssdb,
                "-f",
                str(passfile),
                "-n",
                "county-root",
                "-t",
                "CT,C,C",
                "-i",
                str(root_der),
            ],
            check=True,
            capture_output=True,
        )
        p12 = folder / "seal.p12"
        p12.write_bytes(
            pkcs12.serialize_key_and_certificates(b"seal", county.key, county.certificate, list(county.chain), enc)
        )
        _pk12_import(p12, nssdb, passfile)
        exports = cls(folder, key_pem, passfile, cert_pem, chain_pem, nssdb, password, "seal", "")
        failures = exports.pdfsig_failures(folder, tries=8)
        if failures:
            # poppler 22.x fails on EC keys now and then ("unable update signature"; the ECDSA
            # signature's length varies from one signature to the next); time pdfsig with an
            # RSA-2048 key instead, which it signs with reliably.
            rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "蒲县克城镇专用章 (RSA stand-in)")])
            start = now() - dt.timedelta(days=1)
            cert = (
                x509.CertificateBuilder()
                .subject_name(name)
                .issuer_name(name)
                .public_key(rsa_key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(start)
                .not_valid_after(start + dt.timedelta(days=30))
                .sign(rsa_key, hashes.SHA256())
            )
            p12_rsa = folder / "rsa.p12"
            p12_rsa.write_bytes(pkcs12.serialize_key_and_certificates(b"rsa-standin", rsa_key, cert, None, enc))
            _pk12_import(p12_rsa, nssdb, passfile)
            exports = cls(
                folder,
                key_pem,
                passfile,
                cert_pem,
                chain_pem,
                nssdb,
                password,
                "rsa-standin",
                f"pdfsig failed on {failures} of 8 tries with the seal's EC P-256 key ('unable update "
                "signature', a poppler 22.x problem with EC keys); its row signs with an RSA-2048 stand-in key",
            )
        return exports

    def pdfsig_sign(self, src: Path, dst: Path) -> subprocess.CompletedProcess[str]:
        """``pdfsig -add-signature`` (one process per document)."""
        return subprocess.run(
            [
                "pdfsig",
                "-add-signature",
                "-nssdir",
                self.nssdb,
                "-nss-pwd",
                self.nss_password,
                "-kpw",
                self.nss_password,
                "-nick",
                self.nick,
                "-new-signature-field-name",
                "Sig1",
                str(src),
                str(dst),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def pdfsig_failures(self, folder: Path, *, tries: int) -> int:
        """How many of ``tries`` pdfsig signatures with this key fail."""
        from tests.pdfgen import decision_pdf

        src, dst = folder / "probe.pdf", folder / "probe.signed.pdf"
        src.write_bytes(decision_pdf())
        return sum(self.pdfsig_sign(src, dst).returncode != 0 for _ in range(tries))


def _pk12_import(p12: Path, nssdb: str, passfile: Path) -> None:
    subprocess.run(
        ["pk12util", "-i", str(p12), "-d", nssdb, "-k", str(passfile), "-w", str(passfile)],
        check=True,
        capture_output=True,
    )


def _octal8(n: int) -> str:
    # The number in base 8 over digits the decision's other lines already use, so every document
    # shares one font subset and building 500 of them takes seconds, not minutes.
    digits = "01234578"
    out = ""
    while True:
        n, r = divmod(n, 8)
        out = digits[r] + out
        if n == 0:
            return out.rjust(3, "0")


class Documents:
    """Test documents (tests/pdfgen), built once per run."""

    @cached_property
    def decision(self) -> bytes:
        """The 1-page 受理通知书 of 克城镇."""
        from tests.pdfgen import decision_pdf

        return decision_pdf()

    def numbered_decision(self, n: int) -> bytes:
        """Decision number ``n`` (distinct bytes for batch runs)."""
        from tests.pdfgen import decision_pdf

        return decision_pdf(number=f"克政审受字〔2025〕第{_octal8(n)}号")

    @cached_property
    def pages(self) -> dict[int, bytes]:
        """1, 20 and 200 A4 pages of Chinese text."""
        from tests.pdfgen import long_pdf

        return {n: long_pdf(n) for n in (1, 20, 200)}

    @cached_property
    def scan(self) -> bytes:
        """A one-page colour scan of about 10 MB (a 300 dpi JPEG with paper-like noise)."""
        return scan_pdf(10 * 1024 * 1024)


def scan_pdf(target_bytes: int) -> bytes:
    """A scanned A4 page (no text layer) of roughly ``target_bytes``: pdfgen's scan plus noise."""
    from PIL import Image, ImageChops, ImageDraw, ImageFont

    from tests.pdfgen import FONT_PATH, Page, build_pdf

    dpi = 300
    w, h = round(210 / 25.4 * dpi), round(297 / 25.4 * dpi)
    page = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT_PATH, size=round(14 / 72 * dpi))
    for i, line in enumerate(("证  明", "兹证明王建国同志系我镇克城村村民，", "家庭住址属实。", "特此证明。")):
        draw.text((round(35 / 25.4 * dpi), round((40 + i * 12) / 25.4 * dpi)), line, font=font, fill=0)
    best = b""
    for sigma, quality in ((40, 90), (55, 93), (70, 95), (90, 97)):
        noise = Image.effect_noise((w, h), sigma)
        grey = ImageChops.multiply(page, noise.point(lambda v: min(255, v + 120)))
        rgb = Image.merge("RGB", (grey, grey.transpose(Image.Transpose.FLIP_LEFT_RIGHT), grey))
        buf = io.BytesIO()
        rgb.save(buf, format="JPEG", quality=quality)
        best = buf.getvalue()
        if len(best) >= target_bytes * 0.9:
            break
    return build_pdf([Page(image_jpeg=best)], seed="bench-scan", producer="Canon iR-ADV C3525 (esign bench)")
