"""``esign pki ...``: the county PKI's upgrade steps (the SM2 hierarchy for an existing home, the
issuing CA re-issued with its revocation pointers)."""

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


@pki_app.command("reissue-issuing")
def reissue_issuing(home: HomeOpt = None) -> None:
    """重新签发签发CA证书（加入根CA吊销列表和证书地址）/ re-issue the issuing CA certificate with its
    revocation pointers (same key; needs keys/root.key.pem)."""
    from esign.setup import reissue_issuing_ca

    path = reissue_issuing_ca(open_deployment(home), at=now())
    console.print(f"[green]已重新签发[/] issuing CA re-issued: {path}（请重启服务 / restart the service）")


def register(app: typer.Typer) -> None:
    app.add_typer(pki_app, name="pki")
