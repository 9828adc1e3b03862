"""Mirror a log's ``tlog-tiles`` into a directory and refuse a mirror update that forks.

A department (or anyone) runs :func:`mirror_log` periodically: it fetches ``<prefix>/checkpoint``,
verifies it with the log key the mirror was set up with (``vkey`` in the directory; trust on
first use if none), downloads the level-0 tiles (the leaf hashes) and every other hash tile of
that size, checks that the leaves hash to the signed root, and -- if the directory already held a
checkpoint -- that the new leaves start with the old ones, i.e. the log only grew. A fork is an
error that names the first differing index; the old mirror is then kept untouched. The layout
is the tlog-tiles URL layout, so the directory can be served as a static mirror and read by
:func:`esign.ledger.kept.load_kept` (``esign ledger verify --checkpoint DIR``).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from esign.errors import InputError
from esign.ledger.checkpoint import Checkpoint, NoteVerifier, open_checkpoint
from esign.ledger.errors import LedgerIntegrityError
from esign.ledger.merkle import HASH_SIZE, MemoryTree
from esign.ledger.tiles import leaf_hashes_from_tiles, tiles_for_size

__all__ = ["MirrorResult", "http_get", "mirror_log"]


@dataclass(frozen=True)
class MirrorResult:
    """What one mirror pass did."""

    old_size: int
    """Size mirrored before (0 if new)."""
    checkpoint: Checkpoint
    """The checkpoint now mirrored."""
    tiles: int
    """Tiles written."""


def http_get(url: str) -> bytes:
    """GET ``url`` (an :class:`InputError` for anything but 200)."""
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:  # noqa: S310 - the operator's log URL
            return bytes(resp.read())
    except (urllib.error.URLError, OSError) as e:
        raise InputError("无法读取日志", f"cannot fetch {url}: {e}", code="mirror_fetch") from e


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def mirror_log(
    prefix: str, directory: Path, *, vkey: str | None = None, get: Callable[[str], bytes] = http_get
) -> MirrorResult:
    """Bring the mirror in ``directory`` up to the log at ``prefix`` (e.g. ``https://host/ledger``)."""
    prefix = prefix.rstrip("/") + "/"
    vkey_file = directory / "vkey"
    if vkey is None:
        if not vkey_file.exists():
            raise InputError("需要日志公钥（--vkey）", "the first mirror pass needs the log's vkey", code="mirror_vkey")
        vkey = vkey_file.read_text(encoding="utf-8").strip()
    verifier = NoteVerifier.from_vkey(vkey)
    note = get(prefix + "checkpoint")
    cp = open_checkpoint(note, verifier)
    cache: dict[str, bytes] = {}

    def tile(path: str) -> bytes:
        if path not in cache:
            cache[path] = get(prefix + path)
        return cache[path]

    leaves = leaf_hashes_from_tiles(tile, cp.size, cp.root_hash)
    old_size = 0
    old_note = directory / "checkpoint"
    if old_note.exists():
        old = open_checkpoint(old_note.read_bytes(), verifier)
        old_leaves = [d for p in _level0(old.size) for d in _split((directory / p).read_bytes())]
        old_size = old.size
        for i, h in enumerate(old_leaves):
            if i >= len(leaves) or leaves[i] != h:
                raise LedgerIntegrityError(
                    f"日志分叉：镜像中第 {i} 条与日志现在的不同，拒绝更新镜像",
                    f"fork: entry {i} of the mirrored size {old.size} differs from the log now; mirror kept",
                    code="mirror_fork",
                    index=i,
                )
    refs = tiles_for_size(cp.size)
    tree = MemoryTree(leaves)
    for ref in refs:
        if ref.level:
            want = b"".join(tree.levels[8 * ref.level][ref.n * 256 + i] for i in range(ref.w))
            if tile(ref.path()) != want:
                raise InputError("瓦片与叶哈希不符", f"{ref.path()} does not match the leaves", code="ledger_bad_tile")
        _write(directory / ref.path(), tile(ref.path()))
    _write(vkey_file, (vkey + "\n").encode())
    _write(old_note, note)
    _write(directory / "checkpoints" / str(cp.size), note)
    return MirrorResult(old_size, cp, len(refs))


def _level0(size: int) -> list[str]:
    return [r.path() for r in tiles_for_size(size) if r.level == 0]


def _split(data: bytes) -> list[bytes]:
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]
