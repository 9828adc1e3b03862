"""The pixels of a rendered page, for tests that count coloured ones (Pillow's ``getdata`` is deprecated)."""

from __future__ import annotations

from collections.abc import Iterator

from PIL import Image


def rgb_pixels(image: Image.Image) -> Iterator[tuple[int, int, int]]:
    """Every pixel of ``image`` as ``(r, g, b)``, row by row."""
    data = image.convert("RGB").tobytes()
    return zip(data[0::3], data[1::3], data[2::3], strict=True)
