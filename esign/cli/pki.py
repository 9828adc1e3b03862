"""``esign pki ...``: the county PKI's upgrade steps (the SM2 hierarchy for an existing home)."""

from __future__ import annotations

import typer

from esign.cli.common import HomeOpt, JsonOpt, console, now, open_deployment, print_json

__all__ = ["register"]

pki_app = typer.Typer(help="县级证书体系 / the county PKI", no_args_is_help=True)


@pki_app.command("sm2-init")
def sm2_init(home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """建立国密 SM2 证书体系并为现有印章签发 SM2 证书和电子印章数据（可重复执行）/ add the SM2 PKI (idempotent)."""
    from esign.setup import init_sm2

    dep = open_deployment(home)
    created, seals = init_sm2(dep, at=now())
    if json_out:
        print_json({"created": created, "seals": seals, "certs": str(dep.settings.certs_dir / "sm2")})
        return
    if created:
        console.print(f"[green]已建立 SM2 证书体系[/] / SM2 PKI created in {dep.settings.certs_dir / 'sm2'}")
    else:
        console.print("SM2 证书体系已存在 / the SM2 PKI exists")
    console.print(f"新签发 SM2 证书的印章 / seals given an SM2 certificate: {', '.join(seals) or '-'}")


def register(app: typer.Typer) -> None:
    app.add_typer(pki_app, name="pki")
