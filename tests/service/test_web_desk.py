"""The township desk in real headless Chromium: a clerk asks, sees the preview, an approver stamps."""

from __future__ import annotations

import httpx
import pytest

from tests.pdfgen import decision_pdf

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(live_demo):
    base, tokens, _home = live_demo
    return base, tokens


def _login(browser, base: str, token: str):
    page = browser.new_context().new_page()
    page.goto(f"{base}/admin/login")
    page.fill("#token", token)
    page.click("#login")
    page.wait_for_load_state()
    return page


def test_clerk_requests_approver_stamps(site, browser, tmp_path):
    base, tokens = site
    pdf = tmp_path / "受理通知书.pdf"
    pdf.write_bytes(decision_pdf())

    clerk = _login(browser, base, tokens["克城镇窗口"])
    assert clerk.url.endswith("/desk/new")
    clerk.set_input_files("#file", str(pdf))
    clerk.select_option("#item", "2")
    clerk.fill("#title", "受理通知书（克政审受字〔2025〕第017号）")
    clerk.fill("#reason", "受理临时救助申请")
    clerk.click("#submit")
    clerk.wait_for_selector("#status")
    assert "待批准" in clerk.inner_text("#status")
    clerk.wait_for_function("document.querySelector('#preview').complete")
    width = clerk.evaluate("document.querySelector('#preview').naturalWidth")
    assert width > 200, "the preview image must render"
    request_url = clerk.url.split("?")[0]
    clerk.screenshot(path=str(tmp_path / "clerk.png"), full_page=True)
    assert clerk.locator("#approve").count() == 0, "a clerk cannot approve"

    approver = _login(browser, base, tokens["克城镇批准人"])
    approver.goto(f"{base}/desk/requests")
    assert approver.locator("#requests tbody tr").count() == 1
    approver.goto(request_url)
    approver.on("dialog", lambda d: d.accept())
    approver.click("#approve")
    approver.wait_for_selector(".flash-ok")
    assert "已盖章" in approver.inner_text("#status")
    entry = approver.inner_text("#entry").strip()
    href = approver.get_attribute("#download", "href")
    pdf_bytes = httpx.get(f"{base}{href}", headers={"Authorization": f"Bearer {tokens['克城镇窗口']}"}).content
    assert pdf_bytes.startswith(b"%PDF") and len(entry) == 22


def test_other_townships_approver_cannot_open_the_request(site, browser, tmp_path):
    base, tokens = site
    data = decision_pdf(number="克政审受字〔2025〕第018号")
    r = httpx.post(
        f"{base}/api/v1/stamp-requests",
        data={"seal": "克城镇", "item": "1", "reason": "受理", "title": "受理通知书"},
        files={"file": ("d.pdf", data, "application/pdf")},
        headers={"Authorization": f"Bearer {tokens['克城镇窗口']}"},
    )
    assert r.status_code == 201
    other = _login(browser, base, tokens["古县乡批准人"])
    other.goto(f"{base}/desk/requests/{r.json()['id']}")
    other.wait_for_selector(".flash-error")
    assert "其他乡镇" in other.inner_text(".flash-error")


def test_clerk_uploads_a_batch_and_the_approver_watches_it_being_stamped(site, browser, tmp_path):
    base, tokens = site
    files = []
    for n in range(3):
        path = tmp_path / f"受理通知书-{n}.pdf"
        path.write_bytes(decision_pdf(number=f"克政审受字〔2025〕第3{n}0号"))
        files.append(str(path))
    bad = tmp_path / "扫描失败.pdf"
    bad.write_bytes(b"this is not a PDF")
    files.append(str(bad))

    clerk = _login(browser, base, tokens["克城镇窗口"])
    clerk.goto(f"{base}/desk/new")
    clerk.set_input_files("#batch-files", files)
    clerk.select_option("#batch-item", "1")
    clerk.fill("#batch-reason", "批量受理最低生活保障申请")
    clerk.click("#batch-submit")
    clerk.wait_for_selector("#items")
    assert "待批准" in clerk.inner_text("#status")
    assert clerk.locator("#items tr[data-status='pending']").count() == 3
    refused = clerk.locator("#items tr[data-status='refused']")
    assert refused.count() == 1 and "不是 PDF" in refused.inner_text()
    assert clerk.locator("#approve").count() == 0, "a clerk cannot approve"
    batch_url = clerk.url.split("?")[0]

    approver = _login(browser, base, tokens["克城镇批准人"])
    approver.goto(batch_url)
    approver.on("dialog", lambda d: d.accept())
    approver.click("#approve")
    # the page refreshes itself while the batch is stamped; wait until it shows the batch done
    approver.wait_for_function("document.querySelector('#status').textContent.includes('已完成')", timeout=90_000)
    approver.wait_for_load_state()
    assert approver.locator("#items tr[data-status='stamped']").count() == 3
    assert approver.get_attribute("#progress", "value") == "3"
    approver.screenshot(path=str(tmp_path / "batch.png"), full_page=True)
    href = approver.locator("#items tr[data-status='stamped'] a", has_text="下载 PDF").first.get_attribute("href")
    pdf_bytes = httpx.get(f"{base}{href}", headers={"Authorization": f"Bearer {tokens['克城镇窗口']}"}).content
    assert pdf_bytes.startswith(b"%PDF")
