"""``esign serve``: run the HTTP service with uvicorn."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from esign.cli.common import HomeOpt, console, settings_for

__all__ = ["register"]


def serve(
    home: HomeOpt = None,
    host: Annotated[str, typer.Option(help="监听地址 / bind address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="端口 / port")] = 8000,
    workers: Annotated[int, typer.Option(help="工作进程数 / worker processes")] = 1,
    demo: Annotated[
        bool, typer.Option("--demo", help="先创建演示县（已存在则不变）/ create the demo county first")
    ] = False,
) -> None:
    """运行服务 / run the service (uvicorn)."""
    import uvicorn

    settings = settings_for(home)
    if demo:
        from esign.cli.county import ensure_demo

        ensure_demo(settings)
    # Workers are separate processes: hand the settings over through the environment.
    os.environ["ESIGN_HOME"] = str(settings.home.resolve())
    console.print(f"esign 服务启动 / serving on http://{host}:{port}  (数据目录 home: {settings.home.resolve()})")
    uvicorn.run("service.app:app_from_env", factory=True, host=host, port=port, workers=workers)


def register(app: typer.Typer) -> None:
    app.command()(serve)
