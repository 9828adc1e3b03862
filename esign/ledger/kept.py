"""Checking the log against a checkpoint someone outside the county kept (and, if kept, its tiles).

A department (or a witness, or anyone mirroring the ``tlog-tiles`` of :mod:`esign.ledger.tiles`)
keeps a signed checkpoint: a note file, a mirror directory (``checkpoint`` plus ``tile/...``) or a
URL. :func:`load_kept` reads it and verifies the log's signature; :func:`check_kept` compares it
with the tree recomputed from the entries now in the database:

* the log must still have at least ``size`` entries and the same root at ``size``; and
* when the keeper also mirrored the level-0 tiles (the leaf hashes, which the signed root vouches
  for), a disagreement is located exactly: the first index whose leaf hash differs, or the first
  index that is gone. With the checkpoint alone a disagreement can only be placed somewhere in
  ``[0, size)``, and the report says so.

Nothing the database holds is trusted here: the kept checkpoint is verified with the published
log key and the mirrored tiles with the kept root.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from esign.errors import InputError
from esign.ledger.audit import AuditProblem
from esign.ledger.checkpoint import Checkpoint, NoteVerifier, open_checkpoint
from esign.ledger.merkle import MemoryTree
from esign.ledger.tiles import leaf_hashes_from_tiles

__all__ = ["KeptCheckpoint", "check_kept", "load_kept"]


@dataclass(frozen=True)
class KeptCheckpoint:
    """A checkpoint kept outside the county, verified with the log key."""

    source: str
    """Where it was read from."""
    checkpoint: Checkpoint
    """Its content."""
    leaves: tuple[bytes, ...] | None
    """The first ``checkpoint.size`` leaf hashes from a mirror next to it, checked against its root."""


def _http_get(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:  # noqa: S310 - a URL the operator typed
            return bytes(resp.read())
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return None
        raise InputError("无法读取保存的检查点", f"cannot fetch {url}: HTTP {e.code}", code="kept_unreadable") from e
    except OSError as e:
        raise InputError("无法读取保存的检查点", f"cannot fetch {url}: {e}", code="kept_unreadable") from e


def _getter(source: str) -> tuple[bytes, Callable[[str], bytes | None]]:
    """The note bytes and a reader of paths relative to the mirror prefix."""
    if source.startswith(("http://", "https://")):
        prefix = source[: -len("checkpoint")] if source.endswith("/checkpoint") else source.rstrip("/") + "/"
        url = source if source.endswith("/checkpoint") else prefix + "checkpoint"
        note = _http_get(url)
        if note is None:
            raise InputError("没有找到保存的检查点", f"no checkpoint at {url}", code="kept_unreadable")
        return note, lambda p: _http_get(prefix + p)
    path = Path(source)
    base = path if path.is_dir() else path.parent
    note_path = path / "checkpoint" if path.is_dir() else path
    try:
        note = note_path.read_bytes()
    except OSError as e:
        raise InputError("无法读取保存的检查点", f"cannot read {note_path}: {e}", code="kept_unreadable") from e

    def read(p: str) -> bytes | None:
        f = base / p
        return f.read_bytes() if f.is_file() else None

    return note, read


def load_kept(source: str, verifier: NoteVerifier) -> KeptCheckpoint:
    """Read and verify a kept checkpoint (file, mirror directory or URL), with its mirrored leaves if any."""
    note, read = _getter(source)
    cp = open_checkpoint(note, verifier)
    leaves = None
    if cp.size and read("tile/0/" + ("000" if cp.size >= 256 else f"000.p/{cp.size}")) is not None:

        def get(p: str) -> bytes:
            data = read(p)
            if data is None:
                raise InputError("镜像缺少瓦片", f"the mirror lacks {p}", code="ledger_bad_tile")
            return data

        leaves = tuple(leaf_hashes_from_tiles(get, cp.size, cp.root_hash))
    return KeptCheckpoint(source, cp, leaves)


def check_kept(tree: MemoryTree, kept: KeptCheckpoint) -> list[AuditProblem]:
    """Problems showing the recomputed ``tree`` does not extend ``kept`` (empty if it does)."""
    cp = kept.checkpoint
    where = f"checkpoint kept at {kept.source} (size {cp.size})"
    if cp.size <= tree.size and tree.root(cp.size) == cp.root_hash:
        return []
    if kept.leaves is not None:
        now = tree.levels[0]
        for i, h in enumerate(kept.leaves):
            if i >= len(now):
                return [AuditProblem(i, "kept_missing", f"entry {i} is gone: the {where} covers it")]
            if now[i] != h:
                return [AuditProblem(i, "kept_leaf", f"entry {i} differs from the {where}")]
    if cp.size > tree.size:
        return [AuditProblem(tree.size, "kept_missing", f"the log has {tree.size} entries but the {where} covers more")]
    return [
        AuditProblem(
            0,
            "kept_root",
            f"the log no longer extends the {where}: some entry in [0, {cp.size}) changed;"
            " keep the tiles too (esign ledger mirror) to locate it exactly",
        )
    ]
