"""Every role walks its own menu in headless Chromium (Debian chromium, Playwright) at 1280 px, and so
does the public: no page is an error page, shows a raw code, a UTC time or a broken image, and the red
menu bar keeps each entry on one line. The department viewer sees the register entries of its items.

``ESIGN_SCREENSHOTS=DIR`` keeps a screenshot of every page there (to look at them)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import httpx
import pytest

from esign.registry.authz import Permission
from service.labels import CHANGES_ZH, ERROR_ZH, SUBINDICATION_ZH
from tests.pdfgen import decision_pdf, scanned_pdf

pytestmark = pytest.mark.browser

ROLES = {
    "reform_admin": "县审批局管理员",
    "department": "县民政局查看人",
    "custodian": "克城镇保管人",
    "approver": "克城镇批准人",
    "clerk": "克城镇窗口",
}
#: Codes people must never read: permission codes, error codes, change categories, sub-indications.
RAW_CODES = sorted(
    {p.value for p in Permission}
    | set(ERROR_ZH)
    | {c for c in CHANGES_ZH if "_" in c}
    | set(SUBINDICATION_ZH),
    key=len,
    reverse=True,
)
_RAW = re.compile(r"(?<![\w.])(" + "|".join(re.escape(c) for c in RAW_CODES) + r")(?![\w.])")
_UTC = re.compile(r"\bUTC\b|\d{4}-\d\d-\d\dT\d\d:\d\d|改动[:：]\s*none")

# The text people read: without small print (.muted holds technical names) and without scripts.
_VISIBLE_TEXT = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll('.muted, script, style, small').forEach(e => e.remove());
  return body.innerText;
}"""


@pytest.fixture(scope="module")
def site(live_demo):
    """The demo county with something to show: a stamped 低保 notice (县民政局's item), a pending
    request, a batch and a refused scan."""
    base, tokens, _home = live_demo
    client = httpx.Client(base_url=base, timeout=120)

    def h(user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[user]}"}

    def submit(item: str, number: str, data: bytes | None = None) -> httpx.Response:
        return client.post(
            "/api/v1/stamp-requests",
            data={"seal": "克城镇", "item": item, "reason": "受理申请"},
            files={"file": (f"{number}.pdf", data or decision_pdf(number=number), "application/pdf")},
            headers=h("克城镇窗口"),
        )

    stamped = submit("4", "克政审受字〔2025〕第041号").json()
    done = client.post(f"/api/v1/stamp-requests/{stamped['id']}/approve", headers=h("克城镇批准人")).json()
    assert done.get("entry_id"), done
    submit("1", "克政审受字〔2025〕第042号")
    assert submit("1", "扫描件", scanned_pdf()).status_code == 400
    client.post(
        "/api/v1/stamp-batches",
        data={"seal": "克城镇", "item": "1", "reason": "批量受理"},
        files=[("files", (f"n{i}.pdf", decision_pdf(number=f"第5{i}号"), "application/pdf")) for i in range(2)],
        headers=h("克城镇窗口"),
    )
    stamped_pdf = client.get(done["result_url"], headers=h("克城镇窗口")).content
    return base, tokens, done, stamped_pdf


def _check(page, url: str, what: str, shots: Path) -> None:
    response = page.goto(url)
    assert response is not None and response.status < 400, (what, url, response and response.status)
    page.wait_for_load_state("networkidle")
    _check_current(page, what, shots)


