"""A cluster on this machine: N ``esign serve`` hosts in their own network namespaces behind HAProxy.

For the failover test, the bench and ``bash dev.sh cluster``. Each host runs in a network namespace
``esign-<tag>-hN`` joined to the root namespace by a veth pair with addresses of our own choosing
(``10.213.K.1`` root side, ``10.213.K.2`` the host; K per run and host). Nothing leaves this machine:
the only addresses used are those, and 127.0.0.1.

PostgreSQL listens on 127.0.0.1:5432 of the root namespace, which a namespace cannot reach (its
loopback is its own). The same HAProxy that balances HTTP therefore also forwards TCP from each
veth's root side (``10.213.K.1:5432``) to ``127.0.0.1:5432``; in a real deployment the hosts
reach the database server directly. The hosts share one data home (the shared keys folder: the
encrypted keys and the certificates, read-only for the hosts) and keep documents in the database
(``ESIGN_DOCUMENT_STORE=database``); each has its own cache folder. Without the right to create
namespaces (not root, or a container without ``CAP_NET_ADMIN``) the hosts listen on loopback ports
in the root namespace instead (``netns=False``), which the caller reports.

HAProxy: ``balance roundrobin``, health checks on ``/healthz`` every second with 3 s to answer (a
host busy stamping is slow, not dead), a connection error in live traffic marking a host down at
once (``observe layer4 error-limit 1 on-error mark-down``), and ``retry-on conn-failure
empty-response`` with ``option redispatch`` and ``option http-buffer-request``: a request whose
connection failed before anything was sent goes to the other host; a request the dead host had
already received is answered 502/503 and is the client's to retry with its ``Idempotency-Key``.
(HAProxy 2.6 configuration manual: ``retry-on``, ``option redispatch``, ``option httpchk``.)
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

__all__ = ["Cluster", "Host", "can_use_netns", "cluster"]

PG_ADMIN = os.environ.get("ESIGN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
_REPO = Path(__file__).resolve().parents[2]


@dataclass
class Host:
    """One ``esign serve`` process."""

    name: str
    url: str
    proc: subprocess.Popen[bytes]
    log: Path
    netns: str | None

    def kill(self) -> None:
        """``kill -9``: no shutdown, no lease released, whatever it was doing cut short."""
        with suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)


@dataclass
class Cluster:
    """The running cluster: the balancer's URL, the hosts, and how to reach the shared state."""

    url: str
    hosts: list[Host]
    home: Path
    db_url: str
    """The database as the root namespace reaches it (for checks and ``esign ledger verify``)."""
    netns: bool
    tokens: dict[str, str]
    """Demo account name -> bearer token."""
    env: dict[str, str] = field(default_factory=dict)
    """The ESIGN_* settings every host has (the database URL being the one it reaches)."""
    admin: Path = Path()
    """HAProxy's runtime API socket."""

    def balancer(self, command: str) -> str:
        """A command to HAProxy's runtime API (``show stat``, ``disable server hosts/h2`` ...); its answer."""
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(self.admin))
            s.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def server_status(self, name: str) -> str:
        """HAProxy's view of a host: ``UP``, ``DOWN``, ``MAINT`` ..."""
        for line in self.balancer("show stat").splitlines():
            cells = line.split(",")
            if len(cells) > 17 and cells[0] == "hosts" and cells[1] == name:
                return cells[17]
        return "unknown"

    def cli_env(self) -> dict[str, str]:
        """Environment for ``esign`` commands run on this machine against the cluster's state."""
        return {**os.environ, **self.env, "ESIGN_DATABASE_URL": self.db_url, "ESIGN_HOME": str(self.home)}


def can_use_netns() -> bool:
    """Whether this process may create network namespaces (root with CAP_NET_ADMIN and ``ip``)."""
    if os.geteuid() != 0 or shutil.which("ip") is None:
        return False
    probe = f"esign-probe-{secrets.token_hex(3)}"
    ok = subprocess.run(["ip", "netns", "add", probe], capture_output=True).returncode == 0
    if ok:
        subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return ok


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ip(*args: str, netns: str | None = None) -> None:
    cmd = ["ip", "netns", "exec", netns, "ip", *args] if netns else ["ip", *args]
    subprocess.run(cmd, check=True, capture_output=True)


