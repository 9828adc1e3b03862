"""The verification QR code as vector art: dark modules merged into one rectangle per run per row.

The symbol is drawn on an opaque light square that includes the 4-module quiet zone, so it
scans even where it overlaps page content. Error correction is at least M.

The symbol (ISO/IEC 18004:2015) is made here, in byte mode with a fixed mask, from parts laid out
once per version and error-correction level: the function patterns, format and version
information as the ``qrcode`` package places them, the order in which data modules are filled
(7.7.3) and the mask's value at each. Per URL only the codewords and their Reed-Solomon error
correction (7.5) are computed and dropped into place. The tests check the result against
``qrcode``'s own symbol for the same data and against a decoder (zbar).
"""

from __future__ import annotations

import functools
import operator
import re
import threading
from typing import Literal

import qrcode
import qrcode.base
import qrcode.constants
import qrcode.util

from esign.appearance.artwork import MM, Artwork
from esign.appearance.drawing import RGB, Drawing, Shape
from esign.appearance.paths import PathOp, rectangle
from esign.errors import InputError

__all__ = ["MIN_QR_SIZE_MM", "QUIET_ZONE", "qr_artwork", "qr_drawing", "qr_modules"]

#: Smallest printed symbol (without quiet zone) that phone cameras read reliably off paper.
MIN_QR_SIZE_MM = 15.0
#: Light modules around the symbol, as ISO/IEC 18004 requires.
QUIET_ZONE = 4

_LEVELS = {
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}


def qr_modules(data: str, *, error_correction: Literal["M", "Q", "H"] = "M") -> tuple[tuple[bool, ...], ...]:
    """The symbol's modules, top row first, ``True`` for dark; no quiet zone. Byte mode (the
    UTF-8 of ``data``), the smallest version that holds it, mask pattern 0."""
    modules, size = _symbol(data, error_correction)
    dark = ord("1")
    return tuple(tuple(b == dark for b in modules[r * size : (r + 1) * size]) for r in range(size))


def _symbol(data: str, error_correction: str) -> tuple[bytes, int]:
    """The modules row by row, ``b"1"`` dark and ``b"0"`` light, and the symbol's size: the layout's function
    modules, and the data bits (codewords, then light remainder bits, 7.7.3) XORed with the mask and dropped
    where they go."""
    if not data:
        raise InputError("二维码内容不能为空。", "The QR code content must not be empty.", code="qr_data_empty")
    if error_correction not in _LEVELS:
        raise InputError(
            "二维码纠错等级须为 M、Q 或 H。",
            f"QR error correction must be M, Q or H, got {error_correction!r}.",
            code="qr_level_invalid",
            field="error_correction",
        )
    payload = data.encode("utf-8")
    level = _LEVELS[error_correction]
    version = _version_for(len(payload), level)
    if version is None:
        raise InputError(
            "二维码内容太长。", "The QR code content is too long.", code="qr_data_too_long", length=len(data)
        )
    layout = _layout(version, level)
    codewords = _codewords(payload, version, level)
    n_data = len(layout.positions)
    bits = int.from_bytes(bytes(codewords), "big") << (n_data - 8 * len(codewords))
    placed = b"01" + format(bits ^ layout.mask_bits, f"0{n_data}b").encode("ascii")
    return bytes(map(placed.__getitem__, layout.gather)), layout.size


# A fixed mask: every decoder reads all eight masks, and searching for the best one (scoring
# each against the penalty rules) costs more than the rest of the stamp's artwork together.
_MASK = 0


def _count_bits(version: int) -> int:
    """Bits of the character count indicator in byte mode (ISO/IEC 18004 Table 3)."""
    return 8 if version < 10 else 16


def _version_for(length: int, level: int) -> int | None:
    """The smallest version whose data capacity holds ``length`` bytes in byte mode."""
    limits = qrcode.util.BIT_LIMIT_TABLE[level]
    for version in range(1, 41):
        if 4 + _count_bits(version) + 8 * length <= limits[version]:
            return version
    return None


class _Layout:
    """What every symbol of one version and level shares: the function modules, where data goes, the mask."""

    def __init__(self, version: int, level: int) -> None:
        qr = qrcode.QRCode(version=version, error_correction=level, mask_pattern=_MASK, border=0)
        qr.data_cache = []  # no data: only the function patterns, format and version information
        qr.map_data = lambda data, mask_pattern: None
        qr.makeImpl(False, _MASK)
        grid: list[list[bool | None]] = qr.modules
        size = len(grid)
        self.size = size
        self.blank = bytes(1 if m else 0 for row in grid for m in row)
        mask = qrcode.util.mask_func(_MASK)
        positions: list[int] = []
        masked: list[int] = []
        # The placement order of 7.7.3 (qrcode's map_data): two-module columns from the right,
        # upwards then downwards, skipping the vertical timing pattern and every function module.
        row, step = size - 1, -1
        for col in range(size - 1, 0, -2):
            if col <= 6:
                col -= 1
            while True:
                for c in (col, col - 1):
                    if grid[row][c] is None:
                        positions.append(row * size + c)
                        masked.append(1 if mask(row, c) else 0)
                row += step
                if row < 0 or row >= size:
                    row -= step
                    step = -step
                    break
        self.positions = tuple(positions)
        self.mask = tuple(masked)
        #: the mask at the data positions as one number, the first position the highest bit
        self.mask_bits = int("".join(map(str, masked)) or "0", 2)
        # where each module (row by row) takes its value from: b"01" + the masked data bits in placement order
        gather = [1 if m else 0 for row in grid for m in row]
        for i, pos in enumerate(positions):
            gather[pos] = 2 + i
        self.gather = tuple(gather)
        self.blocks = [(b.data_count, b.total_count - b.data_count) for b in qrcode.base.rs_blocks(version, level)]


