"""``esign ses verify FILE.esl``: is this GB/T 38540 seal (电子印章数据) genuine, trusted and in force?
Given a signature (SES_Signature, e.g. an OFD's SignedValue.dat) and ``--data``, the same for it.

Exit code 0 only for TOTAL_PASSED, 1 otherwise; bad options are usage errors (2) and unreadable trust
files input errors (2), never a traceback. ``--trust`` names the SM2 root the maker certificate must
chain to (the county's SM2 root); ``--intermediate`` and ``--crl`` complete the path and its status.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from esign.cli.common import HomeOpt, JsonOpt, console, now, open_deployment, print_json, print_uncut, settings_for

if TYPE_CHECKING:
    from esign.verify import VerificationReport

__all__ = ["register"]

app = typer.Typer(name="ses", help="国标电子印章（GB/T 38540）/ national-standard seal data.", no_args_is_help=True)

_COLOR = {"TOTAL_PASSED": "green", "TOTAL_FAILED": "red", "INDETERMINATE": "yellow"}
_BEIJING = dt.timezone(dt.timedelta(hours=8))


def _bj(value: dt.datetime | None) -> str:
    return "-" if value is None else value.astimezone(_BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def _read_certs(paths: list[Path], what: str) -> list[bytes]:
    from esign.errors import InputError
    from esign.ses import load_sm2_certificates

    out: list[bytes] = []
    for path in paths:
        try:
            out.extend(c.der for c in load_sm2_certificates(path.read_bytes()))
        except (InputError, ValueError) as e:
            raise InputError(
                f"无法读取{what}“{path}”：不是 SM2 证书。",
                f"Cannot read {what} {path}: not an SM2 certificate.",
                code="bad_trust_roots",
            ) from e
    return out


@app.command("verify")
def verify(
    file: Annotated[
        Path, typer.Argument(help="电子印章数据文件（.esl，DER 编码的 SES_Seal）", exists=True, dir_okay=False)
    ],
    trust: Annotated[
        list[Path] | None,
        typer.Option(
            "--trust", help="SM2 根证书（PEM/DER，可多次给出）；默认取数据目录的 certs/sm2/root.crt", exists=True
        ),
    ] = None,
    intermediate: Annotated[
        list[Path] | None, typer.Option("--intermediate", help="中间证书（签发 CA），可多次给出", exists=True)
    ] = None,
    crl: Annotated[
        list[Path] | None, typer.Option("--crl", help="SM2 证书吊销列表（DER），可多次给出", exists=True)
    ] = None,
    at: Annotated[
        dt.datetime | None, typer.Option("--at", help="核验时间（ISO 8601，默认现在；无时区按北京时间）")
    ] = None,
    home: HomeOpt = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data", help="FILE 为电子签章数据（SES_Signature）时：被保护的原文（如 Signature.xml）", exists=True
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """验证国标电子印章数据或电子签章数据 / verify GB/T 38540 seal data, or a signature (SES_Signature)
    with --data (exit 0 only when it passes)."""
    from esign.ses import SesTrust, crl_lookup, verify_seal

    when = now() if at is None else (at if at.tzinfo else at.replace(tzinfo=_BEIJING)).astimezone(dt.UTC)
    crls = [p.read_bytes() for p in crl or []]
    if trust:
        roots = _read_certs(trust, "信任根证书")
        middle = _read_certs(intermediate or [], "中间证书")
    else:
        roots, middle, home_crls = _home_trust(home, when)
        middle += _read_certs(intermediate or [], "中间证书")
        crls += home_crls
    ses_trust = SesTrust.of(roots, middle, crl_lookup(crls) if crls else None)
    content = file.read_bytes()
    if _is_signature(content):
        from esign.ses import verify_signature

        protected = None if data is None else data.read_bytes()
        report = verify_signature(content, ses_trust, at=when, data=protected)
    else:
        report = verify_seal(content, ses_trust, at=when)
    if json_out:
        print_json(report.to_dict())
    else:
        _print(report)
    raise typer.Exit(0 if report.passed else 1)


def _is_signature(content: bytes) -> bool:
    """Whether ``content`` reads as an SES_Signature (its first element is a TBS_Sign, not a SES_SealInfo)."""
    from esign.ses import SesFormatError, parse_signature

    try:
        parse_signature(content)
    except SesFormatError:
        return False
    return True


def _home_trust(home: Path | None, when: dt.datetime) -> tuple[list[bytes], list[bytes], list[bytes]]:
    """The home's SM2 root and issuing CA, the root's CRL and the issuing CA's current CRL."""
    from esign.deployment import Deployment
    from esign.errors import ConfigError
    from esign.pki import county_sm2_trust

    if not Deployment(settings_for(home)).has_sm2_pki:
        raise ConfigError(
            "请用 --trust 指定 SM2 根证书（数据目录中没有县级 SM2 证书体系）。",
            "Give the SM2 root certificate with --trust (this home has no SM2 hierarchy).",
            code="no_trust_anchor",
        )
    dep = open_deployment(home)
    try:
        trust = county_sm2_trust(dep.sm2_pki, dep.settings.certs_dir, at=when, transaction=dep.transaction)
    finally:
        dep.close()
    return list(trust.roots), list(trust.intermediates), list(trust.crls)


