"""What the service does when a process starts: it clears what a killed predecessor left behind."""

from __future__ import annotations

import datetime as dt
import os

from esign.config import Settings
from esign.deployment import Deployment
from service.app import create_app


def test_start_purges_temporary_files_a_killed_server_left(tmp_path):
    dep = Deployment.open(Settings(home=tmp_path))
    try:
        folder = tmp_path / "documents" / "ab"
        folder.mkdir(parents=True)
        leftover, recent = tmp_path / "documents" / ".tmp-x7k2", folder / ".tmp-being-written"
        leftover.write_bytes(b"%PDF-1.7 " + b"0" * 1_000_000)
        recent.write_bytes(b"%PDF-1.7 partial")
        past = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)).timestamp()
        os.utime(leftover, (past, past))
        create_app(deployment=dep)
        assert not leftover.exists()
        assert recent.exists()  # younger than the stale age: another worker may be writing it
    finally:
        dep.close()
