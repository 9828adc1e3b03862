"""``esign witness``: run the witness side for a county department (c2sp.org/tlog-witness).

The witness has a directory of its own (:mod:`esign.ledger.witness_home`); its key passphrase comes
from ``ESIGN_WITNESS_PASSPHRASE`` and has no default. A refused checkpoint is an error message in
red and a non-zero exit (``add``, ``fetch``), and a log line at ERROR level (``serve``).
"""

from __future__ import annotations

import base64
import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from esign.cli.common import JsonOpt, console, now, print_json
from esign.errors import ConfigError

if TYPE_CHECKING:
    from esign.ledger import Witness

__all__ = ["app", "register"]

app = typer.Typer(
    name="witness",
    help="见证人：联署县级台账检查点 / a witness cosigning the county's checkpoints",
    no_args_is_help=True,
)

DirArg = Annotated[Path, typer.Argument(help="见证人目录 / the witness directory")]


def _passphrase() -> bytes:
    value = os.environ.get("ESIGN_WITNESS_PASSPHRASE", "")
    if not value:
        raise ConfigError(
            "请设置见证人密钥口令 ESIGN_WITNESS_PASSPHRASE", "set ESIGN_WITNESS_PASSPHRASE", code="no_passphrase"
        )
    return value.encode()


def _open(directory: Path) -> Witness:
    from esign.ledger import open_witness

    return open_witness(directory, passphrase=_passphrase())


@app.command()
def init(
    directory: DirArg,
    name: Annotated[str, typer.Option(help="见证人名称（无协议的 URL）/ witness name, a schema-less URL")],
) -> None:
    """新建见证人密钥与存储 / create the witness key and store; prints its vkey."""
    from esign.ledger import init_witness

    verifier = init_witness(directory, name, passphrase=_passphrase())
    typer.echo(verifier.vkey)


@app.command()
def watch(
    directory: DirArg,
    vkey: Annotated[str, typer.Argument(help="日志公钥（name+hash+key）或其文件 / the log's vkey, or a file")],
) -> None:
    """开始见证一个日志 / watch the log with this note key."""
    text = Path(vkey).read_text(encoding="utf-8").strip() if Path(vkey).is_file() else vkey
    origin = _open(directory).store.watch(text)
    console.print(f"[green]开始见证[/] watching {origin}")


@app.command()
def status(directory: DirArg, as_json: JsonOpt = False) -> None:
    """见证状态 / what the witness remembers, and what it refused."""
    w = _open(directory)
    states = w.store.states()
    refusals = w.store.refusals()
    if as_json:
        print_json(
            {
                "logs": [{"origin": s.origin, "size": s.size, "updated_at": s.updated_at} for s in states],
                "refusals": [{"origin": o, "status": c, "reason": r} for o, c, r in refusals],
            }
        )
        return
    for s in states:
        console.print(f"{s.origin}  size {s.size}  root {base64.b64encode(s.root_hash).decode()}  {s.updated_at}")
    for o, c, r in refusals:
        console.print(f"[red]拒绝[/] refused {o} HTTP {c}: {r}")


@app.command()
def add(directory: DirArg, request: Annotated[Path, typer.Argument(help="add-checkpoint 请求体文件")]) -> None:
    """处理一个 add-checkpoint 请求 / handle one add-checkpoint request body; prints the cosignature."""
    typer.echo(_open(directory).add_checkpoint(request.read_bytes(), at=now()).decode(), nl=False)


@app.command()
def fetch(directory: DirArg, log: Annotated[str, typer.Argument(help="县级服务地址 / the county service URL")]) -> None:
    """从县级服务取最新检查点与一致性证明并联署 / fetch the county's checkpoint with a proof and cosign it."""
    typer.echo(_open(directory).cosign_from(log, at=now()).decode(), nl=False)


@app.command()
def serve(
    directory: DirArg,
    host: Annotated[str, typer.Option(help="监听地址 / bind address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="端口 / port")] = 8100,
) -> None:
    """运行见证人 HTTP 服务（tlog-witness）/ serve POST /add-checkpoint."""
    import uvicorn

    from service.witness_app import create_witness_app

    application = create_witness_app(_open(directory), clock=lambda: dt.datetime.now(dt.UTC))
    uvicorn.run(application, host=host, port=port)


def register(root: typer.Typer) -> None:
    """Add ``esign witness ...`` to the root app."""
    root.add_typer(app, name="witness")
