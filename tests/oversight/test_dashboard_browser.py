"""The dashboard in headless Chromium against a real server: charts render, links work.

The screenshot goes to the test's temporary folder; ``ESIGN_WRITE_SAMPLES=1`` also refreshes the
committed ``samples/dashboard.png`` (a test run leaves the work tree as it found it)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import httpx
import pytest

from esign.config import Settings
from esign.deployment import Deployment
from tests.oversight.demo_data import populate

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "dashboard.png"


@pytest.fixture(scope="module")
def live_data(live_demo):
    """Stamps, refusals and history in the live server's home (before Playwright runs its event loop:
    signing uses asyncio too)."""
    base, _tokens, home = live_demo
    dep = Deployment.open(Settings(home=home, public_base_url=base))
    try:
        populate(dep, at=dt.datetime.now(dt.UTC), history=True)
    finally:
        dep.close()
    return live_demo


def _sign_in(page, base: str, token: str) -> None:
    page.goto(f"{base}/admin/login")
    page.fill("#token", token)
    page.click("#login")
    page.wait_for_load_state()


def test_dashboard_in_chromium(live_data, browser, tmp_path):
    base, tokens, _home = live_data
    context = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1, locale="zh-CN")
    page = context.new_page()
    _sign_in(page, base, tokens["县审批局管理员"])
    page.goto(f"{base}/oversight/dashboard")
    assert page.locator("h1").inner_text().startswith("“一枚印章管审批”用印监管看板")
    for chart in ("per-month", "by-type", "top-items", "refusals"):
        svg = page.locator(f"#chart-{chart} svg")
        assert svg.is_visible()
        box = svg.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 60
    assert page.locator("#chart-per-month svg rect").count() > 20  # 8 townships over 6 months, plus the legend
    assert "临时救助" in page.locator("#chart-top-items").inner_text()
    assert "seal_not_active" not in page.locator("#chart-refusals").inner_text()  # labelled in Chinese
    assert "印章未启用" in page.locator("#chart-refusals").inner_text()
    kpis = page.locator("#kpis").inner_text()
    assert "用印次数" in kpis and "被拒绝的尝试" in kpis
    # The numbers behind a chart download with the same sign-in.
    href = page.locator("#chart-top-items h2 a").get_attribute("href")
    assert href is not None
    session = {c["name"]: c["value"] for c in context.cookies() if c["name"] == "esign_session"}
    got = httpx.get(base + href, cookies=session)
    assert got.status_code == 200 and got.content.decode("utf-8-sig").startswith("事项,用印次数")
    shot = tmp_path / "dashboard.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    if os.environ.get("ESIGN_WRITE_SAMPLES") == "1":
        SAMPLE.write_bytes(shot.read_bytes())

    # A township's custodian sees only the township's slice, and the register page works in the browser.
    context.clear_cookies()
    _sign_in(page, base, tokens["克城镇保管人"])
    page.goto(f"{base}/oversight/dashboard")
    assert "古县乡" not in page.locator("#chart-per-month").inner_text()
    page.goto(f"{base}/oversight/register")
    cells = page.locator("#register tbody tr td:first-child").all_inner_texts()
    assert cells and set(cells) == {"克城镇"}
    assert page.locator("#next").count() == 1  # more than one page of history
    page.locator("#next").click()
    assert set(page.locator("#register tbody tr td:first-child").all_inner_texts()) == {"克城镇"}
    context.close()
