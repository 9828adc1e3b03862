"""OFD at the edges: ``esign verify FILE.ofd`` (subprocess), ``POST /api/v1/verify`` and the /verify page
sniff OFD by content and report in the PDF schema; hostile OFDs are 4xx with their code, never a 500."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

import pytest

from esign.pki.sm2_certs import sm2_crl
from tests.cli.test_main import _esign
from tests.ofd import hostile
from tests.ofd.signed import add_signature
from tests.service.conftest import DemoCounty, demo  # noqa: F401  (the fixture, shared)
from tests.ses.conftest import Pki, build_pki, make_test_seal

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)


def _pem(der: bytes) -> str:
    return "-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der).decode() + "-----END CERTIFICATE-----\n"


@pytest.fixture(scope="module")
def pki() -> Pki:
    return build_pki()


@pytest.fixture(scope="module")
def signed(pki: Pki) -> bytes:
    return add_signature(
        hostile.minimal_ofd(),
        seal=make_test_seal(pki),
        key=pki.signer_key,
        cert=pki.signer,
        at=NOW,
        timestamper=pki.timestamper(NOW),
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory, pki: Pki, signed: bytes) -> Path:
    d = tmp_path_factory.mktemp("ofdcli")
    (d / "root.crt").write_text(_pem(pki.root.der))
    (d / "issuing.crt").write_text(_pem(pki.issuing.der))
    crl = sm2_crl(pki.issuing, pki.issuing_key, [], number=1, at=NOW, period=dt.timedelta(days=7))
    (d / "root.crl").write_bytes(crl)
    (d / "decision.bin").write_bytes(signed)  # sniffed by content, not by name
    tampered = signed.replace(b"Doc_0/Res", b"Doc_0/Res")  # same bytes; changed below through the package
    from esign.ofd import OfdPackage, write_package

    files = OfdPackage.from_bytes(tampered).files()
    files["Doc_0/Pages/Page_0/Content.xml"] = files["Doc_0/Pages/Page_0/Content.xml"].replace(
        "决定".encode(), "撤销".encode()
    )
    (d / "tampered.ofd").write_bytes(write_package(files))
    (d / "traversal.ofd").write_bytes(hostile.path_traversal())
    return d


def test_cli_verifies_an_ofd(folder: Path) -> None:
    got = _esign("verify", "decision.bin", "--trust", "root.crt", "--json", cwd=folder)
    assert got.returncode == 0, got.stdout + got.stderr
    report = json.loads(got.stdout)
    assert report["indication"] == "TOTAL_PASSED"
    assert report["signatures"][0]["seal"]["name"] == "测试镇人民政府行政审批服务专用章"


def test_cli_names_the_tampered_page(folder: Path) -> None:
    got = _esign("verify", "tampered.ofd", "--trust", "root.crt", cwd=folder)
    assert got.returncode == 1 and "Traceback" not in got.stderr
    out = " ".join(got.stdout.split())
    assert "TOTAL_FAILED / HASH_FAILURE" in out
    assert "被保护的文件 Doc_0/Pages/Page_0/Content.xml（第 1 页） 在签章后被修改" in out


def test_cli_refuses_a_hostile_ofd(folder: Path) -> None:
    got = _esign("verify", "traversal.ofd", "--trust", "root.crt", "--json", cwd=folder)
    assert got.returncode != 0 and "Traceback" not in got.stderr
    assert "ofd_unsafe_path" in got.stdout + got.stderr


def test_api_reports_an_ofd_in_the_pdf_schema(demo: DemoCounty, signed: bytes) -> None:  # noqa: F811
    r = demo.client.post("/api/v1/verify", files={"file": ("upload", signed)})
    assert r.status_code == 200, r.text
    report = r.json()
    pdf_keys = {"indication", "subindication", "conclusion_zh", "signatures", "conditions", "ledger", "problems"}
    assert pdf_keys <= set(report)
    # the test PKI is not this county's SM2 root: sound, but not trusted here
    assert report["indication"] == "INDETERMINATE"
    assert report["signatures"][0]["subindication"] == "NO_CERTIFICATE_CHAIN_FOUND"
    assert report["signatures"][0]["intact"] is True and report["signatures"][0]["crypto_valid"] is True


@pytest.mark.parametrize("case", ["zip_bomb_total", "duplicate_entry", "central_local_mismatch", "xxe", "many_entries"])
def test_api_refuses_hostile_ofds_with_4xx(demo: DemoCounty, case: str) -> None:  # noqa: F811
    build, code = hostile.HOSTILE_OFDS[case]
    r = demo.client.post("/api/v1/verify", files={"file": ("x.ofd", build())})
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["error"]["code"] == code
    assert r.json()["error"]["message_zh"]


def test_verify_page_shows_the_seal_picture_in_chinese(demo: DemoCounty, signed: bytes) -> None:  # noqa: F811
    page = demo.client.get("/verify")
    assert page.status_code == 200
    r = demo.client.post("/verify", files={"file": ("决定.ofd", signed)})
    assert r.status_code == 200
    html = r.text
    assert 'class="seal-picture" src="data:image/png;base64,' in html
    assert "测试镇人民政府行政审批服务专用章" in html and "14102610000000001" in html
    assert "签章者证书不是由受信任的证书机构签发的" in html  # the reason, in Chinese
    bad = demo.client.post("/verify", files={"file": ("x.ofd", hostile.xxe())})
    assert bad.status_code == 400 and "XXE" in bad.text and "Traceback" not in bad.text


def test_api_stamped_ofd_verifies_with_its_register_entry(demo: DemoCounty) -> None:  # noqa: F811
    """An OFD stamped through the stamp-request API verifies against the county's SM2 root; the register
    entry is found by the id in its QR annotation (none given by the caller), the seal is active; a
    changed page is named, and the /verify page shows the seal picture."""
    from tests.ofd.demo import require_seal_data

    require_seal_data(demo.deployment)
    sample = Path(__file__).resolve().parents[2].parent / "shared" / "ofd-samples" / "Page5.ofd"
    if not sample.exists():
        pytest.skip("the shared OFD samples are not mounted")
    fields = {
        "seal": "克城镇",
        "item": "1",
        "reason": "受理",
        "title": "决定书",
        "placement": json.dumps({"mode": "position", "page": -1, "x_mm": 150, "y_mm": 240}),
    }
    req = demo.client.post(
        "/api/v1/stamp-requests",
        data=fields,
        files={"file": ("d.ofd", sample.read_bytes())},
        headers=demo.headers("克城镇窗口"),
    )
    assert req.status_code == 201, req.text
    done = demo.client.post(
        f"/api/v1/stamp-requests/{req.json()['id']}/approve", headers=demo.headers("克城镇批准人")
    ).json()
    stamped = demo.client.get(done["result_url"], headers=demo.headers("克城镇窗口")).content

    report = demo.client.post("/api/v1/verify", files={"file": ("x", stamped)}).json()
    assert report["indication"] == "TOTAL_PASSED", report
    assert report["ledger"]["found"] and report["ledger"]["entry_id"] == done["entry_id"]
    assert report["ledger"]["hash_matches"] is True
    sig = report["signatures"][0]
    assert sig["registry"]["status"] == "passed" and sig["registry"]["seal_state_at_signing"] == "active"
    assert sig["seal"]["name"] and [c["state"] for c in report["conditions"]] == ["met"] * 4

    from esign.ofd import OfdPackage, write_package

    files = OfdPackage.from_bytes(stamped).files()
    files["Doc_0/Pages/Page_2/Content.xml"] += b"\n"
    bad = demo.client.post("/api/v1/verify", files={"file": ("x", write_package(files))}).json()
    assert bad["indication"] == "TOTAL_FAILED" and bad["subindication"] == "HASH_FAILURE"
    assert "Doc_0/Pages/Page_2/Content.xml" in bad["signatures"][0]["reasons"][0]["message_zh"]

    page = demo.client.post("/verify", files={"file": ("决定.ofd", stamped)}).text
    assert 'class="seal-picture" src="data:image/png;base64,' in page and "有效" in page
