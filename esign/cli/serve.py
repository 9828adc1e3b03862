"""``esign serve``: run the HTTP service with uvicorn."""

from __future__ import annotations

import errno
import os
import socket
import sys
from typing import Annotated

import typer

from esign.addresses import serve_warnings
from esign.cli.common import HomeOpt, console, settings_for
from esign.errors import ConfigError

__all__ = ["register"]


def serve(
    home: HomeOpt = None,
    host: Annotated[str, typer.Option(help="监听地址（0.0.0.0 对局域网开放）/ bind address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="端口 / port", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="工作进程数 / worker processes")] = 1,
    demo: Annotated[
        bool, typer.Option("--demo", help="先创建演示县（已存在则不变）/ create the demo county first")
    ] = False,
) -> None:
    """运行服务 / run the service (uvicorn)."""
    import uvicorn

    from esign.pki import published_base_url

    settings = settings_for(home)
    _check_free(host, port)
    if demo and "ESIGN_PUBLIC_BASE_URL" not in os.environ and published_base_url(settings.certs_dir) is None:
        # A new demo county is served where it is created: its certificates and QR codes name this port.
        local = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - comparing, not binding
        local = f"[{local}]" if ":" in local else local
        os.environ["ESIGN_PUBLIC_BASE_URL"] = f"http://{local}:{port}"
        settings = settings.model_copy(update={"public_base_url": os.environ["ESIGN_PUBLIC_BASE_URL"]})
    if demo:
        from esign.cli.county import ensure_demo

        ensure_demo(settings)
    # Workers are separate processes: hand the settings over through the environment.
    os.environ["ESIGN_HOME"] = str(settings.home.resolve())
    if workers > 1 and not settings.work_threads:  # one document at a time in each (see Settings.work_threads)
        os.environ["ESIGN_WORK_THREADS"] = "1"
    console.print(f"esign 服务启动 / serving on http://{host}:{port}  (数据目录 home: {settings.home.resolve()})")
    console.print(f"公共地址 public base URL: {settings.base_url}")
    published = published_base_url(settings.certs_dir)
    for zh, en in serve_warnings(base_url=settings.base_url, certificate_base_url=published, host=host, port=port):
        console.print(f"[bold yellow]警告 warning[/]: {zh}\n  {en}", soft_wrap=True)
    if workers > 1 and sys.platform == "linux":  # a socket per worker: Linux spreads connections over them
        from esign.cli.workers import serve_workers

        raise typer.Exit(serve_workers("service.app:app_from_env", host=host, port=port, workers=workers))
    uvicorn.run("service.app:app_from_env", factory=True, host=host, port=port, workers=workers)


def _check_free(host: str, port: int) -> None:
    """Refuse, in one clear sentence, to start on an address another program already listens on
    (uvicorn would print the banner and then an ``Errno 98`` log line)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ConfigError(
            f"无法解析监听地址 {host}。", f"Cannot resolve the bind address {host!r}.", code="bad_bind_address"
        ) from exc
    family, _type, _proto, _name, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: TIME_WAIT is no conflict
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigError(
                    f"端口 {port} 已被占用（{host}:{port}），可能服务已在运行；请用 --port 换一个端口。",
                    f"Port {port} on {host} is already in use (is esign already running?); choose another with --port.",
                    code="port_in_use",
                ) from exc
            raise ConfigError(
                f"无法监听 {host}:{port}：{exc.strerror}。",
                f"Cannot listen on {host}:{port}: {exc.strerror}.",
                code="bind_failed",
            ) from exc


def register(app: typer.Typer) -> None:
    app.command()(serve)
