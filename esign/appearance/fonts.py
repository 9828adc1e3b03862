"""The seal face: finding a Song-style (serif) simplified-Chinese font and reading glyph outlines.

Glyphs are drawn as outlines, never as text, so the stamped PDF carries no font at all and looks
the same in every viewer. The font is found from ``ESIGN_SEAL_FONT`` (``/path/font.ttc``, with an
optional ``#index`` or ``#Face Name`` for a collection) or else from the usual system places
(``fonts-noto-cjk`` serif SC first, then AR PL UMing and friends). Opened fonts and extracted
outlines are cached for the life of the process.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from fontTools.pens.basePen import BasePen
from fontTools.ttLib import TTFont, TTLibError

from esign.appearance.paths import Path, PathOp
from esign.errors import ConfigError, InputError

__all__ = [
    "DEFAULT_FONT_CANDIDATES",
    "ENV_VAR",
    "FontRef",
    "Glyph",
    "GlyphMissingError",
    "find_seal_font",
    "glyph",
]

ENV_VAR = "ESIGN_SEAL_FONT"

#: Where a Song/Ming face usually lives, best first, as ``path#face``. The bold cut comes first:
#: an engraved seal's strokes are heavy, and the regular cut looks thin at 6 mm.
DEFAULT_FONT_CANDIDATES: tuple[str, ...] = (
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc#Noto Serif CJK SC",
    "/usr/share/fonts/noto-cjk/NotoSerifCJK-Bold.ttc#Noto Serif CJK SC",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc#Noto Serif CJK SC",
    "/usr/share/fonts/noto-cjk/NotoSerifCJK-Regular.ttc#Noto Serif CJK SC",
    "/usr/share/fonts/google-noto-cjk/NotoSerifCJK-Regular.ttc#Noto Serif CJK SC",
    "/usr/share/fonts/opentype/noto/NotoSerifCJKsc-Regular.otf",
    "/usr/share/fonts/noto-cjk/NotoSerifSC-Regular.otf",
    "/usr/share/fonts/truetype/arphic/uming.ttc#AR PL UMing CN",
    "/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf",
    "/System/Library/Fonts/Supplemental/Songti.ttc#Songti SC",
    "C:/Windows/Fonts/simsun.ttc#SimSun",
)

# fontTools loads tables lazily and is not thread-safe; the service renders from worker threads.
_LOCK = threading.RLock()

# A character every usable face must have: the last one of every special-purpose seal title.
_PROBE = "章"


class GlyphMissingError(InputError):
    """The seal face has no glyph for a character of the seal text."""

    default_code = "seal_glyph_missing"


@dataclass(frozen=True)
class FontRef:
    """One face of a font file."""

    path: str
    """Font file (``.ttf``, ``.otf``, ``.ttc``)."""

    index: int = 0
    """Face number inside a collection (0 for a single font)."""

    name: str = ""
    """The face's full name as found in the file (informational)."""

    @classmethod
    def from_spec(cls, spec: str) -> FontRef:
        """Open ``path``, ``path#index`` or ``path#Face Name``; :class:`ConfigError` if unusable."""
        path, _, face = spec.partition("#")
        if not os.path.isfile(path):
            raise ConfigError(
                f"印章字体文件不存在：{path}",
                f"Seal font file not found: {path}",
                code="seal_font_missing",
                path=path,
            )
        index = _face_index(path, face)
        with _LOCK:
            full_name = _font(path, index)["name"].getDebugName(4) or ""
        ref = cls(path=path, index=index, name=full_name)
        if _gid(ref, _PROBE) is None:
            raise ConfigError(
                f"字体 {ref.name or path} 不含简体中文字形。",
                f"Font {ref.name or path} has no simplified Chinese glyphs.",
                code="seal_font_unsuitable",
                path=path,
            )
        return ref


@dataclass(frozen=True)
class Glyph:
    """The outline of one character, in font units, baseline at y = 0."""

    path: Path
    """Outline operations (cubic only; quadratic TrueType curves are converted exactly)."""

    advance: float
    """Horizontal advance width."""

    em_bottom: float
    """Bottom of the em box (the ideographic descent, negative)."""

    units_per_em: float
    """Height of the em box."""


@functools.lru_cache(maxsize=8)
def _font(path: str, index: int) -> TTFont:
    try:
        return TTFont(path, fontNumber=index, lazy=True)
    except (OSError, TTLibError, ValueError) as e:
        raise ConfigError(
            f"无法读取印章字体 {path}#{index}。",
            f"Cannot read seal font {path}#{index}: {e}",
            code="seal_font_unreadable",
            path=path,
        ) from e


