"""``esign verify``: is each stamped document genuine and unmodified? Exit code 0 only for TOTAL_PASSED.

What the command loads is what the answer needs: offline (``--offline``, ``--trust`` or no data home)
the verifier and pyHanko's validation, never the database, the signer or the settings machinery; the
deployment and the register lookups only once a home with a county root is found.

Several files are verified in one process (the start-up is paid once), with the same options, the same
validation time and, at home, the same opened deployment. With one file the output is exactly that of
the single-file command. With several: each file's verdict under a header with its name (``--json``: an
array of the reports, each with its ``file``), a file that cannot be read or verified gets its own error
and the others still run, then a one-line summary; the exit code is the highest any file gives alone
(0 only when every file passed).
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from esign.cli.common import (
    HomeOpt,
    JsonOpt,
    configure_logging,
    console,
    err_console,
    home_dir,
    now,
    print_json,
    settings_for,
)

if TYPE_CHECKING:
    from esign.errors import EsignError
    from esign.verify import VerificationReport

__all__ = ["register"]

_COLOR = {"TOTAL_PASSED": "green", "TOTAL_FAILED": "red", "INDETERMINATE": "yellow"}
#: Progress on stderr (a terminal only) from this many files on.
_PROGRESS_FROM = 5

Check = Callable[[bytes], "VerificationReport"]


def _unusable(path: Path) -> str | None:
    """Why ``path`` cannot be verified, in the words typer uses for ``exists=True, dir_okay=False``."""
    loc = repr(typer.format_filename(path))
    try:
        st = os.stat(path)
    except OSError:
        return f"file {loc} does not exist."
    if stat.S_ISDIR(st.st_mode):
        return f"file {loc} is a directory."
    if not os.access(path, os.R_OK):
        return f"file {loc} is not readable."
    return None


def _one_file_exists(value: list[Path]) -> list[Path]:
    """One file: a file that cannot be read is a usage error, as it always was. Several: each file's own error."""
    if len(value) == 1 and (problem := _unusable(value[0])):
        raise typer.BadParameter(problem, param_hint="'file'")
    return value


def verify(
    file: Annotated[
        list[Path],
        typer.Argument(
            help="待验证的 PDF 或 OFD（按内容识别），可给多个 / one or more PDF or OFD files",
            metavar="FILE...",
            callback=_one_file_exists,
        ),
    ],
    trust: Annotated[Path | None, typer.Option(help="县级根证书（PEM/DER）；默认取数据目录的 certs/root.crt")] = None,
    offline: Annotated[bool, typer.Option("--offline", help="只用文件内的数据，不查询登记簿和台账")] = False,
    entry: Annotated[str | None, typer.Option(help="登记编号（二维码中的编号；只用于单个文件）")] = None,
    password: Annotated[
        str | None, typer.Option(help="加密 PDF 的打开密码（空用户密码的文件不需要）/ password of an encrypted PDF")
    ] = None,
    home: HomeOpt = None,
    json_out: JsonOpt = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="显示异常堆栈 / show tracebacks")] = False,
) -> None:
    """验证盖章文件（PDF 或 OFD）/ verify a stamped PDF or OFD (exit 0 only when it passes).

    Several files are verified in one process: a report per file, a summary, exit 0 only when all pass.
    stderr carries warnings, one line each; the tracebacks pyHanko attaches to them only with --verbose.
    """
    if entry is not None and len(file) > 1:
        raise typer.BadParameter("只能用于单个文件 / only with a single file", param_hint="'--entry'")
    if verbose:
        configure_logging(verbose=True)

    at = now()
    with _checker(home=home, trust=trust, offline=offline, at=at, entry=entry, password=password) as check:
        if len(file) > 1:
            raise typer.Exit(_verify_many(file, check, json_out=json_out))
        report = check(file[0].read_bytes())
    if json_out:
        print_json(report.to_dict())
    else:
        _print(report)
    raise typer.Exit(0 if report.passed else 1)


