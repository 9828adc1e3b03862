"""The verification QR code as vector art: dark modules merged into one rectangle per run per row.

The symbol is drawn on an opaque light square that includes the 4-module quiet zone, so it
scans even where it overlaps page content. Error correction is at least M.
"""

from __future__ import annotations

from typing import Literal

import qrcode
import qrcode.constants
from qrcode.exceptions import DataOverflowError

from esign.appearance.artwork import MM, Artwork
from esign.appearance.drawing import RGB, Drawing, Shape
from esign.appearance.paths import PathOp, rectangle
from esign.errors import InputError

__all__ = ["MIN_QR_SIZE_MM", "QUIET_ZONE", "qr_artwork", "qr_drawing", "qr_modules"]

#: Smallest printed symbol (without quiet zone) that phone cameras read reliably off paper.
MIN_QR_SIZE_MM = 15.0
#: Light modules around the symbol, as ISO/IEC 18004 requires.
QUIET_ZONE = 4
_MASK = 0

_LEVELS = {
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}


def qr_modules(data: str, *, error_correction: Literal["M", "Q", "H"] = "M") -> tuple[tuple[bool, ...], ...]:
    """The symbol's modules, top row first, ``True`` for dark; no quiet zone."""
    if not data:
        raise InputError("二维码内容不能为空。", "The QR code content must not be empty.", code="qr_data_empty")
    if error_correction not in _LEVELS:
        raise InputError(
            "二维码纠错等级须为 M、Q 或 H。",
            f"QR error correction must be M, Q or H, got {error_correction!r}.",
            code="qr_level_invalid",
            field="error_correction",
        )
    # A fixed mask: every decoder reads all eight masks, and searching for the best one (scoring
    # each against the penalty rules) costs more than the rest of the stamp's artwork together.
    qr = qrcode.QRCode(error_correction=_LEVELS[error_correction], border=0, mask_pattern=_MASK)
    qr.add_data(data.encode("utf-8"))
    try:
        qr.make(fit=True)
    except (DataOverflowError, ValueError) as e:  # qrcode says ValueError past version 40
        raise InputError(
            "二维码内容太长。", "The QR code content is too long.", code="qr_data_too_long", length=len(data)
        ) from e
    return tuple(tuple(bool(m) for m in row) for row in qr.get_matrix())


def qr_drawing(
    data: str,
    *,
    size_mm: float = 18.0,
    error_correction: Literal["M", "Q", "H"] = "M",
    color: RGB = (0, 0, 0),
    background: RGB = (255, 255, 255),
) -> Drawing:
    """The QR code in a square box: ``size_mm`` is the symbol's side, the box adds the quiet zone."""
    if size_mm < MIN_QR_SIZE_MM:
        raise InputError(
            f"二维码边长不能小于 {MIN_QR_SIZE_MM:g} 毫米。",
            f"The QR code must be at least {MIN_QR_SIZE_MM:g} mm wide, got {size_mm:g}.",
            code="qr_too_small",
            field="size_mm",
        )
    modules = qr_modules(data, error_correction=error_correction)
    n = len(modules)
    unit = size_mm * MM / n
    side = (n + 2 * QUIET_ZONE) * unit
    dark: list[PathOp] = []
    for r, row in enumerate(modules):
        y = (n - 1 - r + QUIET_ZONE) * unit
        c = 0
        while c < n:
            if not row[c]:
                c += 1
                continue
            start = c
            while c < n and row[c]:
                c += 1
            dark.extend(rectangle((start + QUIET_ZONE) * unit, y, (c - start) * unit, unit))
    return Drawing(
        width=side, height=side, items=(Shape(rectangle(0, 0, side, side), background), Shape(tuple(dark), color))
    )


def qr_artwork(data: str, *, size_mm: float = 18.0, error_correction: Literal["M", "Q", "H"] = "M") -> Artwork:
    """The QR code as artwork (no anchor); ``.png(dpi=...)`` gives the raster version."""
    return Artwork(drawing=qr_drawing(data, size_mm=size_mm, error_correction=error_correction), anchor=None)