def _face_count(path: str) -> int:
    with open(path, "rb") as f:
        head = f.read(12)
    return int.from_bytes(head[8:12], "big") if head[:4] == b"ttcf" else 1


def _face_index(path: str, face: str) -> int:
    count = _face_count(path)
    if face == "":
        return 0
    if face.isdigit():
        if int(face) >= count:
            raise ConfigError(
                f"字体集合 {path} 只有 {count} 个字面。",
                f"Font collection {path} has only {count} faces.",
                code="seal_font_missing",
                path=path,
            )
        return int(face)
    for i in range(count):
        with _LOCK:
            names = [_font(path, i)["name"].getDebugName(n) or "" for n in (1, 4, 16)]
        if any(n.casefold() == face.casefold() for n in names):
            return i
    raise ConfigError(
        f"字体 {path} 中没有字面 {face}。",
        f"Font {path} has no face named {face!r}.",
        code="seal_font_missing",
        path=path,
    )


def find_seal_font(*, environ: Mapping[str, str] | None = None, candidates: Sequence[str] | None = None) -> FontRef:
    """The seal face: ``ESIGN_SEAL_FONT`` if set (an unusable value is an error, not a fallback),
    else the first usable of ``candidates`` (default :data:`DEFAULT_FONT_CANDIDATES`).

    Raises :class:`ConfigError` (code ``seal_font_missing``) naming the package to install.
    """
    env = os.environ if environ is None else environ
    explicit = env.get(ENV_VAR, "").strip()
    if explicit:
        return FontRef.from_spec(explicit)
    for spec in DEFAULT_FONT_CANDIDATES if candidates is None else candidates:
        if os.path.isfile(spec.partition("#")[0]):
            try:
                return FontRef.from_spec(spec)
            except ConfigError:
                continue
    raise ConfigError(
        "未找到印章所需的宋体（衬线）中文字体：请安装 fonts-noto-cjk（apt-get install fonts-noto-cjk），"
        f"或用环境变量 {ENV_VAR} 指定字体文件。",
        "No Song-style (serif) Chinese font for the seal: install fonts-noto-cjk "
        f"(apt-get install fonts-noto-cjk) or point {ENV_VAR} at a font file.",
        code="seal_font_missing",
    )


class _PathPen(BasePen):
    def __init__(self) -> None:
        super().__init__(glyphSet=None)
        self.ops: list[PathOp] = []

    def _moveTo(self, pt: tuple[float, float]) -> None:
        self.ops.append(("m", (float(pt[0]), float(pt[1]))))

    def _lineTo(self, pt: tuple[float, float]) -> None:
        self.ops.append(("l", (float(pt[0]), float(pt[1]))))

    def _curveToOne(self, p1: tuple[float, float], p2: tuple[float, float], p3: tuple[float, float]) -> None:
        self.ops.append(("c", tuple(float(v) for v in (*p1, *p2, *p3))))

    def _closePath(self) -> None:
        self.ops.append(("h", ()))

    def _endPath(self) -> None:
        self.ops.append(("h", ()))


def _gid(font: FontRef, char: str) -> str | None:
    with _LOCK:
        cmap = _font(font.path, font.index).getBestCmap() or {}
    return cmap.get(ord(char))


@functools.lru_cache(maxsize=4096)
def glyph(font: FontRef, char: str) -> Glyph:
    """The outline of ``char`` in ``font`` (cached); :class:`GlyphMissingError` if the face lacks it."""
    if len(char) != 1:
        raise ValueError("one character at a time")
    name = _gid(font, char)
    if name is None:
        raise GlyphMissingError(
            f"印章字体中没有“{char}”字。",
            f"The seal font has no glyph for {char!r} (U+{ord(char):04X}).",
            char=char,
        )
    with _LOCK:
        tt = _font(font.path, font.index)
        pen = _PathPen()
        glyph_set = tt.getGlyphSet()
        glyph_set[name].draw(pen)
        advance = float(glyph_set[name].width)
        upm = float(tt["head"].unitsPerEm)
        os2 = tt["OS/2"] if "OS/2" in tt else None
        descent = float(os2.sTypoDescender) if os2 is not None else -0.12 * upm
    # The ideographic em box is one em tall starting at the typographic descent (Noto: -120..880).
    return Glyph(path=tuple(pen.ops), advance=advance, em_bottom=descent, units_per_em=upm)
