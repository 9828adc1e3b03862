"""Fixtures for the appearance tests: the seal font, the 蒲县 township seals, poppler and zbar runners."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from esign.appearance import FontRef, SealSpec, find_seal_font
from esign.errors import ConfigError

GOLDEN_DIR = Path(__file__).parent / "golden"
TITLE = "行政审批服务专用章"
#: Township seals of 蒲县 (the golden set): short id -> spec.
TOWNSHIPS: dict[str, SealSpec] = {
    "pucheng": SealSpec(name="蒲县蒲城镇人民政府", title=TITLE),
    "kecheng": SealSpec(name="蒲县克城镇人民政府", title=TITLE, code="1410331000123"),
    "guxian": SealSpec(name="蒲县古县乡人民政府", title=TITLE),
    "heilongguan": SealSpec(name="蒲县黑龙关镇人民政府", title=TITLE, code="1410331000456"),
    "qiaojiawan": SealSpec(name="蒲县乔家湾乡人民政府", title=TITLE),
    "county": SealSpec(name="蒲县人民政府", diameter_mm=45.0),
    "bureau": SealSpec(name="临汾市蒲县行政审批服务管理局", title="政务服务专用章", code="1410330000001"),
}


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        # CI installs poppler-utils and zbar-tools (dev.sh); elsewhere say what is missing.
        if os.environ.get("CI"):
            pytest.fail(f"{tool} is not installed")
        pytest.skip(f"{tool} is not installed (apt-get install poppler-utils zbar-tools)")
    return path


@pytest.fixture(scope="session")
def font() -> FontRef:
    """The seal face found the way production finds it (without ESIGN_SEAL_FONT)."""
    try:
        return find_seal_font(environ={})
    except ConfigError as e:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(e))


@pytest.fixture(scope="session")
def pdf_to_image(tmp_path_factory: pytest.TempPathFactory) -> Callable[[bytes, int], Image.Image]:
    """Render page 1 of a PDF with ``pdftoppm -png`` at the given dpi, as an RGB image."""
    exe = _need("pdftoppm")
    folder = tmp_path_factory.mktemp("pdftoppm")

    def run(pdf: bytes, dpi: int = 150) -> Image.Image:
        root = folder / "page"
        subprocess.run(
            [exe, "-r", str(dpi), "-png", "-singlefile", "-", str(root)],
            input=pdf,
            capture_output=True,
            check=True,
            timeout=60,
        )
        with Image.open(root.with_suffix(".png")) as img:
            return img.convert("RGB")

    return run


@pytest.fixture(scope="session")
def zbar(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Image.Image], list[str]]:
    """Decode the barcodes in an image with ``zbarimg --raw -q``: one string per symbol."""
    exe = _need("zbarimg")
    folder = tmp_path_factory.mktemp("zbar")

    def run(img: Image.Image) -> list[str]:
        path = folder / "scan.png"
        img.save(path)
        proc = subprocess.run([exe, "--raw", "-q", str(path)], capture_output=True, timeout=60)
        return [line for line in proc.stdout.decode("utf-8").splitlines() if line]

    return run


def pixel(img: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    """The pixel at ``xy`` as a tuple of channel values (typed, for multi-band images)."""
    value = img.getpixel(xy)
    assert isinstance(value, tuple)
    return value
