"""Content-addressed document storage in the data home (``HOME/documents/ab/<sha256>.pdf``).

Files are written to a temporary name and renamed into place, so a reader never sees a
half-written file; the same content is stored once.

A process killed while writing (``kill -9`` during signing) leaves its temporary ``.tmp-*`` file
behind. :meth:`BlobStore.purge_stale_temp` removes those at service start and in
``esign purge-documents``. Several worker processes (or hosts) may share a home, so a temporary
file is only removed when it is both old (not written for :data:`STALE_TEMP_AFTER`) and not open in
any process this machine can see (``/proc/*/fd``): a document another worker is still writing is
never taken away from it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from esign.errors import NotFoundError

__all__ = ["STALE_TEMP_AFTER", "BlobStore", "PendingBlob", "file_sha256"]

_CHUNK = 64 * 1024

#: A temporary file not written for this long is left over from a crash (writing a document, even
#: a large one, and signing it take seconds; a pending file is rewritten or renamed long before).
STALE_TEMP_AFTER = dt.timedelta(hours=1)


def file_sha256(fh: BinaryIO) -> str:
    """SHA-256 (hex) of an open file, read from the start in chunks; leaves it at the start."""
    fh.seek(0)
    digest = hashlib.sha256()
    buffer = bytearray(_CHUNK)
    view = memoryview(buffer)
    while n := fh.readinto(buffer):  # type: ignore[attr-defined]
        digest.update(view[:n])
    fh.seek(0)
    return digest.hexdigest()


def _temporary(folder: Path) -> tuple[int, str]:
    """A new temporary file in ``folder``, made (with its parents) only when it is missing: a folder is looked
    for again each time, never remembered, so one removed meanwhile (a purge, a restore) is made again."""
    try:
        return tempfile.mkstemp(dir=folder, prefix=".tmp-")
    except FileNotFoundError:
        folder.mkdir(parents=True, exist_ok=True)
        return tempfile.mkstemp(dir=folder, prefix=".tmp-")


class PendingBlob:
    """A document being written (see :meth:`BlobStore.pending`); ``file`` is readable and writable."""

    def __init__(self, store: BlobStore, file: BinaryIO, tmp: Path) -> None:
        self.file = file
        self._store = store
        self._tmp = tmp
        self.digest: str | None = None

    def commit(self, *, durable: bool = True) -> str:
        """Hash what was written, move it into place and return its SHA-256 (hex)."""
        digest = file_sha256(self.file)
        self._store._adopt(self.file, self._tmp, digest, durable=durable)
        self.digest = digest
        return digest


class BlobStore:
    """Stores documents by their SHA-256."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, digest: str) -> Path:
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise NotFoundError("文件不存在。", "No such document.", code="document_not_found")
        return self.root / digest[:2] / f"{digest}.pdf"

    def _adopt(self, file: BinaryIO, tmp: Path, digest: str, *, durable: bool) -> None:
        """Keep the written temporary file ``tmp`` as the document ``digest`` (a subclass may store it elsewhere)."""
        if durable:
            file.flush()
            os.fsync(file.fileno())
        path = self._path(digest)
        try:
            os.replace(tmp, path)  # the same content already stored is simply replaced by itself
        except FileNotFoundError:  # the folder first (asked only when missing: it is there for all but the first)
            path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, path)

    def put(self, data: bytes, *, durable: bool = True) -> str:
        """Store ``data``; returns its SHA-256 (hex). ``durable`` forces it to disk before returning
        (stamped outputs); a submitted input can be uploaded again, so it skips the flush."""
        digest = hashlib.sha256(data).hexdigest()
        path = self._path(digest)
        if path.exists():
            return digest
        fd, tmp = _temporary(path.parent)
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

    @contextmanager
    def pending(self) -> Iterator[PendingBlob]:
        """A temporary file in the store to write a document into, without holding it in memory.

        :meth:`PendingBlob.commit` stores it under its hash; without a commit, or when the block
        fails, the temporary file is removed.
        """
        fd, tmp = _temporary(self.root)
        try:
            with os.fdopen(fd, "w+b") as fh:
                yield PendingBlob(self, fh, Path(tmp))
        finally:
            Path(tmp).unlink(missing_ok=True)

    def path(self, digest: str) -> Path:
        """Where the stored document is (to stream it); NotFoundError when absent or past retention."""
        path = self._path(digest)
        if not path.exists():
            raise self._missing()
        return path

    def get(self, digest: str) -> bytes:
        """The stored document; NotFoundError when absent or past retention."""
        try:
            return self._path(digest).read_bytes()
        except FileNotFoundError:
            raise self._missing() from None

    @staticmethod
    def _missing() -> NotFoundError:
        return NotFoundError(
            "文件不存在或已超过保存期限（登记台账仍保留其哈希值）。",
            "The document is not stored (or past retention); the register keeps its hash.",
            code="document_not_found",
        )

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

    def purge_stale_temp(self, *, at: dt.datetime, older_than: dt.timedelta = STALE_TEMP_AFTER) -> int:
        """Delete the temporary files a crash left (not written since ``at - older_than`` and not open
        in a live process); returns the count."""
        cutoff = at - older_than
        old: list[Path] = []
        for path in [*self.root.glob(".tmp-*"), *self.root.glob("??/.tmp-*")]:
            try:
                if dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC) < cutoff:
                    old.append(path)
            except FileNotFoundError:  # renamed into place meanwhile
                continue
        if not old:
            return 0
        held = _open_files()
        removed = 0
        for path in old:
            if str(path.resolve()) in held:
                continue
            path.unlink(missing_ok=True)
            removed += 1
        return removed


def _open_files() -> set[str]:
    """Paths open in any process of this machine that we may look at (Linux ``/proc``; elsewhere an
    empty set, and the age alone decides)."""
    held: set[str] = set()
    proc = Path("/proc")
    if not proc.is_dir():
        return held
    for pid in proc.iterdir():
        if not pid.name.isdigit():
            continue
        try:
            fds = list((pid / "fd").iterdir())
        except OSError:  # gone, or not ours to look at
            continue
        for fd in fds:
            try:
                held.add(os.readlink(fd))
            except OSError:
                continue
    return held