@contextmanager
def _checker(
    *, home: Path | None, trust: Path | None, offline: bool, at: dt.datetime, entry: str | None, password: str | None
) -> Iterator[Check]:
    """The one engine every file of the run goes through: the home's county (its deployment opened once)
    when there is one and neither ``--offline`` nor ``--trust`` is given, else the files' own data
    against the root given or found."""
    certs_dir = home_dir(home) / "certs"
    if not offline and trust is None and (certs_dir / "root.crt").exists():
        from esign.deployment import Deployment
        from esign.workflow import verify_document

        dep = Deployment.open(settings_for(home))
        try:
            yield lambda data: verify_document(dep, data, at=at, entry_id=entry, password=password)
        finally:
            dep.close()
        return
    from esign.ofd import is_ofd

    def offline_check(data: bytes) -> VerificationReport:
        if is_ofd(data):
            return _verify_ofd_offline(data, trust, certs_dir, at, entry)
        return _verify_pdf_offline(data, trust or certs_dir / "root.crt", at, entry, password)

    yield offline_check


def _verify_many(files: list[Path], check: Check, *, json_out: bool) -> int:
    """Verify each file in turn; print each verdict (or error), then the summary. Returns the exit code:
    the highest that any file gives on its own."""
    from esign.cli.main import error_markup, exit_code
    from esign.errors import EsignError

    outcomes: list[tuple[Path, VerificationReport | EsignError]] = []
    with _progress(len(files)) as advance:
        for path in files:
            advance(path)
            try:
                outcome: VerificationReport | EsignError = check(_read(path))
            except EsignError as exc:
                outcome = exc
            outcomes.append((path, outcome))
            if not json_out:
                _print_one(path, outcome, error_markup)
    codes = [exit_code(o) if isinstance(o, EsignError) else 0 if o.passed else 1 for _, o in outcomes]
    if json_out:
        print_json([_file_dict(path, outcome) for path, outcome in outcomes])
    else:
        console.print(_summary(codes, [isinstance(o, EsignError) for _, o in outcomes]), soft_wrap=True)
    return max(codes)


def _read(path: Path) -> bytes:
    """The file's bytes, or an :class:`~esign.errors.InputError` that says why not (for this file only)."""
    from esign.errors import InputError

    if not path.exists():
        raise InputError("文件不存在。", "The file does not exist.", code="file_not_found")
    if path.is_dir():
        raise InputError("这是一个目录，不是文件。", "This is a directory, not a file.", code="not_a_file")
    try:
        return path.read_bytes()
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise InputError(
            f"无法读取该文件（{why}）。", f"Cannot read the file ({why}).", code="unreadable_file"
        ) from exc


def _print_one(path: Path, outcome: VerificationReport | EsignError, error_markup: Callable[[Any], str]) -> None:
    from rich.markup import escape

    from esign.errors import EsignError

    console.rule(f"[bold]{escape(str(path))}[/]", align="left")
    if isinstance(outcome, EsignError):
        console.print(error_markup(outcome))
    else:
        _print(outcome)


def _file_dict(path: Path, outcome: VerificationReport | EsignError) -> dict[str, Any]:
    from esign.errors import EsignError

    if isinstance(outcome, EsignError):
        return {"file": str(path), "error": outcome.to_dict()}
    return {"file": str(path), **outcome.to_dict()}


def _summary(codes: list[int], errors: list[bool]) -> str:
    """One line: how many files, passed, not passed, not verified at all; Chinese then English."""
    total, passed, failed_to_run = len(codes), codes.count(0), sum(errors)
    not_passed = total - passed - failed_to_run
    zh = f"{total} 份文件：{passed} 份通过，{not_passed} 份未通过"
    en = f"{total} files: {passed} passed, {not_passed} not passed"
    if failed_to_run:
        zh += f"，{failed_to_run} 份无法验证"
        en += f", {failed_to_run} could not be verified"
    color = "green" if passed == total else "red"
    return f"[bold {color}]{zh}[/] / {en}"


@contextmanager
def _progress(total: int) -> Iterator[Callable[[Path], None]]:
    """A progress bar on stderr for a long run at a terminal; otherwise nothing. The verdicts on stdout
    go above the bar only when stdout is that terminal too (never into stderr when stdout is a file)."""
    if total < _PROGRESS_FROM or not err_console.is_terminal:
        yield lambda _path: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("验证 / verifying"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
    )
    with Progress(*columns, console=err_console, transient=True, redirect_stdout=console.is_terminal) as bar:
        task = bar.add_task("", total=total)
        started = False

        def advance(path: Path) -> None:
            nonlocal started
            bar.update(task, advance=1 if started else 0, description=path.name)
            started = True

        yield advance
        bar.update(task, completed=total)


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
