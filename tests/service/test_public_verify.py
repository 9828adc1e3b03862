"""Public verification: the API, the /verify page and the QR landing page, without an account."""

from __future__ import annotations

import datetime as dt
import shutil

import httpx
import pytest
from fastapi.testclient import TestClient

from esign.config import Settings
from esign.deployment import Deployment
from esign.setup import create_demo
from service.app import create_app
from tests.pdfgen import decision_pdf

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _stamp(client, headers_clerk, headers_approver, data: bytes) -> dict:
    req = client.post(
        "/api/v1/stamp-requests",
        data={"seal": "克城镇", "item": "3", "reason": "受理", "title": "受理通知书"},
        files={"file": ("d.pdf", data, "application/pdf")},
        headers=headers_clerk,
    ).json()
    return client.post(f"/api/v1/stamp-requests/{req['id']}/approve", headers=headers_approver).json()


def test_api_verifies_a_stamped_document_and_finds_its_register_entry(demo):
    done = _stamp(demo.client, demo.headers("克城镇窗口"), demo.headers("克城镇批准人"), decision_pdf(number="第201号"))
    pdf = demo.client.get(done["result_url"], headers=demo.headers("克城镇窗口")).content
    report = demo.client.post("/api/v1/verify", files={"file": ("x.pdf", pdf)}).json()
    assert report["indication"] == "TOTAL_PASSED", report["conclusion_zh"]
    assert report["conclusion_zh"].startswith("有效")
    assert report["ledger"]["found"] and report["ledger"]["entry_id"] == done["entry_id"]
    sig = report["signatures"][0]
    assert sig["signer"]["common_name"] == "蒲县克城镇人民政府行政审批服务专用章"
    assert sig["registry"]["seal_state_at_signing"] == "active"
    assert [c["state"] for c in report["conditions"]] == ["met"] * 4

    tampered = pdf.replace(b"/Reason", b"/Reasom", 1)
    bad = demo.client.post("/api/v1/verify", files={"file": ("x.pdf", tampered)}).json()
    assert bad["indication"] != "TOTAL_PASSED"


@pytest.mark.parametrize("payload", [b"", b"not a pdf at all", b"%PDF-1.7\n" + b"[" * 100000])
def test_bad_uploads_get_a_report_or_a_4xx_never_a_500(demo, payload):
    r = demo.client.post("/api/v1/verify", files={"file": ("x.pdf", payload)})
    assert r.status_code in (200, 400), r.text
    body = r.json()
    assert body.get("indication", "TOTAL_FAILED") != "TOTAL_PASSED"


@pytest.mark.parametrize("with_file", [True, False])
def test_the_verify_page_says_an_unknown_entry_in_chinese_not_json(demo, with_file):
    files = {"file": ("x.pdf", decision_pdf(number="第202号"))} if with_file else None
    r = demo.client.post("/verify", data={"entry_id": "no-such-entry-000000000"}, files=files)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "用印登记台账中没有该登记编号" in r.text


def test_the_public_routes_are_rate_limited(tmp_path):
    dep = Deployment.open(Settings(home=tmp_path, public_rate_per_minute=3))
    create_demo(dep, at=dt.datetime.now(dt.UTC))
    with TestClient(create_app(deployment=dep)) as client:
        codes = [client.post("/api/v1/verify", files={"file": ("x.pdf", b"x")}).status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
    dep.close()


@pytest.mark.browser
def test_qr_landing_page_shows_the_entry_and_checks_an_uploaded_copy(live_demo, browser, tmp_path):
    base, tokens, _home = live_demo
    clerk = {"Authorization": f"Bearer {tokens['克城镇窗口']}"}
    client = httpx.Client(base_url=base, timeout=60)
    done = _stamp(client, clerk, {"Authorization": f"Bearer {tokens['克城镇批准人']}"}, decision_pdf(number="第305号"))
    pdf = tmp_path / "stamped.pdf"
    pdf.write_bytes(client.get(done["result_url"], headers=clerk).content)
    other = tmp_path / "other.pdf"
    other.write_bytes(decision_pdf(number="第306号"))

    page = browser.new_page()
    page.goto(done["verify_url"])
    assert "克城镇" in page.inner_text("#entry") and "已启用" in page.inner_text("#seal-status")
    page.set_input_files("#file", str(pdf))
    page.click("#check")
    page.wait_for_selector("#verdict")
    assert page.inner_text("#verdict").startswith("有效")
    assert "一致" in page.inner_text("#match") and "不一致" not in page.inner_text("#match")
    page.screenshot(path=str(tmp_path / "verify.png"), full_page=True)

    page.goto(f"{base}/verify")
    page.set_input_files("#file", str(other))
    page.click("#check")
    page.wait_for_selector("#verdict")
    assert not page.inner_text("#verdict").startswith("有效")
