"""The log as C2SP ``tlog-tiles``: static tiles anyone can mirror and audit with standard tools.

Followed: c2sp.org/tlog-tiles (C2SP/C2SP@5ba5ee8, ``tlog-tiles.md``). Tile ``<L>/<N>[.p/<W>]`` holds
the hashes ``MTH(D[(N*256+i) * 256**L : (N*256+i+1) * 256**L])`` for ``i < W`` (256 for a full
tile): exactly the stored complete nodes ``(8*L, N*256+i)`` (:mod:`esign.ledger.merkle`), so a tile
is read from ``ledger_nodes`` and never needs hashing. ``<N>`` is written as zero-padded
3-digit path elements, all but the last prefixed with ``x`` (``x001/x234/067``). Entry bundles
(``tile/entries/<N>[.p/<W>]``) are big-endian uint16 length-prefixed canonical entry bodies.

Go's ``golang.org/x/mod/sumdb/tlog`` with tile height 8 reads the same hashes (its paths add the
height: ``tile/8/<L>/...``); the tests check our tiles with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from esign.errors import InputError, NotFoundError
from esign.ledger.merkle import HASH_SIZE, MemoryTree, NodeReader

__all__ = [
    "TILE_WIDTH",
    "TileRef",
    "entry_bundle",
    "leaf_hashes_from_tiles",
    "parse_tile_path",
    "read_tile",
    "split_bundle",
    "tiles_for_size",
]

TILE_WIDTH = 256
_TILE_HEIGHT = 8
_PATH = re.compile(r"(entries|0|[1-9][0-9]?)/((?:x[0-9]{3}/)*[0-9]{3})(?:\.p/([1-9][0-9]{0,2}))?")


@dataclass(frozen=True)
class TileRef:
    """One tile: ``level`` (None for an entry bundle), index ``n`` and width ``w`` (256 = full)."""

    level: int | None
    """Tile level 0-63, or None for ``entries``."""
    n: int
    """Tile index within the level."""
    w: int = TILE_WIDTH
    """Number of hashes (or entries), 1-256."""

    def path(self) -> str:
        """``tile/<L>/<N>[.p/<W>]`` relative to the log's prefix."""
        digits = f"{self.n:03d}"
        groups = [digits[max(0, i - 3) : i] for i in range(len(digits), 0, -3)][::-1]
        groups = [g.zfill(3) for g in groups]
        n = "/".join(["x" + g for g in groups[:-1]] + [groups[-1]])
        level = "entries" if self.level is None else str(self.level)
        suffix = "" if self.w == TILE_WIDTH else f".p/{self.w}"
        return f"tile/{level}/{n}{suffix}"


def parse_tile_path(path: str) -> TileRef:
    """Parse ``<L>/<N>[.p/<W>]`` (the part after ``tile/``); :class:`InputError` if malformed."""
    m = _PATH.fullmatch(path)
    if not m or (m.group(3) is not None and int(m.group(3)) > 255):
        raise InputError("瓦片路径不合法", f"not a tlog-tiles path: {path!r}", code="ledger_bad_tile_path")
    level = None if m.group(1) == "entries" else int(m.group(1))
    if level is not None and level > 63:
        raise InputError("瓦片层级不合法", "tile level must be 0-63", code="ledger_bad_tile_path")
    n = int(m.group(2).replace("x", "").replace("/", ""))
    return TileRef(level, n, int(m.group(3)) if m.group(3) else TILE_WIDTH)


def _check_available(ref: TileRef, size: int) -> None:
    level = 0 if ref.level is None else ref.level
    available = size >> (_TILE_HEIGHT * level)
    if ref.n * TILE_WIDTH + ref.w > available:
        raise NotFoundError("该瓦片尚不存在", f"{ref.path()} is beyond the log", code="ledger_tile_not_found")


def read_tile(ref: TileRef, size: int, read: NodeReader) -> bytes:
    """The hash tile ``ref`` of a log of ``size`` entries, from its stored complete nodes."""
    if ref.level is None:
        raise ValueError("entry bundles are read with entry_bundle")
    _check_available(ref, size)
    base = ref.n * TILE_WIDTH
    ids = [(_TILE_HEIGHT * ref.level, base + i) for i in range(ref.w)]
    nodes = read(ids)
    return b"".join(nodes[i] for i in ids)


def entry_bundle(ref: TileRef, size: int, bodies: Callable[[int, int], Sequence[bytes]]) -> bytes:
    """The entry bundle ``ref``; ``bodies(start, end)`` returns the canonical entries in that range."""
    if ref.level is not None:
        raise ValueError("not an entry bundle")
    _check_available(ref, size)
    start = ref.n * TILE_WIDTH
    found = bodies(start, start + ref.w)
    return b"".join(len(b).to_bytes(2, "big") + b for b in found)


def split_bundle(data: bytes) -> list[bytes]:
    """The entries of an entry bundle."""
    out, pos = [], 0
    while pos < len(data):
        n = int.from_bytes(data[pos : pos + 2], "big")
        out.append(data[pos + 2 : pos + 2 + n])
        pos += 2 + n
    return out


def tiles_for_size(size: int) -> list[TileRef]:
    """Every hash tile of a tree of ``size`` entries (full ones, then the partial one per level)."""
    out: list[TileRef] = []
    level = 0
    while True:
        count = size >> (_TILE_HEIGHT * level)
        if count == 0:
            return out
        out += [TileRef(level, n) for n in range(count // TILE_WIDTH)]
        if count % TILE_WIDTH:
            out.append(TileRef(level, count // TILE_WIDTH, count % TILE_WIDTH))
        level += 1


def leaf_hashes_from_tiles(get: Callable[[str], bytes], size: int, root: bytes) -> list[bytes]:
    """The first ``size`` leaf hashes, read from level-0 tiles via ``get(path)``, checked against ``root``.

    Raises :class:`InputError` if a tile is malformed or the leaves do not hash to ``root``: a
    mirror is trusted only as far as the signed checkpoint vouches for it.
    """
    leaves: list[bytes] = []
    for ref in (t for t in tiles_for_size(size) if t.level == 0):
        data = get(ref.path())
        if len(data) != ref.w * HASH_SIZE:
            raise InputError("瓦片长度错误", f"{ref.path()} has the wrong length", code="ledger_bad_tile")
        leaves += [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]
    if MemoryTree(leaves).root() != root:
        raise InputError(
            "镜像瓦片与检查点不符", "the mirrored tiles do not match the checkpoint", code="ledger_bad_tile"
        )
    return leaves
