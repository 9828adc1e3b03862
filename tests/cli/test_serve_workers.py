"""``esign serve --workers N``: a listening socket per worker (``SO_REUSEPORT``), so that a burst of
connections is spread over the workers by the kernel instead of going to whichever wakes first; the
parent starts a worker again when one dies and stops them all on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import httpx

from esign.config import Settings
from esign.deployment import Deployment
from service.live import live_server


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _sockets(pid: int) -> set[int]:
    """Inodes of the sockets process ``pid`` has open."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes


def _tcp(port: int) -> tuple[set[int], set[int]]:
    """Inodes of the listening and of the established server-side sockets on ``port`` (IPv4)."""
    listening, established = set(), set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port, state, inode = int(fields[1].split(":")[1], 16), fields[3], int(fields[9])
        if local_port == port:
            (listening if state == "0A" else established if state == "01" else set()).add(inode)
    return listening, established


def _running(pid: int) -> bool:
    """Whether process ``pid`` is still there, and not a zombie left for init to reap."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_each_worker_listens_on_its_own_socket_and_a_burst_reaches_them_all(tmp_path):
    Deployment.open(Settings(home=tmp_path)).close()
    with live_server(tmp_path, workers=2) as server:
        port = int(server.base.rsplit(":", 1)[1])
        workers = _children(server.process.pid)
        listening, _ = _tcp(port)
        per_worker = {pid: _sockets(pid) & listening for pid in workers}
        owners = {pid for pid, socks in per_worker.items() if socks}
        assert len(listening) == 2 and len(owners) == 2  # two listening sockets, one in each of two workers
        assert not _sockets(server.process.pid) & listening  # the parent only supervises
        for pid in workers:  # one document in work at a time in each (Settings.work_threads)
            assert b"ESIGN_WORK_THREADS=1" in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")

        conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(24)]  # a burst, kept open
        try:
            for c in conns:
                c.sendall(f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
            for c in conns:
                assert c.recv(65536).startswith(b"HTTP/1.1 200")
            _, established = _tcp(port)
            served = {pid: len(_sockets(pid) & established) for pid in owners}
            assert sum(served.values()) == 24
            assert all(n > 0 for n in served.values()), served  # all 24 on one worker: 2 in 2**24
        finally:
            for c in conns:
                c.close()

        victim = min(owners)
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            now = _children(server.process.pid)
            if victim not in now and len({p for p in now if _sockets(p) & _tcp(port)[0]}) == 2:
                break
            time.sleep(0.2)
        else:
            raise AssertionError("the killed worker was not replaced")
        assert httpx.get(f"{server.base}/healthz").status_code == 200
        last = {p for p in _children(server.process.pid) if _sockets(p) & _tcp(port)[0]}  # the workers
    # live_server sent SIGTERM to the parent, which waited for its workers to finish
    assert server.process.returncode == 0
    assert not [pid for pid in last if _running(pid)]


def test_the_workers_end_when_their_supervisor_is_killed(tmp_path):
    Deployment.open(Settings(home=tmp_path)).close()
    with live_server(tmp_path, workers=2) as server:
        workers = _children(server.process.pid)
        assert len([p for p in workers if _running(p)]) >= 2
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait()
        deadline = time.monotonic() + 30
        while any(_running(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [p for p in workers if _running(p)]  # none serves on alone
