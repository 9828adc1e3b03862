"""The README's Quick start, run as written on a fresh demo home: every command must succeed.

The commands are read from README.md itself (the ``bash`` block under "## Quick start"), so the
README cannot drift from what works. They run in a fresh folder that is the data home (as after
``bash dev.sh serve`` in a fresh clone: ``esign serve --demo`` creates the demo county, then stops)
with the clone's ``samples/`` beside them; ``source .venv/bin/activate`` is this test's own
environment. Nothing is written into the repository.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from service.live import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def quick_start_commands() -> list[str]:
    """The Quick start's commands, continuation lines joined, comments and blank lines dropped."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Quick start") :]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block is not None, "the Quick start has no bash block"
    commands: list[str] = []
    pending = ""
    for raw in block.group(1).splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        line = re.sub(r"\s{2,}#.*$", "", line)  # a comment after the command, set off by spaces
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        commands.append((pending + line).strip())
        pending = ""
    return commands


def test_the_quick_start_is_read_from_the_readme():
    commands = quick_start_commands()
    assert commands[0] == "source .venv/bin/activate"
    assert any(c.startswith("esign stamp-batch samples/decisions") for c in commands)
    assert all("\\" not in c for c in commands)


def test_the_quick_start_succeeds_as_written(tmp_path):
    home = tmp_path / "clone"
    home.mkdir()
    (home / "samples").symlink_to(ROOT / "samples")
    bindir = str(Path(sys.executable).parent)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ESIGN_")},
        "PATH": bindir + os.pathsep + os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "COLUMNS": "80",
    }
    # `bash dev.sh serve` once: the demo county is created, the service answers, then it is stopped.
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "esign", "serve", "--demo", "--port", str(port)],
        cwd=home,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, server.communicate()[0]
            time.sleep(0.3)
        else:
            pytest.fail("esign serve --demo did not answer")
    finally:
        server.terminate()
        out = server.communicate(timeout=30)[0]
    assert "县审批局管理员" in out  # the demo tokens were printed once

    for command in quick_start_commands():
        if command == "source .venv/bin/activate":
            continue
        done = subprocess.run(["bash", "-c", command], cwd=home, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        if command.startswith("esign stamp-batch"):
            assert "0 失败" in done.stdout and "…" not in done.stdout, done.stdout
            assert len(list((home / "out").glob("*.pdf"))) == len(list((ROOT / "samples" / "decisions").glob("*.pdf")))
        if command == "esign verify stamped.pdf":
            assert "TOTAL_PASSED" in done.stdout or "有效" in done.stdout, done.stdout
