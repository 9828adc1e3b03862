"""The rendered seal: golden images of the 蒲县 township seals, colour, determinism, caching.

Regenerate the golden images after an intended change of appearance with
``ESIGN_UPDATE_GOLDEN=1 .venv/bin/pytest tests/appearance/test_seal.py`` and look at them.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys

import pytest
from PIL import Image, ImageChops

from esign.appearance import FontRef, SealSpec, layout_seal, pdf_content, render_png, seal_artwork, seal_drawing
from esign.appearance.seal import seal_pdf
from tests.appearance.conftest import GOLDEN_DIR, TOWNSHIPS, pixel

GOLDEN_DPI = 150
FONT_NOTE = GOLDEN_DIR / "FONT.txt"


def _differences(a: Image.Image, b: Image.Image) -> tuple[float, float]:
    """(mean absolute channel difference, fraction of pixels off by more than 64 in some channel)."""
    diff = ImageChops.difference(a.convert("RGBA"), b.convert("RGBA"))
    hist = diff.histogram()  # 4 x 256 bins
    total = a.width * a.height
    mean = sum(i * n for band in range(4) for i, n in enumerate(hist[band * 256 : band * 256 + 256])) / (total * 4)
    worst = ImageChops.lighter(
        ImageChops.lighter(diff.getchannel("R"), diff.getchannel("G")),
        ImageChops.lighter(diff.getchannel("B"), diff.getchannel("A")),
    )
    big = sum(worst.histogram()[65:]) / total
    return mean, big


@pytest.mark.parametrize("key", sorted(TOWNSHIPS))
def test_golden_image(key: str, font: FontRef) -> None:
    png = seal_artwork(TOWNSHIPS[key], font=font).png(dpi=GOLDEN_DPI)
    golden = GOLDEN_DIR / f"{key}.png"
    if os.environ.get("ESIGN_UPDATE_GOLDEN") == "1":
        golden.write_bytes(png)
        FONT_NOTE.write_text(font.name + "\n", encoding="utf-8")
        return
    if FONT_NOTE.read_text(encoding="utf-8").strip() != font.name:
        pytest.skip(f"golden images were made with {FONT_NOTE.read_text().strip()}, this machine has {font.name}")
    got = Image.open(io.BytesIO(png))
    want = Image.open(golden)
    assert got.size == want.size
    mean, big = _differences(got, want)
    assert mean < 0.5, f"mean difference {mean:.3f} (run with ESIGN_UPDATE_GOLDEN=1 if intended)"
    assert big < 0.002, f"{big:.2%} of pixels differ strongly"


def test_golden_comparison_can_fail(font: FontRef) -> None:
    a = Image.open(io.BytesIO(seal_artwork(TOWNSHIPS["kecheng"], font=font).png(dpi=GOLDEN_DPI)))
    b = Image.open(io.BytesIO(seal_artwork(TOWNSHIPS["guxian"], font=font).png(dpi=GOLDEN_DPI)))
    mean, big = _differences(a, b)
    assert mean >= 0.5 or big >= 0.002


def test_seal_is_red_on_transparent(font: FontRef) -> None:
    img = Image.open(io.BytesIO(seal_artwork(TOWNSHIPS["kecheng"], font=font).png(dpi=200)))
    assert img.mode == "RGBA"
    w, h = img.size
    assert w == h == round(42 / 25.4 * 200)
    assert pixel(img, (0, 0))[3] == 0  # corner outside the ring
    assert pixel(img, (w // 2, h // 2)) == (230, 0, 18, 255)  # the star's centre
    assert pixel(img, (w // 2, 2))[:3] == (230, 0, 18)  # the ring at 12 o'clock
    colors = img.getcolors(w * h)
    assert colors is not None
    assert {c[:3] for _, c in colors if isinstance(c, tuple) and c[3] > 0} == {(230, 0, 18)}
    bbox = img.getchannel("A").getbbox()
    assert bbox is not None
    assert abs((bbox[0] + bbox[2]) / 2 - w / 2) <= 1
    assert abs((bbox[1] + bbox[3]) / 2 - h / 2) <= 1


def test_custom_colour(font: FontRef) -> None:
    spec = SealSpec(name="蒲县人民政府", color=(200, 16, 46))
    img = Image.open(io.BytesIO(seal_artwork(spec, font=font).png(dpi=100)))
    assert pixel(img, (img.width // 2, img.height // 2)) == (200, 16, 46, 255)


def test_vector_content_has_no_text_or_images(font: FontRef) -> None:
    art = seal_artwork(TOWNSHIPS["kecheng"], font=font)
    tokens = set(art.content.split())
    assert not tokens & {b"BT", b"Tj", b"TJ", b"Do", b"BI", b"Tf"}
    assert b"0.902 0 0.071 rg" in art.content
    assert art.bbox == pytest.approx((0, 0, 42 / 25.4 * 72, 42 / 25.4 * 72))
    assert art.anchor == pytest.approx((art.width / 2, art.height / 2))


def test_same_input_same_bytes(font: FontRef) -> None:
    spec = TOWNSHIPS["heilongguan"]
    first = seal_drawing(layout_seal(spec), font)
    second = seal_drawing(layout_seal(spec), font)
    assert first is not second
    assert pdf_content(first) == pdf_content(second)
    assert render_png(first, dpi=150) == render_png(second, dpi=150)
    assert seal_pdf(spec, font=font) == seal_pdf(spec, font=font)


def test_same_bytes_across_processes(font: FontRef) -> None:
    spec = TOWNSHIPS["qiaojiawan"]
    here = (
        hashlib.sha256(seal_artwork(spec, font=font).png(dpi=150)).hexdigest(),
        hashlib.sha256(seal_pdf(spec, font=font)).hexdigest(),
    )
    code = (
        "import hashlib, sys\n"
        "from esign.appearance import SealSpec, FontRef, seal_artwork, seal_pdf\n"
        f"font = FontRef({font.path!r}, {font.index}, {font.name!r})\n"
        f"spec = SealSpec(name={spec.name!r}, title={spec.title!r})\n"
        "print(hashlib.sha256(seal_artwork(spec, font=font).png(dpi=150)).hexdigest())\n"
        "print(hashlib.sha256(seal_pdf(spec, font=font)).hexdigest())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        check=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        timeout=120,
    ).stdout.split()
    assert tuple(out) == here


def test_outlines_are_made_once_per_seal(font: FontRef) -> None:
    spec = TOWNSHIPS["pucheng"]
    assert seal_artwork(spec, font=font) is seal_artwork(spec, font=font)
    art = seal_artwork(spec, font=font)
    assert art.content is art.content  # made once, then cached on the artwork