_LAYOUTS: dict[tuple[int, int], _Layout] = {}
_LAYOUTS_LOCK = threading.Lock()


def _layout(version: int, level: int) -> _Layout:
    key = (version, level)
    found = _LAYOUTS.get(key)
    if found is None:
        with _LAYOUTS_LOCK:
            found = _LAYOUTS.get(key) or _Layout(version, level)
            _LAYOUTS[key] = found
    return found


# GF(256) with the QR code's polynomial x^8 + x^4 + x^3 + x^2 + 1 (ISO/IEC 18004 7.5.2).
_EXP = [0] * 512
_LOG = [0] * 256
_v = 1
for _i in range(255):
    _EXP[_i] = _v
    _LOG[_v] = _i
    _v <<= 1
    if _v & 0x100:
        _v ^= 0x11D
for _i in range(255, 512):
    _EXP[_i] = _EXP[_i - 255]


@functools.cache
def _generator(degree: int) -> tuple[int, ...]:
    """Logs of the coefficients (after the leading 1) of the generator polynomial of ``degree``."""
    poly = [1]
    for i in range(degree):  # (x - a^i), and - is + in GF(2^8)
        nxt = [0] * (len(poly) + 1)
        for j, c in enumerate(poly):
            nxt[j] ^= c
            if c:
                nxt[j + 1] ^= _EXP[_LOG[c] + i]
        poly = nxt
    return tuple(_LOG[c] for c in poly[1:])


@functools.cache
def _products(degree: int) -> tuple[tuple[int, ...], ...]:
    """For each coefficient c (0..255), c times the generator polynomial of ``degree`` (after its leading 1)."""
    gen = _generator(degree)
    return ((0,) * degree, *(tuple(_EXP[_LOG[c] + g] for g in gen) for c in range(1, 256)))


def _error_correction(block: list[int], degree: int) -> list[int]:
    """The ``degree`` error-correction codewords of ``block``: the remainder of block * x^degree
    divided by the generator polynomial (one table row XORed in per data codeword)."""
    products = _products(degree)
    rem = [*block, *([0] * degree)]
    for i in range(len(block)):
        coef = rem[i]
        if coef:
            rem[i + 1 : i + 1 + degree] = map(operator.xor, rem[i + 1 : i + 1 + degree], products[coef])
    return rem[len(block) :]


def _codewords(payload: bytes, version: int, level: int) -> list[int]:
    """The final message (7.4 and 7.6): byte-mode data, terminator, padding, then per block error
    correction, data and error-correction codewords interleaved block by block."""
    capacity = qrcode.util.BIT_LIMIT_TABLE[level][version]
    count_bits = _count_bits(version)
    bits = (0b0100 << count_bits | len(payload)) << 8 * len(payload) | int.from_bytes(payload, "big")
    used = 4 + count_bits + 8 * len(payload)
    terminator = min(4, capacity - used)
    bits <<= terminator
    used += terminator
    if used % 8:
        bits <<= 8 - used % 8
        used += 8 - used % 8
    data = list(bits.to_bytes(used // 8, "big"))
    pad = (0xEC, 0x11)
    data.extend(pad[i % 2] for i in range(capacity // 8 - len(data)))
    layout = _layout(version, level)
    blocks: list[list[int]] = []
    ecs: list[list[int]] = []
    offset = 0
    for data_count, ec_count in layout.blocks:
        block = data[offset : offset + data_count]
        offset += data_count
        blocks.append(block)
        ecs.append(_error_correction(block, ec_count))
    out: list[int] = []
    for group in (blocks, ecs):
        for i in range(max(len(g) for g in group)):
            out.extend(g[i] for g in group if i < len(g))
    return out


_DARK_RUN = re.compile(b"1+")


@functools.lru_cache(maxsize=32)
def _corners(n: int, size_mm: float) -> tuple[tuple[tuple[PathOp, ...], ...], tuple[tuple[PathOp, ...], ...]]:
    """The move and the line to every corner of the grid of module edges of an ``n``-module symbol ``size_mm``
    wide, indexed [column edge][row edge] from the lower left: a function of these two numbers alone, made
    once per size instead of a few thousand small objects per stamp. Each coordinate is computed once, so a
    run's right edge is the very number of the next run's left edge."""
    unit = size_mm * MM / n
    edge = [(i + QUIET_ZONE) * unit for i in range(n + 1)]
    moves = tuple(tuple(("m", (x, y)) for y in edge) for x in edge)
    lines = tuple(tuple(("l", (x, y)) for y in edge) for x in edge)
    return moves, lines


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
    modules, n = _symbol(data, error_correction)
    side = (n + 2 * QUIET_ZONE) * (size_mm * MM / n)
    moves, lines = _corners(n, size_mm)
    dark: list[PathOp] = []
    close: PathOp = ("h", ())
    for r in range(n):
        bottom, top = n - 1 - r, n - r
        row = r * n
        for run in _DARK_RUN.finditer(modules, row, row + n):
            # rectangle(x, y, w, unit), spelt out: a few hundred runs per symbol, one per stamp
            left, right = run.start() - row, run.end() - row
            dark += (moves[left][bottom], lines[right][bottom], lines[right][top], lines[left][top], close)
    return Drawing(
        width=side, height=side, items=(Shape(rectangle(0, 0, side, side), background), Shape(tuple(dark), color))
    )


def qr_artwork(data: str, *, size_mm: float = 18.0, error_correction: Literal["M", "Q", "H"] = "M") -> Artwork:
    """The QR code as artwork (no anchor); ``.png(dpi=...)`` gives the raster version."""
    return Artwork(drawing=qr_drawing(data, size_mm=size_mm, error_correction=error_correction), anchor=None)
