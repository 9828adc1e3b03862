"""A real esign server process on a free loopback port, for tests that use real clients."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

__all__ = ["free_port", "live_server", "live_server_process"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_server(
    home: Path, *, env: dict[str, str] | None = None, workers: int = 1, port: int | None = None
) -> Iterator[str]:
    """Run ``esign serve`` on ``home`` (on ``port``, default a free one); yields the base URL and
    stops the server afterwards."""
    with live_server_process(home, env=env, workers=workers, port=port) as (base, _proc):
        yield base


@contextmanager
def live_server_process(
    home: Path, *, env: dict[str, str] | None = None, workers: int = 1, port: int | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """:func:`live_server`, also yielding the server process (e.g. to read its memory in /proc)."""
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    environ = {**os.environ, "ESIGN_PUBLIC_BASE_URL": base, **(env or {})}
    cmd = [sys.executable, "-m", "esign", "serve", "--home", str(home), "--port", str(port), "--workers", str(workers)]
    # The server's output goes to a file: an unread pipe would fill up and stall the server.
    log = tempfile.NamedTemporaryFile(prefix="esign-serve-", suffix=".log", delete=False)
    proc = subprocess.Popen(cmd, env=environ, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                out = Path(log.name).read_text(errors="replace")
                raise RuntimeError(f"esign serve did not start:\n{out}")
            time.sleep(0.2)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        Path(log.name).unlink(missing_ok=True)
