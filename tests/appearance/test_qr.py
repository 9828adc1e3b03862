"""The QR symbol made from cached layouts against the ``qrcode`` package's own symbol, and a decoder.

``qrcode`` is the independent implementation: for the same bytes in byte mode, the same level and
mask 0 it must produce the same modules, over short and long data (versions 1 to 40, the switch of
the character count from 8 to 16 bits at version 10, several error-correction blocks per group).
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable

import pytest
import qrcode
import qrcode.util
from PIL import Image

from esign.appearance import MM, Shape
from esign.appearance.qr import QUIET_ZONE, qr_drawing, qr_modules
from esign.errors import InputError

Scan = Callable[[Image.Image], list[str]]

_LEVELS = {
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}


def _reference(data: str, level: str) -> tuple[tuple[bool, ...], ...]:
    qr = qrcode.QRCode(error_correction=_LEVELS[level], border=0, mask_pattern=0)
    qr.add_data(qrcode.util.QRData(data.encode("utf-8"), mode=qrcode.util.MODE_8BIT_BYTE))
    qr.make(fit=True)
    return tuple(tuple(bool(m) for m in row) for row in qr.get_matrix())


_RANDOM = random.Random(18004)
_LENGTHS = [1, 2, 7, 14, 17, 25, 31, 47, 62, 84, 106, 134, 154, 180, 230, 271, 321, 367, 425, 511, 666, 858, 1200, 1600]


@pytest.mark.parametrize("level", ["M", "Q", "H"])
@pytest.mark.parametrize("length", _LENGTHS)
def test_same_modules_as_qrcode(level: str, length: int) -> None:
    data = "".join(_RANDOM.choice(string.ascii_letters + string.digits + "/:.-_?=&中文") for _ in range(length))
    try:
        expected = _reference(data, level)
    except (qrcode.exceptions.DataOverflowError, ValueError):  # qrcode says ValueError past version 40
        with pytest.raises(InputError) as exc:
            qr_modules(data, error_correction=level)  # type: ignore[arg-type]
        assert exc.value.code == "qr_data_too_long"
        return
    assert qr_modules(data, error_correction=level) == expected  # type: ignore[arg-type]


def test_verification_urls_match_and_scan(zbar: Scan) -> None:
    for n in range(20):
        url = (
            f"https://esign.puxian.example/v/{''.join(_RANDOM.choice(string.ascii_letters + '-_') for _ in range(22))}"
        )
        modules = qr_modules(url)
        assert modules == _reference(url, "M")
        if n < 3:  # a decoder reads it back
            scale = 6
            side = (len(modules) + 2 * QUIET_ZONE) * scale
            img = Image.new("L", (side, side), 255)
            for r, row in enumerate(modules):
                for c, dark in enumerate(row):
                    if dark:
                        x, y = (c + QUIET_ZONE) * scale, (r + QUIET_ZONE) * scale
                        img.paste(0, (x, y, x + scale, y + scale))
            assert zbar(img) == [url]


def test_too_long_is_refused() -> None:
    with pytest.raises(InputError) as exc:
        qr_modules("x" * 3000)
    assert exc.value.code == "qr_data_too_long"


@pytest.mark.parametrize("level", ["M", "H"])
@pytest.mark.parametrize("length", [5, 40, 300])
def test_drawing_covers_exactly_the_dark_modules(level: str, length: int) -> None:
    """The vector QR code (one rectangle per dark run, made from the symbol's bytes) against qrcode's modules."""
    data = "".join(_RANDOM.choice(string.ascii_letters + "中/") for _ in range(length))
    expected = _reference(data, level)
    n = len(expected)
    drawing = qr_drawing(data, size_mm=20.0, error_correction=level)  # type: ignore[arg-type]
    background, dark = drawing.items
    assert isinstance(background, Shape) and isinstance(dark, Shape) and dark.color == (0, 0, 0)
    unit = 20.0 * MM / n
    grid = [[False] * n for _ in range(n)]
    path = dark.path
    assert len(path) % 5 == 0
    for i in range(0, len(path), 5):
        (m, (x0, y0)), (_, (x1, _y)), _, (_, (_x, y1)), (h, _) = path[i : i + 5]
        assert (m, h) == ("m", "h") and y1 - y0 == pytest.approx(unit)
        row = n - 1 - round(y0 / unit - QUIET_ZONE)
        for c in range(round(x0 / unit) - QUIET_ZONE, round(x1 / unit) - QUIET_ZONE):
            assert not grid[row][c]  # runs do not overlap
            grid[row][c] = True
    assert tuple(tuple(r) for r in grid) == expected


def _drawn_directly(data: str, size_mm: float, level: str) -> tuple[float, list[tuple[str, tuple[float, ...]]]]:
    """The box side and the dark path computed from qr_modules with no table (the reference for the corners
    kept per symbol size)."""
    modules = qr_modules(data, error_correction=level)  # type: ignore[arg-type]
    n = len(modules)
    unit = size_mm * MM / n
    path: list[tuple[str, tuple[float, ...]]] = []
    for r, row in enumerate(modules):
        y, top = (n - 1 - r + QUIET_ZONE) * unit, (n - r + QUIET_ZONE) * unit
        c = 0
        while c < n:
            if row[c]:
                start = c
                while c < n and row[c]:
                    c += 1
                x, right = (start + QUIET_ZONE) * unit, (c + QUIET_ZONE) * unit
                path += [("m", (x, y)), ("l", (right, y)), ("l", (right, top)), ("l", (x, top)), ("h", ())]
            else:
                c += 1
    return (n + 2 * QUIET_ZONE) * unit, path


def test_corners_kept_per_size_serve_only_that_size() -> None:
    """Sizes and versions alternate (a nearby size, the same version at another size, another version at the
    same size): each drawing is exactly the one computed without the kept corners."""
    cases = [
        ("https://esign.puxian.example/v/a", 18.0, "M"),
        ("https://esign.puxian.example/v/a", 18.000001, "M"),
        ("https://esign.puxian.example/v/" + "b" * 60, 18.0, "M"),
        ("https://esign.puxian.example/v/a", 25.0, "H"),
        ("https://esign.puxian.example/v/a", 18.0, "M"),
        ("https://esign.puxian.example/v/" + "b" * 60, 15.0, "Q"),
    ]
    for data, size_mm, level in cases * 2:
        drawing = qr_drawing(data, size_mm=size_mm, error_correction=level)  # type: ignore[arg-type]
        side, path = _drawn_directly(data, size_mm, level)
        dark = drawing.items[1]
        assert isinstance(dark, Shape)
        assert drawing.width == side and list(dark.path) == path, (data, size_mm, level)
