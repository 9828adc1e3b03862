"""The seal shows in every renderer a recipient may use: red pixels counted in the seal's box.

Renderers: poppler (pdftoppm), PDFium's plain page render (no form environment: thumbnailers and
many previewers) and with forms, poppler's print path (pdftops, the PostScript a printer gets,
rasterised by Ghostscript), Chromium's built-in PDF viewer and pdf.js (``pdfjs-dist`` from npm,
installed into a temporary folder at test time, in the same headless Debian Chromium). The
unstamped decision gives no red anywhere: the count is the seal's.
"""

from __future__ import annotations

import functools
import http.server
import io
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from PIL import Image

from esign.hosts import BlobStore
from esign.stamp import AtKeyword
from esign.workflow.requests import StampRequestSpec, stamp_directly
from tests.pdfgen import decision_pdf

from .conftest import now

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: Red pixels in the seal's box at 72 dpi (the ring, the star and the text give about 2000).
ENOUGH = 400
Box = tuple[float, float, float, float]


def _red(img: Image.Image, box: Box | None = None) -> int:
    img = img.convert("RGB")
    if box is not None:
        img = img.crop(tuple(round(v) for v in box))
    return sum(1 for r, g, b in img.get_flattened_data() if r > 180 and g < 90 and b < 90)


@pytest.fixture(scope="module")
def docs(county, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("render")
    plain = decision_pdf()
    spec = StampRequestSpec(seal="克城镇", item="1", reason="受理", title="受理通知书", placement=AtKeyword())
    outcome = stamp_directly(
        county.dep, county.engine, plain, spec, user="克城镇窗口", approver="克城镇批准人", at=now()
    )
    (work / "plain.pdf").write_bytes(plain)
    (work / "stamped.pdf").write_bytes(BlobStore(county.home / "documents").get(outcome.output_sha256))
    return {"plain": work / "plain.pdf", "stamped": work / "stamped.pdf"}


def _seal_box(path: Path, scale: float) -> Box:
    """The signature widget's rectangle in pixels from the top left of the (only) page at ``scale``."""
    with pikepdf.open(path) as pdf:
        page = pdf.pages[-1]
        height = float(page.mediabox[3])
        [rect] = [[float(v) for v in a.Rect] for a in page.get("/Annots", []) if a.get("/FT") == "/Sig"]
    x0, y0, x1, y1 = rect
    return x0 * scale, (height - y1) * scale, x1 * scale, (height - y0) * scale


def _pdftoppm(path: Path, out: Path) -> Image.Image:
    subprocess.run(["pdftoppm", "-r", "72", "-png", "-singlefile", str(path), str(out)], check=True, timeout=60)
    return Image.open(f"{out}.png")


def test_poppler(docs: dict[str, Path], tmp_path: Path) -> None:
    assert _red(_pdftoppm(docs["stamped"], tmp_path / "s"), _seal_box(docs["stamped"], 1)) > ENOUGH
    assert _red(_pdftoppm(docs["plain"], tmp_path / "p")) == 0


@pytest.mark.parametrize("forms", [False, True], ids=["plain-render", "with-forms"])
def test_pdfium(docs: dict[str, Path], forms: bool) -> None:
    def render(path: Path) -> Image.Image:
        pdf = pdfium.PdfDocument(str(path))
        if forms:
            pdf.init_forms()
        try:
            return pdf[len(pdf) - 1].render(scale=1, may_draw_forms=forms).to_pil()
        finally:
            pdf.close()

    assert _red(render(docs["stamped"]), _seal_box(docs["stamped"], 1)) > ENOUGH
    assert _red(render(docs["plain"])) == 0


def test_printed_output(docs: dict[str, Path], tmp_path: Path) -> None:
    # what a print queue gets from poppler (PostScript, annotations with the Print flag), rasterised
    if shutil.which("gs") is None:
        pytest.fail("ghostscript is not installed (dev.sh installs it)", pytrace=False)

    def printed(path: Path, name: str) -> Image.Image:
        ps, png = tmp_path / f"{name}.ps", tmp_path / f"{name}.png"
        subprocess.run(["pdftops", "-origpagesizes", str(path), str(ps)], check=True, timeout=60)
        subprocess.run(
            ["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=png16m", "-r72", f"-sOutputFile={png}", str(ps)],
            check=True,
            timeout=60,
        )
        return Image.open(png)

    assert _red(printed(docs["stamped"], "s"), _seal_box(docs["stamped"], 1)) > ENOUGH
    assert _red(printed(docs["plain"], "p")) == 0


# --- Chromium: its PDF viewer and pdf.js ------------------------------------------------------


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is not installed (dev.sh installs it)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        yield browser
        browser.close()


@pytest.mark.browser
def test_chromium_pdf_viewer(docs: dict[str, Path], chromium) -> None:
    def shot(path: Path) -> Image.Image:
        page = chromium.new_page(viewport={"width": 900, "height": 1300})  # type: ignore[attr-defined]
        try:
            page.goto(path.as_uri())
            page.wait_for_timeout(2500)  # the viewer draws asynchronously, with no event to wait for
            return Image.open(io.BytesIO(page.screenshot()))
        finally:
            page.close()

    assert _red(shot(docs["stamped"])) > ENOUGH  # the page and its thumbnail
    assert _red(shot(docs["plain"])) == 0


_PDFJS_PAGE = """<!doctype html><meta charset="utf-8"><canvas id="c"></canvas>
<script type="module">
import * as pdfjs from "./node_modules/pdfjs-dist/legacy/build/pdf.mjs";
pdfjs.GlobalWorkerOptions.workerSrc = "./node_modules/pdfjs-dist/legacy/build/pdf.worker.mjs";
window.renderPdf = async (url) => {
  const doc = await pdfjs.getDocument({url, cMapUrl: "./node_modules/pdfjs-dist/cmaps/", cMapPacked: true}).promise;
  const page = await doc.getPage(doc.numPages);
  const viewport = page.getViewport({scale: 1});
  const canvas = document.getElementById("c");
  canvas.width = viewport.width; canvas.height = viewport.height;
  await page.render({canvasContext: canvas.getContext("2d"), viewport}).promise;
  return canvas.toDataURL("image/png");
};
window.ready = true;
</script>"""


@pytest.fixture(scope="module")
def pdfjs(docs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """pdfjs-dist installed from npm into a temporary folder, served with the documents over HTTP
    (module scripts do not load from file:// URLs)."""
    if shutil.which("npm") is None:
        pytest.fail("npm is not installed", pytrace=False)
    root = tmp_path_factory.mktemp("pdfjs")
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--silent", "pdfjs-dist@4"], cwd=root, check=True, timeout=300
    )
    (root / "index.html").write_text(_PDFJS_PAGE, encoding="utf-8")
    for name, path in docs.items():
        shutil.copyfile(path, root / f"{name}.pdf")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.browser
def test_pdfjs(docs: dict[str, Path], chromium, pdfjs: str) -> None:
    import base64

    page = chromium.new_page()  # type: ignore[attr-defined]
    try:
        page.goto(f"{pdfjs}/index.html")
        page.wait_for_function("window.ready === true", timeout=30000)

        def render(name: str) -> Image.Image:
            url = page.evaluate("(u) => window.renderPdf(u)", f"{pdfjs}/{name}.pdf")
            return Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))

        assert _red(render("stamped"), _seal_box(docs["stamped"], 1)) > ENOUGH
        assert _red(render("plain")) == 0
    finally:
        page.close()
