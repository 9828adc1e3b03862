"""Content-addressed document storage in the data home (``HOME/documents/ab/<sha256>.pdf``).

Files are written to a temporary name and renamed into place, so a reader never sees a
half-written file; the same content is stored once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from pathlib import Path

from esign.errors import NotFoundError

__all__ = ["BlobStore"]


class BlobStore:
    """Stores documents by their SHA-256."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, digest: str) -> Path:
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise NotFoundError("文件不存在。", "No such document.", code="document_not_found")
        return self.root / digest[:2] / f"{digest}.pdf"

    def put(self, data: bytes, *, durable: bool = True) -> str:
        """Store ``data``; returns its SHA-256 (hex). ``durable`` forces it to disk before returning
        (stamped outputs); a submitted input can be uploaded again, so it skips the flush."""
        digest = hashlib.sha256(data).hexdigest()
        path = self._path(digest)
        if path.exists():
            return digest
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                if durable:
                    fh.flush()
                    os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def get(self, digest: str) -> bytes:
        """The stored document; NotFoundError when absent or past retention."""
        try:
            return self._path(digest).read_bytes()
        except FileNotFoundError:
            raise NotFoundError(
                "文件不存在或已超过保存期限（登记台账仍保留其哈希值）。",
                "The document is not stored (or past retention); the register keeps its hash.",
                code="document_not_found",
            ) from None

    def exists(self, digest: str) -> bool:
        """Whether the document is stored."""
        return self._path(digest).exists()

    def discard(self, digest: str) -> None:
        """Remove a document (after a failed commit, or past retention)."""
        self._path(digest).unlink(missing_ok=True)

    def purge_older_than(self, cutoff: dt.datetime, *, keep: frozenset[str] | set[str] = frozenset()) -> int:
        """Delete documents last modified before ``cutoff`` except those in ``keep``; returns the count."""
        removed = 0
        for path in self.root.glob("??/*.pdf"):
            if path.stem in keep:
                continue
            if dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC) < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        return removed
