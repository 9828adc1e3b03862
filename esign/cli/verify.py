"""``esign verify``: is this stamped document genuine and unmodified? Exit code 0 only for TOTAL_PASSED."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from esign.cli.common import HomeOpt, JsonOpt, configure_logging, console, now, print_json, settings_for
from esign.verify.report import VerificationReport

__all__ = ["register"]

_COLOR = {"TOTAL_PASSED": "green", "TOTAL_FAILED": "red", "INDETERMINATE": "yellow"}


def verify(
    file: Annotated[Path, typer.Argument(help="待验证的 PDF", exists=True, dir_okay=False)],
    trust: Annotated[Path | None, typer.Option(help="县级根证书（PEM/DER）；默认取数据目录的 certs/root.crt")] = None,
    offline: Annotated[bool, typer.Option("--offline", help="只用文件内的数据，不查询登记簿和台账")] = False,
    entry: Annotated[str | None, typer.Option(help="登记编号（二维码中的编号）")] = None,
    home: HomeOpt = None,
    json_out: JsonOpt = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="显示异常堆栈 / show tracebacks")] = False,
) -> None:
    """验证盖章文件 / verify a stamped PDF (exit 0 only when it passes).

    stderr carries warnings, one line each; the tracebacks pyHanko attaches to them only with --verbose.
    """
    from esign.verify import verify_pdf

    if verbose:
        configure_logging(verbose=True)

    data = file.read_bytes()
    at = now()
    settings = settings_for(home)
    use_home = not offline and trust is None and (settings.certs_dir / "root.crt").exists()
    if use_home:
        from esign.deployment import Deployment
        from esign.workflow.verification import verify_document

        dep = Deployment.open(settings)
        try:
            report = verify_document(dep, data, at=at, entry_id=entry)
        finally:
            dep.close()
    else:
        root = trust or settings.certs_dir / "root.crt"
        if not root.exists():
            from esign.errors import ConfigError

            raise ConfigError(
                "请用 --trust 指定县级根证书。",
                "Give the county root certificate with --trust.",
                code="no_trust_anchor",
            )
        crls = []
        root_crl = root.with_name("root.crl")
        if root_crl.exists():
            crls.append(root_crl.read_bytes())
        report = verify_pdf(data, trust_roots=root.read_bytes(), at=at, crls=crls, entry_id=entry)
    if json_out:
        print_json(report.to_dict())
    else:
        _print(report)
    raise typer.Exit(0 if report.passed else 1)


def _print(report: VerificationReport) -> None:
    color = _COLOR.get(report.indication.value, "white")
    sub = f" / {report.subindication.value}" if report.subindication else ""
    console.print(f"[bold {color}]{report.indication.value}{sub}[/]")
    console.print(f"[{color}]{report.conclusion_zh}[/]\n{report.conclusion_en}")
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
        for key, value in rows:
            table.add_row(key, value)
        console.print(table)
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
