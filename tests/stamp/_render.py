"""Test helpers: draw markers into a PDF at user-space points and find them again in a rendering."""

from __future__ import annotations

import io
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageChops
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

__all__ = ["add_markers", "poppler_words", "red_centroid", "render", "square"]


def add_markers(data: bytes, page_index: int, ops: Sequence[str]) -> bytes:
    """Append a content stream of raw operators (user space) to one page, as an incremental update."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    stream = generic.StreamObject(stream_data=("q " + "\n".join(ops) + " Q").encode("ascii"))
    writer.add_stream_to_page(page_index, writer.add_object(stream))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def square(x: float, y: float, side: float = 4.0, rgb: str = "1 0 0") -> str:
    """Operators for a filled square centred on (x, y)."""
    return f"{rgb} rg {x - side / 2:.3f} {y - side / 2:.3f} {side:.3f} {side:.3f} re f"


def render(data: bytes, *, dpi: int, page: int = 1) -> Image.Image:
    """The visible page (CropBox, rotated as a viewer shows it) as an RGB image."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.pdf"
        src.write_bytes(data)
        subprocess.run(
            [
                "pdftoppm",
                "-cropbox",
                "-r",
                str(dpi),
                "-f",
                str(page),
                "-l",
                str(page),
                "-png",
                "-singlefile",
                str(src),
                str(Path(tmp) / "out"),
            ],
            check=True,
            timeout=60,
        )
        return Image.open(Path(tmp) / "out.png").convert("RGB")


def red_centroid(img: Image.Image) -> tuple[float, float] | None:
    """Centre of the bounding box of the pure-red pixels (one square marker), in pixels from the top-left."""
    r, g, b = img.split()
    mask = ImageChops.multiply(
        ImageChops.multiply(r.point(lambda v: 255 if v > 200 else 0), g.point(lambda v: 255 if v < 90 else 0)),
        b.point(lambda v: 255 if v < 90 else 0),
    )
    bbox = mask.getbbox()
    if bbox is None:
        return None
    return (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2


def poppler_words(data: bytes) -> list[tuple[str, float, float, float, float]]:
    """Words with their boxes from ``pdftotext -bbox``: (text, xmin, ymin, xmax, ymax) in points from top-left."""
    import re

    out = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=data, capture_output=True, check=True, timeout=60)
    words = []
    for m in re.finditer(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', out.stdout.decode()
    ):
        words.append((m.group(5), float(m.group(1)), float(m.group(2)), float(m.group(3)), float(m.group(4))))
    return words
