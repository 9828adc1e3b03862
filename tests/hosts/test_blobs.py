"""Content-addressed document storage: atomic writes, dedupe, retention."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import signal
import subprocess
import sys

import pytest

from esign.errors import NotFoundError
from esign.hosts import BlobStore


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


def test_folders_are_made_when_missing_even_after_they_were_there(tmp_path, monkeypatch):
    """Folders are made only when a write finds them missing (no mkdir per document), and never remembered:
    a store whose folders were removed after its first documents (a purge, a restore) writes again."""
    root = tmp_path / "documents"
    store = BlobStore(root)
    first = store.put(b"%PDF-1.7 first")
    with store.pending() as out:
        out.file.write(b"%PDF-1.7 second")
        second = out.commit()
    made: list[object] = []
    mkdir = type(root).mkdir
    monkeypatch.setattr(type(root), "mkdir", lambda self, *a, **k: (made.append(self), mkdir(self, *a, **k))[1])
    with store.pending() as out:  # every folder is there: none is made
        out.file.write(b"%PDF-1.7 second")
        assert out.commit() == second
    # another document in the folder of the first one
    candidates = (b"%%PDF-1.7 %d" % i for i in range(100_000))
    third = next(d for d in candidates if hashlib.sha256(d).hexdigest()[:2] == first[:2])
    assert store.put(third) and made == []
    for digest in (first, second):
        shutil.rmtree(store._path(digest).parent, ignore_errors=True)
    assert store.put(b"%PDF-1.7 first") == first and store.get(first) == b"%PDF-1.7 first"
    with store.pending() as out:
        out.file.write(b"%PDF-1.7 second")
        assert out.commit() == second
    assert store.get(second) == b"%PDF-1.7 second"
    shutil.rmtree(root)
    with store.pending() as out:
        out.file.write(b"%PDF-1.7 second")
        assert out.commit() == second
    assert store.get(second) == b"%PDF-1.7 second" and store.put(b"%PDF-1.7 first") == first
    assert not list(root.rglob(".tmp-*")) and len(made) >= 4


def _age(path, *, hours: float) -> None:
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours)).timestamp()
    os.utime(path, (past, past))


def test_temporary_files_a_crash_left_are_purged_but_not_those_being_written(tmp_path):
    store = BlobStore(tmp_path)
    kept = store.put(b"kept")
    (tmp_path / "ab").mkdir()
    stale, stale_nested, fresh = tmp_path / ".tmp-crashed", tmp_path / "ab" / ".tmp-crashed", tmp_path / ".tmp-now"
    for path in (stale, stale_nested, fresh):
        path.write_bytes(b"half")
    _age(stale, hours=2)
    _age(stale_nested, hours=2)
    assert store.purge_stale_temp(at=dt.datetime.now(dt.UTC)) == 2
    assert not stale.exists() and not stale_nested.exists() and fresh.exists() and store.exists(kept)


_WRITER = """
import sys, time
from pathlib import Path
from esign.hosts import BlobStore
with BlobStore(Path(sys.argv[1])).pending() as out:
    out.file.write(b"%PDF-1.7 being signed")
    out.file.flush()
    print("writing", flush=True)
    time.sleep(600)
"""


def test_a_writer_killed_with_sigkill_leaves_a_file_that_is_purged_once_no_process_holds_it(tmp_path):
    """A real leftover: a process writing a document is killed with SIGKILL. While it lives its old
    temporary file is kept (another worker sharing the home may be writing it); once dead it goes."""
    store = BlobStore(tmp_path)
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
        (leftover,) = tmp_path.glob(".tmp-*")
        _age(leftover, hours=2)
        assert store.purge_stale_temp(at=dt.datetime.now(dt.UTC)) == 0 and leftover.exists()
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
    assert leftover.exists(), "SIGKILL runs no cleanup: the file is left over"
    assert store.purge_stale_temp(at=dt.datetime.now(dt.UTC)) == 1 and not leftover.exists()