def _print(report: VerificationReport) -> None:
    color = _COLOR.get(report.indication.value, "white")
    sub = f" / {report.subindication.value}" if report.subindication else ""
    console.print(f"[bold {color}]{report.indication.value}{sub}[/]")
    console.print(f"[{color}]{escape(report.conclusion_zh)}[/]\n{escape(report.conclusion_en)}")
    for problem in report.problems:
        console.print(f"  [red]✗[/] {escape(problem.message_zh)}")
    for sig in report.signatures:
        seal = sig.seal
        table = Table(title="电子印章数据 / seal data", show_header=False)
        table.add_column("项目")
        table.add_column("内容")
        if seal is not None:
            maker = seal.maker
            rows = [
                ("印章名称 name", seal.name),
                ("印章编码 esID", seal.es_id),
                ("印章类型 type", {1: "1 单位印章", 2: "2 个人印章"}.get(seal.seal_type, str(seal.seal_type))),
                ("厂商标识 vid", seal.vid),
                ("制作时间 created", _bj(seal.create_date)),
                ("有效期 validity", f"{_bj(seal.valid_start)} 至 {_bj(seal.valid_end)}（北京时间）"),
                ("图像 picture", f"{seal.picture_type}，{seal.picture_mm[0]}×{seal.picture_mm[1]} 毫米"),
                ("制章者 maker", maker.subject if maker else "-"),
                ("制章者证书有效期", f"{_bj(maker.not_before)} 至 {_bj(maker.not_after)}" if maker else "-"),
                ("证书链 chain", " ← ".join(seal.maker_chain) or "（未找到签发者）"),
                ("制章者签名 maker signature", "有效 valid" if seal.maker_signature_valid else "无效 INVALID"),
            ]
            for key, value in rows:
                table.add_row(key, escape(value))
        print_uncut(table)
        if sig.field_name and not sig.field_name.startswith("esID:"):
            signer = sig.signer.subject if sig.signer else "-"
            when = (
                _bj(sig.trusted_signing_time)
                if sig.trusted_signing_time
                else f"{_bj(sig.claimed_signing_time)}（自报）"
            )
            console.print(escape(f"  签章者 signer: {signer}；保护对象 {sig.field_name}；签章时间 {when}（北京时间）"))
            intact = {True: "一致", False: "不一致", None: "未核对"}[sig.intact]
            console.print(escape(f"  签名值: {'有效' if sig.crypto_valid else '无效'}；原文杂凑值: {intact}"))
        for f in sig.reasons:
            console.print(f"  [red]✗[/] {escape(f.message_zh)}")
        for f in sig.warnings:
            console.print(f"  [yellow]![/] {escape(f.message_zh)}")
    for cond in report.conditions:
        console.print(escape(f"  {cond.number}. [{cond.state.value}] {cond.text_zh}（{cond.evidence_zh}）"))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="ses")