def _check_current(page, what: str, shots: Path) -> None:
    url = page.url
    errors = page.locator(".flash-error:visible")
    assert errors.count() == 0, (what, url, errors.all_inner_texts())
    text = page.evaluate(_VISIBLE_TEXT)
    raw = _RAW.findall(text)
    assert not raw, (what, url, raw)
    everything = page.inner_text("body")  # small print included: no UTC time anywhere
    assert not _UTC.search(everything), (what, url, _UTC.search(everything))
    for src in page.eval_on_selector_all("img", "els => els.map(e => e.currentSrc || e.src)"):
        if not src or src.startswith(("blob:", "data:")):  # no src: a hidden placeholder
            continue
        got = page.context.request.get(src)
        assert got.status == 200 and got.headers["content-type"].startswith("image/"), (what, url, src, got.status)
    # the menu bar: every entry on one line (it once wrapped 验/证 one character per line)
    heights = page.eval_on_selector_all(
        "header a, header button", "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert heights and max(heights) < 40, (what, url, heights)
    name = re.sub(r"[^\w]+", "_", f"{what}_{url.split('//', 1)[1].split('/', 1)[-1]}")[:80] + ".png"
    page.screenshot(path=str(shots / name), full_page=True)


def _shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("ESIGN_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _context(browser):
    return browser.new_context(viewport={"width": 1280, "height": 900})


@pytest.mark.parametrize("role", list(ROLES))
def test_each_role_walks_its_menu(site, browser, tmp_path, role):
    base, tokens, done, _pdf = site
    context = _context(browser)
    page = context.new_page()
    page.goto(f"{base}/admin/login")
    page.fill("#token", tokens[ROLES[role]])
    page.click("#login")
    page.wait_for_load_state("networkidle")
    shots = _shots(tmp_path)
    _check_current(page, role, shots)
    menu = page.eval_on_selector_all("header nav a", "els => els.map(e => e.getAttribute('href'))")
    assert {"/verify", "/status"} <= set(menu) and len(menu) > 2, menu
    for href in menu:
        _check(page, f"{base}{href}", role, shots)
    if role == "department":
        page.goto(f"{base}/oversight/register")
        assert done["entry_id"] in page.inner_text("body"), "the 民政局 viewer sees the 低保 entry"
    if role in ("clerk", "approver", "reform_admin"):
        page.goto(f"{base}/desk/requests")
        for link in page.eval_on_selector_all("#requests a, #batches a", "els => els.map(e => e.getAttribute('href'))"):
            _check(page, f"{base}{link}", role, shots)
    context.close()


def test_the_public_pages(site, browser, tmp_path):
    base, _tokens, done, stamped_pdf = site
    context = _context(browser)
    page = context.new_page()
    shots = _shots(tmp_path)
    for path in ("/", "/verify", "/status", "/status?seal=克城镇&at=2026-03-01T10:00", f"/v/{done['entry_id']}"):
        _check(page, f"{base}{path}", "public", shots)
    assert page.locator("a[href='/admin/login']").count() >= 1
    upload = tmp_path / "低保受理通知书.pdf"
    upload.write_bytes(stamped_pdf)
    page.goto(f"{base}/verify")
    page.set_input_files("#file", str(upload))
    page.click("#check")
    page.wait_for_selector("#verdict")
    assert page.inner_text("#verdict").startswith("有效")
    assert page.inner_text("#file-name").startswith("低保受理通知书.pdf")
    assert len(page.inner_text("#file-sha256").strip()) == 64
    assert page.get_attribute("#entry-link", "href") == f"/v/{done['entry_id']}"
    changes = page.locator("#result tr", has_text="盖章后改动").first.inner_text()
    assert any(label in changes for label in CHANGES_ZH.values()), changes
    _check_current(page, "public-verified", shots)
    # the API docs render from the service's own assets (no network beyond it)
    page.goto(f"{base}/docs")
    page.wait_for_selector(".swagger-ui .info", timeout=30_000)
    page.goto(f"{base}/redoc")
    page.wait_for_selector("redoc h1, [role=main] h1, .api-info h1", timeout=30_000)
    context.close()


def test_the_clerk_sees_where_the_seal_goes_before_submitting(site, browser, tmp_path):
    base, tokens, _done, _pdf = site
    context = _context(browser)
    page = context.new_page()
    page.goto(f"{base}/admin/login")
    page.fill("#token", tokens["克城镇窗口"])
    page.click("#login")
    page.wait_for_url("**/desk/new")
    good, scan = tmp_path / "受理通知书.pdf", tmp_path / "扫描件.pdf"
    good.write_bytes(decision_pdf(number="克政审受字〔2025〕第077号"))
    scan.write_bytes(scanned_pdf())
    page.set_input_files("#file", str(scan))
    page.wait_for_selector("#draft-error:not([hidden])")
    assert "文字层" in page.inner_text("#draft-error")
    page.set_input_files("#file", str(good))
    page.wait_for_function("() => { const i = document.querySelector('#draft-preview');"
                           " return !i.hidden && i.complete && i.naturalWidth > 200; }")
    assert page.locator("#draft-error").is_hidden()
    page.screenshot(path=str(_shots(tmp_path) / "clerk_draft_preview.png"), full_page=True)
    context.close()

