"""The township desk takes an OFD like a PDF, in real headless Chromium: the clerk uploads it, sees
where the seal goes, the approver stamps, the stamped OFD downloads with the register entry in it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from esign.ofd import OfdPackage
from esign.ofd.verify import entry_ids
from tests.service.test_web_desk import _login

pytestmark = pytest.mark.browser

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "ofd-samples"


def test_desk_stamps_an_ofd(live_demo, browser, tmp_path):  # type: ignore[no-untyped-def]
    base, tokens, _home = live_demo
    ofd = tmp_path / "决定书.ofd"
    ofd.write_bytes((SAMPLES / "helloworld.ofd").read_bytes())

    clerk = _login(browser, base, tokens["克城镇窗口"])
    clerk.set_input_files("#file", str(ofd))
    clerk.select_option("#item", "2")
    clerk.fill("#title", "准予许可决定书")
    clerk.fill("#reason", "准予许可")
    clerk.check("#mode-position")  # helloworld.ofd has no "（盖章）" to find
    clerk.fill("#page", "1")
    clerk.fill("input[name=x_mm]", "150")
    clerk.fill("input[name=y_mm]", "240")
    clerk.click("#submit")
    clerk.wait_for_selector("#status")
    assert "待批准" in clerk.inner_text("#status"), clerk.content()[:2000]
    clerk.wait_for_function("document.querySelector('#preview').complete")
    assert clerk.evaluate("document.querySelector('#preview').naturalWidth") > 200, "the preview must render"
    request_url = clerk.url.split("?")[0]

    approver = _login(browser, base, tokens["克城镇批准人"])
    approver.goto(request_url)
    approver.on("dialog", lambda d: d.accept())
    approver.click("#approve")
    approver.wait_for_selector(".flash-ok")
    assert "已盖章" in approver.inner_text("#status")
    entry = approver.inner_text("#entry").strip()
    href = approver.get_attribute("#download", "href")
    got = httpx.get(f"{base}{href}", headers={"Authorization": f"Bearer {tokens['克城镇窗口']}"})
    assert got.headers["content-type"].startswith("application/ofd")
    assert entry_ids(OfdPackage.from_bytes(got.content)) == (entry,)
