"""ofd.js (npm, an independent OFD reader in JavaScript) renders our stamped OFD in headless Debian
chromium: the seal's red is counted in the StampAnnot box and the QR code's dark modules in the
annotation's box, against the unstamped page where both boxes are blank. ofd.js 0.2.6 is the last
release that renders without a licence key (1.5.0 answers "授权信息错误"); it is installed by npm into
a temporary folder for the test session, and its page is loaded from there (no browser download)."""

from __future__ import annotations

import base64
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from esign.ofd import OfdPackage
from esign.ofd.xml import q
from tests.ofd.conftest import stamp_helloworld
from tests.pixels import rgb_pixels
from tests.ses.conftest import Pki

pytestmark = pytest.mark.browser

OFDJS = "ofd.js@0.2.6"
SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "ofd-samples"
WIDTH = 840  # px for the 210 mm page: 4 px per mm

Box = tuple[float, float, float, float]


@pytest.fixture(scope="module")
def render(tmp_path_factory: pytest.TempPathFactory) -> Callable[[bytes], Image.Image]:
    npm = shutil.which("npm")
    if npm is None or not Path("/usr/bin/chromium").exists():
        pytest.skip("npm or Debian chromium is not installed (dev.sh installs them)")
    work = tmp_path_factory.mktemp("ofdjs")
    done = subprocess.run(
        [npm, "install", "--prefix", str(work), "--no-audit", "--no-fund", "--ignore-scripts", OFDJS],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    script = work / "node_modules" / "ofd.js" / "lib" / "ofd.umd.min.js"
    playwright = pytest.importorskip("playwright.sync_api")

    def run(data: bytes) -> Image.Image:
        page_file = work / "page.html"
        page_file.write_text(
            f"""<!doctype html><meta charset="utf-8"><body style="margin:0;background:#fff"><div id="c"></div>
<script src="{script.as_uri()}"></script>
<script>
window.done = null;
const bytes = Uint8Array.from(atob("{base64.b64encode(data).decode()}"), c => c.charCodeAt(0));
ofd.parseOfdDocument({{ ofd: bytes.buffer,
  success(res) {{
    try {{
      for (const d of ofd.renderOfd({WIDTH}, res[0])) document.getElementById("c").appendChild(d);
      window.done = "ok";
    }}
    catch (e) {{ window.done = "render: " + e; }} }},
  fail(e) {{ window.done = "fail: " + e; }} }});
</script>""",
            encoding="utf-8",
        )
        shot = work / "shot.png"
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--allow-file-access-from-files"])
            try:
                page = browser.new_page(viewport={"width": WIDTH + 40, "height": 1300})
                page.goto(page_file.as_uri())
                page.wait_for_function("window.done !== null", timeout=60_000)
                assert page.evaluate("window.done") == "ok", page.evaluate("window.done")
                page.wait_for_timeout(1000)  # the seal picture is decoded after the page is laid out
                page.screenshot(path=str(shot), full_page=True)
            finally:
                browser.close()
        return Image.open(shot).convert("RGB")

    return run


def _count(img: Image.Image, box: Box, test: Callable[[tuple[int, int, int]], bool]) -> int:
    scale = WIDTH / 210
    x, y, w, h = (v * scale for v in box)
    crop = img.crop((round(x), round(y), round(x + w), round(y + h)))
    return sum(1 for px in rgb_pixels(crop) if test(px))


def _red(px: tuple[int, int, int]) -> bool:
    return px[0] > 150 and px[1] < 100 and px[2] < 100


def _dark(px: tuple[int, int, int]) -> bool:
    return max(px) < 80


def _boxes(data: bytes) -> tuple[Box, Box]:
    pkg = OfdPackage.from_bytes(data)
    stamp = pkg.xml("Doc_0/Signs/Sign_0/Signature.xml").find(f".//{q('StampAnnot')}")
    annot = pkg.xml("Doc_0/Annots/Page_0/Annotation.xml").find(f".//{q('Appearance')}")
    assert stamp is not None and annot is not None
    seal = tuple(float(v) for v in stamp.get("Boundary", "").split())
    qr = tuple(float(v) for v in annot.get("Boundary", "").split())
    return seal, qr  # type: ignore[return-value]


def test_ofdjs_shows_seal_and_qr(render, ofd_pki: Pki, ofd_seal: bytes) -> None:  # type: ignore[no-untyped-def]
    stamped = stamp_helloworld(ofd_pki, ofd_seal)
    seal, qr = _boxes(stamped)
    plain = render((SAMPLES / "helloworld.ofd").read_bytes())
    shown = render(stamped)
    assert _count(plain, seal, _red) == 0 and _count(plain, qr, _dark) == 0
    area = seal[2] * seal[3] * (WIDTH / 210) ** 2
    assert _count(shown, seal, _red) > 0.05 * area, "the seal's red ring is drawn in its StampAnnot box"
    assert _count(shown, qr, _dark) > 0.2 * qr[2] * qr[3] * (WIDTH / 210) ** 2, "the QR code is drawn"
    # and nothing red outside the seal: the picture is where the StampAnnot says
    assert _count(shown, (0, 0, 210, seal[1] - 1), _red) == 0
