"""``esign ses verify`` in a subprocess: Chinese verdicts, JSON, exit codes, never a traceback."""

from __future__ import annotations

import base64
import json
import zipfile
from pathlib import Path

import pytest

from tests.cli.test_main import _esign
from tests.ses.conftest import SAMPLES, build_pki, crl_of, make_test_seal


def _pem(der: bytes) -> str:
    return "-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der).decode() + "-----END CERTIFICATE-----\n"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("ses")
    pki = build_pki()
    (d / "seal.esl").write_bytes(make_test_seal(pki))
    (d / "root.pem").write_text(_pem(pki.root.der))
    (d / "issuing.pem").write_text(_pem(pki.issuing.der))
    (d / "crl.der").write_bytes(crl_of(pki))
    (d / "junk.esl").write_bytes(b"\x30\x82\x01\x00not a seal")
    (d / "notcert.pem").write_text("hello")
    return d


_OURS = ("--trust", "root.pem", "--intermediate", "issuing.pem", "--crl", "crl.der", "--at", "2026-03-01T18:00:00")


def test_our_seal_passes(files: Path) -> None:
    got = _esign("ses", "verify", "seal.esl", *_OURS, cwd=files)
    assert got.returncode == 0, got.stdout + got.stderr
    assert "TOTAL_PASSED" in got.stdout and "有效：电子印章数据真实有效" in got.stdout
    assert "测试镇人民政府行政审批服务专用章" in got.stdout and "42×42 毫米" in got.stdout
    assert "Traceback" not in got.stderr


def test_json_output(files: Path) -> None:
    got = _esign("ses", "verify", "seal.esl", *_OURS, "--json", cwd=files)
    assert got.returncode == 0, got.stderr
    data = json.loads(got.stdout)
    assert data["indication"] == "TOTAL_PASSED"
    assert data["signatures"][0]["seal"]["es_id"] == "14102610000000001"


def test_ofdrw_seal_is_refused_with_reasons(files: Path) -> None:
    if not (SAMPLES / "UserV4.esl").exists():
        pytest.skip("the shared samples are not mounted")
    got = _esign("ses", "verify", str(SAMPLES / "UserV4.esl"), "--trust", "root.pem", cwd=files)
    assert got.returncode == 1 and "Traceback" not in got.stderr
    out = " ".join(got.stdout.split())
    assert "TOTAL_FAILED / EXPIRED" in out and "制章者证书已过期" in out and "电子印章已过有效期" in out
    assert "OFD Reader and WriterROOT Certificate" in out and "制章者签名 maker signature │ 有效 valid" in out


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (("ses", "verify", "junk.esl", "--trust", "root.pem"), 1, "FORMAT_FAILURE"),
        (("ses", "verify", "seal.esl", "--trust", "notcert.pem"), 2, "不是 SM2 证书"),
        (("ses", "verify", "seal.esl", "--home", "."), 6, "请用 --trust 指定 SM2 根证书"),
        (("ses", "verify", "missing.esl", "--trust", "root.pem"), 2, "用法错误"),
    ],
    ids=["junk", "bad-trust", "no-trust", "no-file"],
)
def test_bad_input(files: Path, args: tuple[str, ...], code: int, text: str) -> None:
    got = _esign(*args, cwd=files)
    assert got.returncode == code, got.stdout + got.stderr
    assert text in got.stdout + got.stderr and "Traceback" not in got.stdout + got.stderr


def test_a_signature_with_its_data(files: Path) -> None:
    """An OFD's SignedValue.dat (SES_Signature) with --data Signature.xml: checked as a signature."""
    ofd = SAMPLES / "SESV4SignDoc.ofd"
    if not ofd.exists():
        pytest.skip("the shared samples are not mounted")
    with zipfile.ZipFile(ofd) as z:
        (files / "SignedValue.dat").write_bytes(z.read("Doc_0/Signs/Sign_0/SignedValue.dat"))
        xml = z.read("Doc_0/Signs/Sign_0/Signature.xml")
    (files / "Signature.xml").write_bytes(xml)
    (files / "changed.xml").write_bytes(xml.replace(b"Sign", b"Sigh", 1))
    got = _esign("ses", "verify", "SignedValue.dat", "--data", "Signature.xml", "--trust", "root.pem", cwd=files)
    assert got.returncode == 1 and "Traceback" not in got.stderr
    out = " ".join(got.stdout.split())
    assert "签名值: 有效；原文杂凑值: 一致" in out and "签章者证书不是由受信任的证书机构签发的" in out
    got = _esign(
        "ses", "verify", "SignedValue.dat", "--data", "changed.xml", "--trust", "root.pem", "--json", cwd=files
    )
    data = json.loads(got.stdout)
    assert data["subindication"] == "HASH_FAILURE" and data["signatures"][0]["intact"] is False


def test_a_county_seal_passes_against_the_home_trust(tmp_path: Path) -> None:
    """Without --trust the home's SM2 root, issuing CA and CRLs (the current one from the database) are used."""
    assert _esign("demo", "--home", "home", cwd=tmp_path).returncode == 0
    exported = _esign("seal", "ses", "蒲城镇", "-o", "seal.esl", "--home", "home", cwd=tmp_path)
    assert exported.returncode == 0, exported.stdout + exported.stderr
    got = _esign("ses", "verify", "seal.esl", "--home", "home", "--json", cwd=tmp_path)
    assert got.returncode == 0, got.stdout + got.stderr
    assert json.loads(got.stdout)["indication"] == "TOTAL_PASSED"
