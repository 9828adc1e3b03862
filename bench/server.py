"""``esign serve`` on a port chosen in advance, its log in a file.

Like ``tests/livesrv.live_server``, with two differences a benchmark needs: the port is known
before the county is created (its certificates must point at the server that answers OCSP, CRL
and TSA requests), and the server's output goes to a file, since under load the access log
would fill an unread pipe and stall the server.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.livesrv import free_port

__all__ = ["REPO", "free_port", "serve"]

REPO = Path(__file__).resolve().parent.parent


@contextmanager
def serve(
    port: int, env: dict[str, str], *, workers: int = 1, log: Path, pids: list[int] | None = None
) -> Iterator[str]:
    """Run ``esign serve`` on ``127.0.0.1:port`` with ``env`` added; yields the base URL. The server's
    process id is appended to ``pids`` when given (for its figures in /proc)."""
    base = f"http://127.0.0.1:{port}"
    environ = {**os.environ, "PYTHONPATH": str(REPO), **env}
    cmd = [sys.executable, "-m", "esign", "serve", "--port", str(port), "--workers", str(workers)]
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, env=environ, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)
    if pids is not None:
        pids.append(proc.pid)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"esign serve did not start; see {log}:\n{log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)
        if workers > 1:
            time.sleep(1.0)  # let every worker finish its start-up before measuring
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
