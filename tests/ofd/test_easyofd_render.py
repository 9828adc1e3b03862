"""easyofd (PyPI, an independent OFD reader in Python) converts our stamped OFD to PDF; poppler's
pdftoppm renders that: the seal's red is in the StampAnnot box and the QR code in its annotation
box, both blank on the unstamped page. And easyofd's own OFDs (a page that is one full-page image)
leave the QR code no free space: the stamp refuses with ``ofd_no_room_for_qr`` rather than cover it."""

from __future__ import annotations

import base64
import contextlib
import io
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

import pytest
from PIL import Image

from esign.appearance import qr_artwork
from esign.errors import InputError
from esign.ofd.stamp import OfdSigner, stamp_ofd
from esign.stamp import placement_from_dict
from tests.ofd.conftest import SIGNED_AT, stamp_helloworld
from tests.ofd.test_ofdjs import _boxes, _dark, _red
from tests.pixels import rgb_pixels
from tests.ses.conftest import Pki

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "ofd-samples"
DPI = 50


def _easyofd_pdf_page(data: bytes, tmp: Path) -> Image.Image:
    easyofd = pytest.importorskip("easyofd.ofd")
    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils is not installed (dev.sh installs it)")
    # easyofd writes its working files under ./test of the current directory: give it a fresh one
    with tempfile.TemporaryDirectory() as work, contextlib.chdir(work), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.redirect_stdout(io.StringIO()):
            reader = easyofd.OFD()
            reader.read(base64.b64encode(data).decode(), fmt="b64")
            pdf = reader.to_pdf()
    (tmp / "page.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(DPI), "-png", "-f", "1", "-l", "1", "-singlefile",
                    str(tmp / "page.pdf"), str(tmp / "page")], check=True, timeout=120)  # fmt: skip
    return Image.open(tmp / "page.png").convert("RGB")


def _count(img: Image.Image, box: tuple[float, ...], test) -> int:  # type: ignore[no-untyped-def]
    s = img.width / 210  # easyofd draws the 210 mm page at its own scale: px per mm of this rendering
    crop = img.crop((round(box[0] * s), round(box[1] * s), round((box[0] + box[2]) * s), round((box[1] + box[3]) * s)))
    return sum(1 for px in rgb_pixels(crop) if test(px))


def test_easyofd_shows_seal_and_qr(ofd_pki: Pki, ofd_seal: bytes, tmp_path: Path) -> None:
    stamped = stamp_helloworld(ofd_pki, ofd_seal)
    seal, qr = _boxes(stamped)
    plain = _easyofd_pdf_page((SAMPLES / "helloworld.ofd").read_bytes(), tmp_path)
    shown = _easyofd_pdf_page(stamped, tmp_path)
    assert plain.size == shown.size and abs(plain.height / plain.width - 297 / 210) < 0.01  # A4
    assert _count(plain, seal, _red) == 0 and _count(plain, qr, _dark) == 0
    px2 = (shown.width / 210) ** 2
    assert _count(shown, seal, _red) > 0.05 * seal[2] * seal[3] * px2, "the seal's red ring in its box"
    assert _count(shown, qr, _dark) > 0.2 * qr[2] * qr[3] * px2, "the QR code in its annotation box"


def test_easyofd_made_ofd_gets_no_qr_over_its_page_image(ofd_pki: Pki, ofd_seal: bytes) -> None:
    from tests.ofd.test_easyofd import _easyofd

    url = "https://esign.example/v/E2026030100000004easy"
    with pytest.raises(InputError) as e:
        stamp_ofd(
            _easyofd(),
            placement_from_dict({"mode": "position", "page": 1, "x_mm": 50, "y_mm": 90}),
            OfdSigner(ofd_seal, ofd_pki.signer_key, ofd_pki.signer.der, ofd_pki.timestamper(SIGNED_AT), "测试县"),
            at=SIGNED_AT,
            entry_id="E2026030100000004easy",
            verify_url=url,
            qr_png=lambda: qr_artwork(url).png(dpi=200),
        )
    assert e.value.code == "ofd_no_room_for_qr" and "二维码" in e.value.message_zh
