"""Content-addressed document storage: atomic writes, dedupe, retention."""

from __future__ import annotations

import datetime as dt
import hashlib
import os

import pytest

from esign.errors import NotFoundError
from esign.workflow.blobs import BlobStore


def test_put_is_content_addressed_and_idempotent(tmp_path):
    store = BlobStore(tmp_path)
    digest = store.put(b"%PDF-1.7 one")
    assert digest == hashlib.sha256(b"%PDF-1.7 one").hexdigest()
    assert store.put(b"%PDF-1.7 one") == digest and store.get(digest) == b"%PDF-1.7 one"
    assert not list(tmp_path.rglob(".tmp-*")), "no temporary file may be left behind"


def test_bad_digests_and_missing_files_are_not_found(tmp_path):
    store = BlobStore(tmp_path)
    for digest in ("../../etc/passwd", "ab" * 32):
        with pytest.raises(NotFoundError):
            store.get(digest)


def test_retention_keeps_what_is_still_needed(tmp_path):
    store = BlobStore(tmp_path)
    old, kept, fresh = store.put(b"old"), store.put(b"kept"), store.put(b"fresh")
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(days=400)).timestamp()
    for digest in (old, kept):
        os.utime(store._path(digest), (past, past))
    removed = store.purge_older_than(dt.datetime.now(dt.UTC) - dt.timedelta(days=365), keep={kept})
    assert removed == 1 and not store.exists(old) and store.exists(kept) and store.exists(fresh)


def test_pending_documents_are_stored_by_hash_only_when_committed(tmp_path):
    store = BlobStore(tmp_path)
    with store.pending() as out:
        out.file.write(b"%PDF-1.7 streamed")
        digest = out.commit()
    assert digest == hashlib.sha256(b"%PDF-1.7 streamed").hexdigest()
    assert store.path(digest).read_bytes() == b"%PDF-1.7 streamed"
    with store.pending() as out:
        out.file.write(b"%PDF-1.7 abandoned")
    with pytest.raises(ValueError), store.pending() as out:
        out.file.write(b"%PDF-1.7 half")
        raise ValueError("signing failed")
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [f"{digest}.pdf"]


def test_retention_also_clears_files_a_crash_left_half_written(tmp_path):
    store = BlobStore(tmp_path)
    kept = store.put(b"kept")
    stale, fresh = tmp_path / ".tmp-crashed", tmp_path / ".tmp-writing-now"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"half")
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).timestamp()
    os.utime(stale, (past, past))
    store.purge_older_than(dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    assert not stale.exists() and fresh.exists() and store.exists(kept)