def _haproxy_config(port: int, backends: list[str], pg_binds: list[str], pg_port: int, admin: Path) -> str:
    servers = "\n".join(f"    server h{i} {b} check" for i, b in enumerate(backends, 1))
    pg = ""
    if pg_binds:
        binds = "\n".join(f"    bind {b}:5432" for b in pg_binds)
        pg = f"""
listen postgresql
    mode tcp
    timeout client 1h
    timeout server 1h
{binds}
    server pg 127.0.0.1:{pg_port}
"""
    return f"""global
    maxconn 512
    tune.bufsize 262144
    stats socket {admin} mode 600 level admin

defaults
    mode http
    timeout connect 2s
    timeout client 120s
    timeout server 120s
    timeout http-request 30s
    option redispatch
    option forwardfor
    option http-buffer-request
    retries 2
    retry-on conn-failure empty-response

frontend esign
    bind 127.0.0.1:{port}
    default_backend hosts

backend hosts
    balance roundrobin
    option httpchk GET /healthz
    timeout check 3s
    default-server inter 1s fastinter 200ms downinter 1s fall 2 rise 2 observe layer4 error-limit 1 on-error mark-down
{servers}
{pg}"""


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with suppress(httpx.HTTPError):
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not start:\n{log.read_text(errors='replace')[-4000:]}")
        time.sleep(0.2)


