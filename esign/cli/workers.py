"""Several uvicorn worker processes, each on a listening socket of its own (``SO_REUSEPORT``).

uvicorn's own ``--workers`` binds one socket in the parent and hands it to every worker. On Linux
the workers then race for each new connection, and the race is not fair: a burst of connections
(16 clients connecting together, a balancer opening its pool) is drained by whichever worker's
event loop wakes first, often all of it, and a kept-alive connection stays where it landed. Measured
(bench section 6, 2 workers, 16 clients): 15 and 1 connections, then 16 and 0, so one worker did
the work of two while the other waited. Here every worker binds its own socket with
``SO_REUSEPORT`` and the kernel spreads new connections over the sockets by a hash of their
addresses, whatever the workers are doing; that is what nginx's ``reuseport`` and HAProxy do for
the same reason. Linux only (``esign serve`` uses uvicorn's own workers elsewhere: other systems'
``SO_REUSEPORT`` does not spread connections, or does not exist).

The parent only supervises: it starts the workers, starts a worker again when one dies after it
served, stops them all on SIGINT or SIGTERM, and stops everything when a worker cannot start
(the port is taken, the application does not load: it would fail the same way again). A worker
whose parent dies (even ``kill -9``) is sent SIGTERM by the kernel and ends too. The port is
checked free before (``esign serve``); sockets with ``SO_REUSEPORT`` join only sockets of the same
user that set it too, so another user's program cannot take a share of the connections.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import sys
import time
from multiprocessing.context import SpawnProcess
from types import FrameType

__all__ = ["STARTUP_FAILURE", "listening_socket", "serve_workers"]

#: Exit status of a worker that could not start (uvicorn's own).
STARTUP_FAILURE = 3

_spawn = multiprocessing.get_context("spawn")


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` with ``SO_REUSEPORT`` (not yet listening: uvicorn listens)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def _die_with_parent(parent: int) -> None:
    """Linux: SIGTERM this worker when the supervisor dies, even by SIGKILL, so that no worker serves on
    alone and holds the port (``prctl(PR_SET_PDEATHSIG)``); elsewhere nothing."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it died before the call: the signal will not come
        os.kill(os.getpid(), signal.SIGTERM)


def _worker(app: str, host: str, port: int, parent: int) -> None:
    """One worker: its own socket, then uvicorn on it until SIGINT or SIGTERM."""
    import uvicorn

    _die_with_parent(parent)

    config = uvicorn.Config(app, factory=True, host=host, port=port)
    try:
        sock = listening_socket(host, port)
    except OSError as exc:
        print(f"esign worker {os.getpid()}: cannot bind {host}:{port}: {exc}", file=sys.stderr, flush=True)
        sys.exit(STARTUP_FAILURE)
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    if not server.started:  # the application did not load or its startup failed
        sys.exit(STARTUP_FAILURE)


def serve_workers(app: str, *, host: str, port: int, workers: int) -> int:
    """Run ``workers`` processes of the application factory ``app`` (``module:function``) on
    ``host:port`` until SIGINT or SIGTERM; the exit status (0, or :data:`STARTUP_FAILURE`)."""
    stop: list[int] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.append(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    procs: list[SpawnProcess] = []

    def start() -> SpawnProcess:
        proc = _spawn.Process(target=_worker, args=(app, host, port, os.getpid()), daemon=False)
        proc.start()
        return proc

    status = 0
    try:
        procs = [start() for _ in range(workers)]
        while not stop:
            time.sleep(0.2)
            for i, proc in enumerate(procs):
                if proc.is_alive():
                    continue
                proc.join()
                if proc.exitcode == STARTUP_FAILURE:
                    print(f"esign: worker {proc.pid} could not start; stopping", file=sys.stderr, flush=True)
                    status = STARTUP_FAILURE
                    stop.append(0)
                    break
                print(f"esign: worker {proc.pid} ended (exit {proc.exitcode}); starting another", file=sys.stderr)
                procs[i] = start()
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()  # SIGTERM: uvicorn finishes the requests in progress
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
                proc.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return status
