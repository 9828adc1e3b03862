"""The service in a child process: ``esign serve`` on a loopback port, for the tests and benchmarks
that need a real server and real clients (and for smoke checks of a checkout).

The child runs the code this module was imported from (its folder leads ``PYTHONPATH`` and is the
child's working directory, which ``python -m`` puts first on the path). Its output goes to a file,
never a pipe: under load the access log would fill an unread pipe and stall the server. The port
may be picked before the server starts (:func:`free_port`), as it must be when a county's
certificates are to name the server that answers their OCSP, CRL and TSA requests.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

__all__ = ["LiveServer", "free_port", "live_server"]

_CODE = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class LiveServer:
    """A running ``esign serve``."""

    base: str
    """Its base URL, ``http://127.0.0.1:PORT``."""
    process: subprocess.Popen[bytes]
    """The ``esign serve`` process; with several workers, they are its children."""
    log: Path
    """The file its output goes to."""


@contextmanager
def live_server(
    home: Path | None = None,
    *,
    port: int | None = None,
    env: Mapping[str, str] | None = None,
    workers: int = 1,
    log: Path | None = None,
    start_timeout: float = 60.0,
) -> Iterator[LiveServer]:
    """Run ``esign serve`` on ``127.0.0.1:port`` (default a free port) until the block ends.

    ``home`` is passed as ``--home`` (else ``env`` names it, ``ESIGN_HOME``); ``env`` is added to
    this process's environment, after ``ESIGN_PUBLIC_BASE_URL`` set to the server's own address.
    The output goes to ``log`` (appended, kept) or to a temporary file removed afterwards. Yields
    once ``/healthz`` answers (and, with several workers, a second later, when all have started);
    raises :class:`RuntimeError` with the end of the log if the server does not start.
    """
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    path = [str(_CODE), *filter(None, [os.environ.get("PYTHONPATH")])]
    environ = {**os.environ, "ESIGN_PUBLIC_BASE_URL": base, **(env or {}), "PYTHONPATH": os.pathsep.join(path)}
    cmd = [sys.executable, "-m", "esign", "serve", "--port", str(port), "--workers", str(workers)]
    if home is not None:
        cmd += ["--home", str(home)]
    temporary = log is None
    if log is None:
        with tempfile.NamedTemporaryFile(prefix="esign-serve-", suffix=".log", delete=False) as fh:
            log = Path(fh.name)
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, env=environ, stdout=out, stderr=subprocess.STDOUT, cwd=_CODE)
    try:
        _wait_healthy(base, proc, log, start_timeout)
        if workers > 1:
            time.sleep(1.0)  # the first worker answered; let the others finish starting
        yield LiveServer(base, proc, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if temporary:
            log.unlink(missing_ok=True)


def _wait_healthy(base: str, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"esign serve did not start; the end of {log}:\n{tail}")
        time.sleep(0.2)
