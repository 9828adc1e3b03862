"""What the service does when a process starts: it clears what a killed predecessor left behind, and
leaves what it holds once ready out of later garbage collections."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from esign.config import Settings
from esign.deployment import Deployment
from service.app import create_app

_CODE = Path(__file__).resolve().parents[2]


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


def test_the_app_factory_leaves_what_the_process_holds_at_start_out_of_later_collections(tmp_path):
    # in a process of its own: freezing is for the whole process, and this one runs the other tests
    code = "import gc; from service.app import app_from_env; app_from_env(); print(gc.get_freeze_count())"
    env = {**os.environ, "ESIGN_HOME": str(tmp_path), "ESIGN_FEED_INTERVAL": "0", "PYTHONPATH": str(_CODE)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, cwd=_CODE)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.split()[-1]) > 100_000  # the modules, the app and its routes
