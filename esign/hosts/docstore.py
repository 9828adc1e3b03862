"""Documents kept in the database, in chunked rows, behind the :class:`~esign.hosts.blobs.BlobStore` interface.

With several hosts on one PostgreSQL no host may keep a document another needs, so the stored PDFs
go into the database (``ESIGN_DOCUMENT_STORE=auto``, the default, does so on PostgreSQL; ``folder``
keeps them in ``ESIGN_DOCUMENTS_DIR``, which may be a shared folder). A document is written as rows
of :data:`CHUNK` bytes (``document_chunks``) under one ``stored_documents`` row, in one transaction:
a host killed while writing leaves nothing behind. Reading goes one chunk per query into a local
cache file, so neither direction holds a whole document in memory, and the file interface
(:meth:`DbBlobStore.path`, :meth:`DbBlobStore.pending`) stays what the signing code streams from.

Chunked ``bytea`` rows rather than PostgreSQL large objects (``lo_*``): rows are removed with the
document (large objects need ``lo_unlink``/``vacuumlo``, or they are orphans), travel with a dump of
the schema and with esign's own backup, need no driver-specific API and work on SQLite too (tests run
both). The bench (``bench/hosts.py``) measures writing and reading through both against the folder.
The local cache (the documents folder) is only a cache: a document purged or discarded in the
database is not served from it (:meth:`DbBlobStore.path` asks the database first).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from sqlalchemy import Engine, Executable, Row, Table, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from esign.db import one_statement_read, session_scope
from esign.hosts.blobs import BlobStore, file_sha256
from esign.hosts.models import DocumentChunkRow, StoredDocumentRow

if TYPE_CHECKING:
    from esign.deployment import Deployment

__all__ = ["CHUNK", "DbBlobStore", "store_for"]

#: Bytes per chunk row: large enough that a 50 MB document is 50 rows, small enough to stream.
CHUNK = 1024 * 1024

_DOCUMENTS = cast(Table, StoredDocumentRow.__table__)
_CHUNKS = cast(Table, DocumentChunkRow.__table__)
# Prebuilt Core statements: a stamp on PostgreSQL stores two documents and reads one back.
_SELECT_DOCUMENT = select(_DOCUMENTS.c.sha256, _DOCUMENTS.c.chunks).where(_DOCUMENTS.c.sha256 == bindparam("d"))
_SELECT_CHUNK = select(_CHUNKS.c.data).where(_CHUNKS.c.sha256 == bindparam("d"), _CHUNKS.c.seq == bindparam("seq"))
_INSERT_CHUNK = _CHUNKS.insert()


def store_for(dep: Deployment) -> BlobStore:
    """The document store the settings ask for (``auto``: the database on PostgreSQL, else the folder)."""
    mode = dep.settings.document_store
    if mode == "auto":
        mode = "database" if dep.engine.dialect.name == "postgresql" else "folder"
    folder = dep.settings.documents_dir or dep.settings.home / "documents"
    return DbBlobStore(dep.sessions, folder) if mode == "database" else BlobStore(folder)


class DbBlobStore(BlobStore):
    """Documents in ``stored_documents``/``document_chunks``; ``root`` is the local cache and temp folder."""

    def __init__(self, sessions: sessionmaker[Session], cache: Path, *, chunk: int = CHUNK) -> None:
        super().__init__(cache)
        self._sessions, self._chunk = sessions, chunk

    def _read(self, stmt: Executable, params: dict[str, Any]) -> Row[Any] | None:
        """The first row of a one-statement read (:func:`esign.db.one_statement_read`)."""
        engine: Engine = self._sessions.kw["bind"]
        with one_statement_read(engine) as conn:
            return conn.execute(stmt, params).first()

    def _adopt(self, file: BinaryIO, tmp: Path, digest: str, *, durable: bool) -> None:
        self._save(digest, file)
        path = self._path(digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, path)  # kept as the cache copy

    def put(self, data: bytes, *, durable: bool = True) -> str:
        digest = hashlib.sha256(data).hexdigest()
        self._save(digest, io.BytesIO(data))
        super().put(data, durable=False)  # the cache copy, as _adopt keeps one: stamping reads it next
        return digest

    def _save(self, digest: str, fh: BinaryIO) -> None:
        """Write the document's rows in one transaction (nothing when it is already stored)."""
        size = fh.seek(0, os.SEEK_END)
        fh.seek(0)
        count = max(1, -(-size // self._chunk))
        with session_scope(self._sessions) as session:
            ins = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
            row = {"sha256": digest, "size": size, "chunks": count, "stored_at": dt.datetime.now(dt.UTC)}
            # Another host storing the same bytes at once: PostgreSQL waits for its commit, then does nothing.
            stmt = ins(StoredDocumentRow).values(row).on_conflict_do_nothing().returning(StoredDocumentRow.sha256)
            if session.execute(stmt).scalar_one_or_none() is None:
                return
            conn = session.connection()
            for seq in range(count):  # one chunk in memory at a time
                conn.execute(_INSERT_CHUNK, {"sha256": digest, "seq": seq, "data": fh.read(self._chunk)})
        fh.seek(0)

    def _row(self, digest: str) -> Row[Any] | None:
        """The document's row (its ``sha256`` and ``chunks``), None when it is not stored."""
        self._path(digest)  # a malformed digest is "not found"
        return self._read(_SELECT_DOCUMENT, {"d": digest})

    def path(self, digest: str) -> Path:
        row = self._row(digest)
        path = self._path(digest)
        if row is None:
            path.unlink(missing_ok=True)  # a stale cache copy of a purged document
            raise self._missing()
        if not path.exists():
            self._materialize(row, path)
        return path

    def _materialize(self, row: Row[Any], path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "w+b") as fh:
                for seq in range(row.chunks):
                    chunk = self._read(_SELECT_CHUNK, {"d": row.sha256, "seq": seq})
                    if chunk is None:
                        raise self._missing()
                    fh.write(chunk.data)
                if file_sha256(fh) != row.sha256:
                    raise self._missing()
            os.replace(tmp, path)
        finally:
            Path(tmp).unlink(missing_ok=True)

    def get(self, digest: str) -> bytes:
        return self.path(digest).read_bytes()

    def exists(self, digest: str) -> bool:
        return self._row(digest) is not None

    def discard(self, digest: str) -> None:
        self._path(digest).unlink(missing_ok=True)
        with session_scope(self._sessions) as session:
            session.execute(delete(DocumentChunkRow).where(DocumentChunkRow.sha256 == digest))
            session.execute(delete(StoredDocumentRow).where(StoredDocumentRow.sha256 == digest))

    def purge_older_than(self, cutoff: dt.datetime, *, keep: frozenset[str] | set[str] = frozenset()) -> int:
        with session_scope(self._sessions) as session:
            old = set(session.scalars(select(StoredDocumentRow.sha256).where(StoredDocumentRow.stored_at < cutoff)))
        old -= set(keep)
        for digest in old:
            self.discard(digest)
        super().purge_older_than(cutoff, keep=keep)  # old cache copies
        return len(old)