@contextmanager
def cluster(
    n: int = 2, *, netns: bool | None = None, extra_env: dict[str, str] | None = None, workdir: Path | None = None
) -> Iterator[Cluster]:
    """Start a demo county on ``n`` hosts behind HAProxy, on a fresh PostgreSQL schema; tear it all down after."""
    from esign.config import Settings
    from esign.deployment import Deployment
    from esign.setup import create_demo

    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(haproxy).exists():
        raise RuntimeError("haproxy is not installed (bash dev.sh installs it)")
    use_netns = can_use_netns() if netns is None else netns
    tag = secrets.token_hex(2)
    subnet = 1 + int(tag, 16) % 200  # 10.213.<subnet + i>.0/30 for host i
    base = Path(workdir or tempfile.mkdtemp(prefix=f"esign-cluster-{tag}-"))
    home = base / "home"
    schema = f"cluster_{tag}"
    admin = create_engine(PG_ADMIN)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    root_db = f"{PG_ADMIN}?options=-csearch_path%3D{schema}"
    pg_port = int(admin.url.port or 5432)
    namespaces: list[str] = []
    hosts: list[Host] = []
    balancer: subprocess.Popen[bytes] | None = None
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "ESIGN_HOME": str(home),
        "ESIGN_DOCUMENT_STORE": "database",
        "ESIGN_PUBLIC_BASE_URL": url,
        "ESIGN_CHECKPOINT_INTERVAL": "1",
        "ESIGN_FEED_INTERVAL": "1",
        "ESIGN_BATCH_LEASE_SECONDS": "15",
        **(extra_env or {}),
    }
    try:
        settings = Settings(home=home, database_url=root_db, public_base_url=url, document_store="database")
        dep = Deployment.open(settings)
        rows = create_demo(dep, at=dt.datetime.now(dt.UTC)) or []
        dep.close()
        tokens = {user: token for user, _role, _township, token in rows}
        plans: list[tuple[str, str | None, str, str]] = []  # name, netns, listen address, database URL
        for i in range(1, n + 1):
            if use_netns:
                ns, k = f"esign-{tag}-h{i}", subnet + i
                outer, inner = f"es{tag}r{i}", f"es{tag}n{i}"
                subprocess.run(["ip", "netns", "add", ns], check=True, capture_output=True)
                namespaces.append(ns)
                _ip("link", "add", outer, "type", "veth", "peer", "name", inner)
                _ip("link", "set", inner, "netns", ns)
                _ip("addr", "add", f"10.213.{k}.1/30", "dev", outer)
                _ip("link", "set", outer, "up")
                _ip("addr", "add", f"10.213.{k}.2/30", "dev", inner, netns=ns)
                _ip("link", "set", inner, "up", netns=ns)
                _ip("link", "set", "lo", "up", netns=ns)
                db = root_db.replace("@127.0.0.1:", f"@10.213.{k}.1:").replace(f":{pg_port}/", ":5432/")
                plans.append((f"h{i}", ns, f"10.213.{k}.2:8000", db))
            else:
                plans.append((f"h{i}", None, f"127.0.0.1:{_free_port()}", root_db))
        config = base / "haproxy.cfg"
        pg_binds = [p[3].split("@")[1].split(":")[0] for p in plans] if use_netns else []
        config.write_text(_haproxy_config(port, [p[2] for p in plans], pg_binds, pg_port, base / "haproxy.sock"))
        hap_log = base / "haproxy.log"
        with hap_log.open("wb") as out:
            balancer = subprocess.Popen([haproxy, "-db", "-f", str(config)], stdout=out, stderr=subprocess.STDOUT)
        for name, netns_name, listen, db in plans:
            address, lport = listen.rsplit(":", 1)
            log = base / f"{name}.log"
            cmd = [sys.executable, "-m", "esign", "serve", "--host", address, "--port", lport]
            if netns_name:
                cmd = ["ip", "netns", "exec", netns_name, *cmd]
            host_env = {
                **os.environ,
                **env,
                "ESIGN_DATABASE_URL": db,
                "ESIGN_DOCUMENTS_DIR": str(base / f"cache-{name}"),
                # uvicorn trusts X-Forwarded-For from the balancer: the public rate limit counts clients
                "FORWARDED_ALLOW_IPS": db.split("@")[1].split(":")[0] if netns_name else "127.0.0.1",
                "PYTHONPATH": os.pathsep.join(filter(None, [str(_REPO), os.environ.get("PYTHONPATH")])),
            }
            with log.open("wb") as out:
                proc = subprocess.Popen(cmd, env=host_env, stdout=out, stderr=subprocess.STDOUT, cwd=base)
            hosts.append(Host(name, f"http://{listen}", proc, log, netns_name))
        for host in hosts:
            _wait_healthy(host.url, host.proc, host.log)
        _wait_healthy(url, balancer, hap_log)
        yield Cluster(url, hosts, home, root_db, use_netns, tokens, env, base / "haproxy.sock")
    finally:
        for host in hosts:
            if host.proc.poll() is None:
                host.proc.terminate()
                try:
                    host.proc.wait(15)
                except subprocess.TimeoutExpired:
                    host.kill()
        if balancer is not None:
            balancer.terminate()
            balancer.wait(10)
        for ns in namespaces:  # deleting a namespace removes its veth end, and so the pair
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
        if workdir is None:
            shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    """``bash dev.sh cluster [N]``: run N hosts (default 2) behind HAProxy until Ctrl-C."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    with cluster(n) as c:
        where = "network namespaces" if c.netns else "loopback ports (no network namespaces here)"
        print(f"esign cluster: {n} hosts in {where} behind HAProxy at {c.url}")
        for host in c.hosts:
            print(f"  {host.name} {host.url} (pid {host.proc.pid}, log {host.log})")
        print(f"  data home (shared keys folder) {c.home}; database {c.db_url}")
        for user in ("克城镇窗口", "克城镇批准人"):
            print(f"  token {user}: {c.tokens.get(user, '?')}")
        print("Ctrl-C stops it and removes the namespaces and the database schema.")
        with suppress(KeyboardInterrupt):
            while all(h.proc.poll() is None for h in c.hosts):
                time.sleep(1)


if __name__ == "__main__":
    main()
