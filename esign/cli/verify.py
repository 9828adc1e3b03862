"""``esign verify``: is this stamped document genuine and unmodified? Exit code 0 only for TOTAL_PASSED.

What the command loads is what the answer needs: offline (``--offline``, ``--trust`` or no data home)
the verifier and pyHanko's validation, never the database, the signer or the settings machinery; the
deployment and the register lookups only once a home with a county root is found.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from esign.cli.common import HomeOpt, JsonOpt, configure_logging, console, home_dir, now, print_json, settings_for

if TYPE_CHECKING:
    from esign.verify import VerificationReport

__all__ = ["register"]

_COLOR = {"TOTAL_PASSED": "green", "TOTAL_FAILED": "red", "INDETERMINATE": "yellow"}


def verify(
    file: Annotated[Path, typer.Argument(help="待验证的 PDF 或 OFD（按内容识别）", exists=True, dir_okay=False)],
    trust: Annotated[Path | None, typer.Option(help="县级根证书（PEM/DER）；默认取数据目录的 certs/root.crt")] = None,
    offline: Annotated[bool, typer.Option("--offline", help="只用文件内的数据，不查询登记簿和台账")] = False,
    entry: Annotated[str | None, typer.Option(help="登记编号（二维码中的编号）")] = None,
    password: Annotated[
        str | None, typer.Option(help="加密 PDF 的打开密码（空用户密码的文件不需要）/ password of an encrypted PDF")
    ] = None,
    home: HomeOpt = None,
    json_out: JsonOpt = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="显示异常堆栈 / show tracebacks")] = False,
) -> None:
    """验证盖章文件（PDF 或 OFD）/ verify a stamped PDF or OFD (exit 0 only when it passes).

    stderr carries warnings, one line each; the tracebacks pyHanko attaches to them only with --verbose.
    """
    from esign.ofd import is_ofd

    if verbose:
        configure_logging(verbose=True)

    data = file.read_bytes()
    at = now()
    certs_dir = home_dir(home) / "certs"
    if not offline and trust is None and (certs_dir / "root.crt").exists():
        report = _verify_at_home(data, home, at, entry, password)
    elif is_ofd(data):
        report = _verify_ofd_offline(data, trust, certs_dir, at, entry)
    else:
        report = _verify_pdf_offline(data, trust or certs_dir / "root.crt", at, entry, password)
    if json_out:
        print_json(report.to_dict())
    else:
        _print(report)
    raise typer.Exit(0 if report.passed else 1)


def _verify_at_home(
    data: bytes, home: Path | None, at: dt.datetime, entry: str | None, password: str | None
) -> VerificationReport:
    """Against the home's county: its root and CRLs, the seal registry and the usage register."""
    from esign.deployment import Deployment
    from esign.workflow import verify_document

    dep = Deployment.open(settings_for(home))
    try:
        return verify_document(dep, data, at=at, entry_id=entry, password=password)
    finally:
        dep.close()


def _verify_pdf_offline(
    data: bytes, root: Path, at: dt.datetime, entry: str | None, password: str | None
) -> VerificationReport:
    """A PDF against ``root`` (``--trust`` or the home's ``certs/root.crt``) and the ``root.crl`` beside it."""
    from esign.errors import ConfigError
    from esign.verify import verify_pdf

    if not root.exists():
        raise ConfigError(
            "请用 --trust 指定县级根证书。",
            "Give the county root certificate with --trust.",
            code="no_trust_anchor",
        )
    root_crl = root.with_name("root.crl")
    crls = [root_crl.read_bytes()] if root_crl.exists() else []
    return verify_pdf(data, trust_roots=root.read_bytes(), at=at, crls=crls, entry_id=entry, password=password)


def _verify_ofd_offline(
    data: bytes, trust: Path | None, certs_dir: Path, at: dt.datetime, entry: str | None
) -> VerificationReport:
    """An OFD against an SM2 root: ``--trust`` (its first certificate the root, any others intermediates)
    or the home's ``certs/sm2/root.crt``; ``issuing.crt`` and ``root.crl`` beside it are used too."""
    from esign.errors import ConfigError
    from esign.ofd import verify_ofd
    from esign.pki import SM2_DIR
    from esign.ses import SesTrust, crl_lookup, load_sm2_certificates

    root = trust or certs_dir / SM2_DIR / "root.crt"
    if not root.exists():
        raise ConfigError(
            "请用 --trust 指定县级 SM2 根证书（OFD 的国标电子签章用 SM2 证书体系）。",
            "Give the county SM2 root certificate with --trust (OFD seals use the SM2 hierarchy).",
            code="no_trust_anchor",
        )
    certs = [c.der for c in load_sm2_certificates(root.read_bytes())]
    issuing = root.with_name("issuing.crt")
    middle = certs[1:] + ([c.der for c in load_sm2_certificates(issuing.read_bytes())] if issuing.exists() else [])
    crl = root.with_name("root.crl")
    crls = [crl.read_bytes()] if crl.exists() else []
    ses_trust = SesTrust.of(certs[:1], middle, crl_lookup(crls) if crls else None)
    return verify_ofd(data, trust=ses_trust, at=at, entry_id=entry)


def _print(report: VerificationReport) -> None:
    from rich.markup import escape
    from rich.table import Table

    color = _COLOR.get(report.indication.value, "white")
    sub = f" / {report.subindication.value}" if report.subindication else ""
    console.print(f"[bold {color}]{report.indication.value}{sub}[/]")
    console.print(f"[{color}]{escape(report.conclusion_zh)}[/]\n{escape(report.conclusion_en)}")
    for sig in report.signatures:
        table = Table(title=f"签章 #{sig.index + 1}: {sig.field_name}", show_header=False)
        table.add_column("项目")
        table.add_column("内容")
        signer = sig.signer
        sub = f" / {sig.subindication.value}" if sig.subindication else ""
        rows = [
            ("结论 indication", f"{sig.indication.value}{sub}"),
            ("印章 seal", signer.common_name if signer else "-"),
            ("单位 organisation", f"{signer.organization} ({signer.organization_identifier})" if signer else "-"),
            ("证书序列号 serial", signer.serial_hex if signer else "-"),
            ("可信签章时间 trusted time", str(sig.trusted_signing_time or "-")),
            ("级别 level", sig.level.value if sig.level else "-"),
            ("签后改动 changes", sig.changes.category.value if sig.changes else "-"),
        ]
        if sig.seal is not None:
            rows.insert(1, ("国标印章 GB/T 38540", f"{sig.seal.name}（{sig.seal.es_id}）"))
        for key, value in rows:
            table.add_row(key, escape(value or "-"))
        console.print(table)
        for f in sig.reasons:
            console.print(f"  [red]✗[/] {escape(f.message_zh)}")
        for change in sig.changes.other[:20]:
            console.print(f"  [red]△[/] {escape(change.detail)}")
    led = report.ledger
    if led.cosignatures is not None and led.witnesses:
        ok = "[green]已见证[/]" if led.witnessed else "[red]见证不足[/]"
        console.print(
            f"台账 ledger: {ok} 检查点由 {led.cosignatures}/{led.witnesses} 个见证人联署（要求 {led.witness_quorum}）"
            f" / checkpoint cosigned by {led.cosignatures} of {led.witnesses} witnesses (policy {led.witness_quorum})"
        )
    for cond in report.conditions:
        console.print(escape(f"  {cond.number}. [{cond.state.value}] {cond.text_zh}  ({cond.evidence_zh})"))


def register(app: typer.Typer) -> None:
    app.command()(verify)
