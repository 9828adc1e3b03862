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

from esign.appearance.qr import QUIET_ZONE, qr_modules
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
