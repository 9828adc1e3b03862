"""The reform office's pages in real headless Chromium (Debian chromium, driven by Playwright)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(live_demo):
    base, tokens, _home = live_demo
    return base, tokens


@pytest.fixture
def page(browser):
    return browser.new_page()


def _login(page, base: str, token: str) -> None:
    page.goto(f"{base}/admin/login")
    page.fill("#token", token)
    page.click("#login")
    page.wait_for_load_state()
    if "/admin/seals" not in page.url:
        page.goto(f"{base}/admin/seals")


def test_reform_office_suspends_and_resumes_a_seal_with_confirmation(site, page, tmp_path):
    base, tokens = site
    _login(page, base, tokens["县审批局管理员"])
    rows = page.locator("#seals tbody tr")
    assert rows.count() == 8
    row = page.locator('#seals tr[data-township="克城镇"]')
    assert "已启用" in row.inner_text()

    dialogs: list[str] = []

    def accept(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    row.locator('form:has(button[data-action="suspend"]) input[name=reason]').fill("保管人调岗")
    row.locator('button[data-action="suspend"]').click()
    page.wait_for_selector(".flash-ok")
    assert dialogs and "暂停" in dialogs[0] and "克城镇" in dialogs[0]
    assert "已暂停" in page.locator('#seals tr[data-township="克城镇"]').inner_text()
    page.screenshot(path=str(tmp_path / "seals.png"), full_page=True)

    row = page.locator('#seals tr[data-township="克城镇"]')
    row.locator('form:has(button[data-action="resume"]) input[name=reason]').fill("新保管人到岗")
    row.locator('button[data-action="resume"]').click()
    page.wait_for_selector(".flash-ok")
    assert "已启用" in page.locator('#seals tr[data-township="克城镇"]').inner_text()


def test_dismissed_confirmation_changes_nothing(site, page):
    base, tokens = site
    _login(page, base, tokens["县审批局管理员"])
    page.on("dialog", lambda d: d.dismiss())
    row = page.locator('#seals tr[data-township="古县乡"]')
    row.locator('form:has(button[data-action="revoke"]) input[name=reason]').fill("误点")
    row.locator('button[data-action="revoke"]').click()
    page.wait_for_timeout(300)
    page.reload()
    assert "已启用" in page.locator('#seals tr[data-township="古县乡"]').inner_text()


def test_township_clerk_sees_only_own_seal_and_no_actions(site, page):
    base, tokens = site
    _login(page, base, tokens["克城镇窗口"])
    rows = page.locator("#seals tbody tr")
    assert rows.count() == 1 and "克城镇" in rows.first.inner_text()
    assert page.locator("#seals button[data-action]").count() == 0
    page.goto(f"{base}/admin/townships")
    assert page.locator("#townships tbody tr").count() == 1


def test_bad_token_shows_a_chinese_error(site, page):
    base, _ = site
    page.goto(f"{base}/admin/login")
    page.fill("#token", "esk_not-a-token")
    page.click("#login")
    page.wait_for_selector(".flash-error")
    assert "登录失败" in page.locator(".flash-error").inner_text()
