"""BouncyCastle (Debian's libbcprov-java) reads our SES_Seal and SES_Signature with its own ASN.1 classes
and verifies SM3withSM2 (maker over DER(SES_SealInfo), signer over DER(TBS_Sign)); it reads ofdrw's
samples the same way. The checker is tests/ses/java/SesCheck.java, compiled here."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from esign.ses.signature import sign
from tests.ses.conftest import AT, SAMPLES, Pki

BCPROV = Path("/usr/share/java/bcprov.jar")
SOURCE = Path(__file__).with_name("java") / "SesCheck.java"


@pytest.fixture(scope="module")
def sescheck(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    javac, java = shutil.which("javac"), shutil.which("java")
    if javac is None or java is None or not BCPROV.exists():
        pytest.skip("javac/java or libbcprov-java is not installed (dev.sh installs them)")
    out = tmp_path_factory.mktemp("bc")
    done = subprocess.run(
        [javac, "-cp", str(BCPROV), "-d", str(out), str(SOURCE)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr

    def run(*args: Path | str) -> tuple[int, dict[str, str]]:
        got = subprocess.run(
            [java, "-cp", f"{BCPROV}:{out}", "SesCheck", *map(str, args)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert "Exception" not in got.stderr, got.stderr
        return got.returncode, dict(line.split("=", 1) for line in got.stdout.splitlines() if "=" in line)

    return run


def test_bouncycastle_reads_and_verifies_our_seal(sescheck, pki: Pki, seal_der: bytes, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "seal.esl").write_bytes(seal_der)
    code, out = sescheck("seal", tmp_path / "seal.esl")
    assert code == 0 and out["maker_signature"] == "OK" and out["result"] == "OK", out
    assert out["header"] == "ES/4/esign" and out["esID"] == "14102610000000001"
    assert out["name"] == "测试镇人民政府行政审批服务专用章" and out["certListType"] == "1"
    assert out["picture"].startswith("PNG/") and out["picture"].endswith("/42x42")
    assert out["signer[0]"].startswith("CN=测试镇人民政府")
    # one byte of the seal's name changed: BouncyCastle refuses the maker signature too
    name = "行政审批".encode()
    (tmp_path / "bad.esl").write_bytes(seal_der.replace(name, "行政审判".encode(), 1))
    code, out = sescheck("seal", tmp_path / "bad.esl")
    assert code == 1 and out["maker_signature"] == "BAD"


def test_bouncycastle_verifies_our_signature(sescheck, pki: Pki, seal_der: bytes, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = "<Signature>县政府文件</Signature>".encode()
    der = sign(
        data=data,
        property_info="/Doc_0/Signs/Sign_0/Signature.xml",
        seal=seal_der,
        signer_key=pki.signer_key,
        signer_cert=pki.signer.der,
        timestamper=pki.timestamper(AT),
        at=AT,
    )
    (tmp_path / "SignedValue.dat").write_bytes(der)
    (tmp_path / "Signature.xml").write_bytes(data)
    code, out = sescheck("signature", tmp_path / "SignedValue.dat", tmp_path / "Signature.xml")
    assert code == 0, out
    assert out["signature"] == out["seal.maker_signature"] == out["signer_in_seal"] == "OK"
    assert out["dataHash"].startswith("OK ") and out["version"] == "4" and out["timeInfo"] == "20260301080000Z"
    assert int(out["timeStamp"]) > 500
    (tmp_path / "Signature.xml").write_bytes(data + b" ")
    code, out = sescheck("signature", tmp_path / "SignedValue.dat", tmp_path / "Signature.xml")
    assert code == 1 and out["dataHash"].startswith("BAD") and out["signature"] == "OK"


def test_bouncycastle_reads_ofdrw_samples(sescheck, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    if not (SAMPLES / "UserV4.esl").exists():
        pytest.skip("the shared samples are not mounted")
    code, out = sescheck("seal", SAMPLES / "UserV4.esl")
    assert code == 0 and out["maker_signature"] == "OK" and out["esID"] == "51f044b76510434e9bc67a1185c2fba5"
    assert out["validEnd"] == "20220422020900Z"
    with zipfile.ZipFile(SAMPLES / "SESV4SignDoc.ofd") as z:
        (tmp_path / "sv").write_bytes(z.read("Doc_0/Signs/Sign_0/SignedValue.dat"))
        (tmp_path / "xml").write_bytes(z.read("Doc_0/Signs/Sign_0/Signature.xml"))
    code, out = sescheck("signature", tmp_path / "sv", tmp_path / "xml")
    assert code == 0 and out["signature"] == "OK" and out["dataHash"].startswith("OK"), out
