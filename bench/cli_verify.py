"""4b. The whole ``esign verify FILE`` process against the whole ``pdfsig FILE`` process, interleaved.

What a person at a shell waits for: interpreter start, imports, the verification, the printed report.
Two ways of running ours on the same 1-page B-LT file:

* offline, no data home: ``esign verify FILE --trust root.crt`` in an empty folder, no ``ESIGN_*`` in
  the environment (what a recipient without the county's server runs);
* with the demo home: ``ESIGN_HOME=<county> esign verify FILE`` (the county root from the home, the
  registry and register looked up in its SQLite database).

pdfsig runs as in section 4 (an NSS database trusting the root, ``-no-ocsp``). The target (#21): ours
≤ 10× pdfsig, each way. A third row: ``esign verify`` given 20 stamped files in one process against 20
pdfsig processes, per file (what a department checking a folder pays), the same target. Children run
with byte-code caching on (as an installed package has it), so the warm-up round compiles what the
measured rounds then load.
"""

from __future__ import annotations

import collections
import json
import os
import shutil
import statistics
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding

from bench.context import Context
from bench.report import Section
from bench.stats import fmt_ratio, fmt_seconds, race, summarise

__all__ = ["TARGET", "run"]

#: Ours over pdfsig, whole process (#21).
TARGET = 10.0
PDFSIG = "pdfsig FILE (NSS, -no-ocsp)"
OFFLINE = "esign verify FILE --trust root.crt (no home)"
AT_HOME = "esign verify FILE (demo home, SQLite)"
FLOOR = "floor: Python importing the verification libraries only"
#: Packages of the command line (parsing, help, colours), left out of the floor.
CLI_PACKAGES = frozenset(
    {"typer", "click", "rich", "pydantic", "pydantic_core", "annotated_types", "typing_inspection"}
    | {"markdown_it", "mdurl", "pygments", "shellingham"}
)
#: Files in the one-process row.
MANY = 20

#: Run in a child: ``esign verify`` as the script runs it, then print (as JSON) the modules it loaded that
#: are neither ours nor the command line's, in load order.
_LIST_MODULES = """
import json, runpy, sys
skip = {"esign", "__main__", *json.loads(sys.argv.pop())}
sys.argv = ["esign", *sys.argv[1:]]
try:
    runpy.run_module("esign", run_name="__main__")
except SystemExit:
    pass
print(json.dumps([m for m in list(sys.modules) if m.split(".")[0] not in skip]))
"""

#: The floor's child: Python, then each module of the list given as JSON in ``argv[1]``, in that order.
#: ``esign.compat`` (a small module of work-arounds) first, so ``pyhanko.sign`` is the same deferred
#: package the verifier imports rather than pyHanko's whole signing stack.
_IMPORT_MODULES = """
import importlib, json, sys
import esign.compat
esign.compat.defer_pyhanko_signing()
for name in json.loads(sys.argv[1]):
    try:
        importlib.import_module(name)
    except Exception:
        pass
"""


def _esign_argv() -> list[str]:
    """The installed ``esign`` script beside this interpreter, else ``python -m esign``."""
    script = Path(sys.executable).with_name("esign")
    return [str(script)] if script.exists() else [sys.executable, "-m", "esign"]


def _child_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESIGN_") and k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **extra}


class _Process:
    """One contender: runs ``argv`` to the end per call, keeps its CPU time (user + system, from
    ``wait4``) and a one-line result."""

    def __init__(self, argv: list[str], *, cwd: Path, env: Mapping[str, str] | None, last_line: bool = False) -> None:
        self.argv, self.cwd, self.env, self.last_line = argv, cwd, env, last_line
        self.cpu: list[float] = []
        self.result = "?"

    def __call__(self) -> None:
        with subprocess.Popen(
            self.argv, cwd=self.cwd, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        ) as proc:
            out = proc.stdout.read() if proc.stdout else ""
            _pid, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
        self.cpu.append(usage.ru_utime + usage.ru_stime)
        if self.argv[0] == "pdfsig":
            valid = "Signature is Valid" in out and "Certificate is Trusted" in out
            self.result = f"exit {proc.returncode}: " + ("valid, trusted" if valid else "see pdfsig")
        else:
            line = (out.strip().splitlines() or ["(no output)"])[-1 if self.last_line else 0]
            self.result = f"exit {proc.returncode}: " + line[:40]


def _import_profile(argv: list[str], *, cwd: Path, env: Mapping[str, str]) -> tuple[int, str]:
    """Modules imported and the top packages by import self-time, from one ``-X importtime`` run."""
    cmd = (
        [sys.executable, "-X", "importtime", *argv]
        if argv[0] != sys.executable
        else [argv[0], "-X", "importtime", *argv[1:]]
    )
    done = subprocess.run(cmd, cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=300, check=False)
    per_package: collections.Counter[str] = collections.Counter()
    count = 0
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or line.rstrip().endswith("imported package"):
            continue
        self_us, _cumulative, name = line[len("import time:") :].split("|")
        per_package[name.strip().split(".")[0]] += int(self_us)
        count += 1
    total = sum(per_package.values())
    top = ", ".join(f"{name} {us / 1000:.0f} ms" for name, us in per_package.most_common(8))
    return count, f"{total / 1000:.0f} ms importing ({top})"


def run(ctx: Context) -> Section:
    county = ctx.county
    folder = ctx.tmp / "verify-cli"
    empty = folder / "no-home"
    empty.mkdir(parents=True)
    pdf = folder / "stamped.pdf"
    pdf.write_bytes(county.output(county.stamp(ctx.docs.pages[1], level="B-LT")))
    root = folder / "root.crt"
    root.write_bytes(county.root.public_bytes(Encoding.PEM))

    esign = _esign_argv()
    offline_args = ["verify", str(pdf), "--trust", str(root)]
    offline_argv = [*esign, *offline_args]
    home_argv = [*esign, "verify", str(pdf)]
    offline_env, home_env = _child_env({}), _child_env(county.env())
    processes = {
        OFFLINE: _Process(offline_argv, cwd=empty, env=offline_env),
        AT_HOME: _Process(home_argv, cwd=empty, env=home_env),
        FLOOR: _Process(_floor_argv(offline_args, cwd=empty, env=offline_env), cwd=empty, env=offline_env),
    }
    nss: list[str] = []
    if shutil.which("pdfsig"):
        nss = ["-nssdir", ctx.exports.nssdb, "-nss-pwd", ctx.exports.nss_password, "-no-ocsp"]
        processes[PDFSIG] = _Process(["pdfsig", *nss, str(pdf)], cwd=empty, env=None)

    rounds = ctx.rounds(8, 30)
    warmup = 1 if ctx.smoke else 2
    ctx.progress(f"verify-cli: {len(processes)} whole processes × {rounds} rounds")
    samples = race(list(processes.items()), rounds=rounds, warmup=warmup)
    wall = {name: summarise(s) for name, s in samples.items()}
    cpu = {name: summarise(p.cpu[warmup:]) for name, p in processes.items()}
    base, base_cpu = wall.get(PDFSIG), cpu.get(PDFSIG)

    section = Section(
        f"4b. Whole process: esign verify FILE vs pdfsig FILE, 1-page B-LT, {rounds} rounds",
        ["process", "median", "p10–p90", "÷ pdfsig", "CPU median", "CPU ÷ pdfsig", "modules", "result"],
    )
    profiles = {
        OFFLINE: _import_profile(offline_argv, cwd=empty, env=offline_env),
        AT_HOME: _import_profile(home_argv, cwd=empty, env=home_env),
    }
    for name, process in processes.items():
        s, c = wall[name], cpu[name]
        ratio = s.ratio(base) if base else float("nan")
        section.add(
            name,
            fmt_seconds(s.median),
            f"{fmt_seconds(s.p10)} – {fmt_seconds(s.p90)}",
            fmt_ratio(ratio),
            fmt_seconds(c.median),
            fmt_ratio(c.ratio(base_cpu)) if base_cpu else "-",
            str(profiles[name][0]) if name in profiles else "-",
            process.result if name != FLOOR else "(imports only)",
        )
        if name in profiles and base:
            verdict = "PASS" if ratio <= TARGET else "MISS"
            section.verdicts.append(
                f"{verdict} {name}: {fmt_seconds(s.median)} = {fmt_ratio(ratio)} pdfsig's {fmt_seconds(base.median)} "
                f"(target ≤ {TARGET:.0f}×)"
            )
    if base is None:
        section.notes.append("pdfsig is not installed: no ratio, no verdict.")
    else:
        _many_in_one_process(ctx, folder, esign, root, nss, section)
    section.notes += [
        "whole processes, started the way a user starts them (the esign script beside this interpreter), "
        "interleaved round by round; byte-code caching on in the children. The verdict is on wall time; CPU "
        "time (user + system of the process) is the steadier figure on a shared machine.",
        *(f"{name}: {profile[1]}" for name, profile in profiles.items()),
        "the floor row starts Python and imports, in the same order, every module the offline command loaded "
        "except esign's own and the command line's (Typer, Click, Rich, pydantic): pyHanko's validation, "
        "pyhanko-certvalidator, cryptography, asn1crypto and the standard library they use. It verifies nothing "
        "and prints nothing: it is what any verifier built on these libraries pays before its first byte of work"
        + (f", {fmt_ratio(wall[FLOOR].ratio(base))} pdfsig in this run." if base else "."),
    ]
    return section


def _floor_argv(verify_args: list[str], *, cwd: Path, env: Mapping[str, str]) -> list[str]:
    """The floor's command line: the modules ``esign verify`` loads (asked of a child running it) imported
    by a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", _LIST_MODULES, *verify_args, json.dumps(sorted(CLI_PACKAGES))],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    modules = done.stdout.strip().splitlines()[-1]
    return [sys.executable, "-c", _IMPORT_MODULES, modules]


def _many_in_one_process(
    ctx: Context, folder: Path, esign: list[str], root: Path, nss: list[str], section: Section
) -> None:
    """``esign verify`` on :data:`MANY` files in one process against one pdfsig process per file, per file."""
    county = ctx.county
    n = 3 if ctx.smoke else MANY
    many = folder / "many"
    many.mkdir()
    files = []
    for i in range(n):  # each its own signature and time-stamp: no two files share bytes
        path = many / f"stamped-{i:02d}.pdf"
        path.write_bytes(county.output(county.stamp(ctx.docs.pages[1], level="B-LT")))
        files.append(str(path))
    ours = _Process([*esign, "verify", *files, "--trust", str(root)], cwd=many, env=_child_env({}), last_line=True)
    theirs = [_Process(["pdfsig", *nss, f], cwd=many, env=None) for f in files]

    def pdfsig_each() -> None:
        for process in theirs:
            process()

    rounds = ctx.rounds(3, 8)
    ctx.progress(f"verify-cli: {n} files, one esign process vs {n} pdfsig processes × {rounds} rounds")
    samples = race([("ours", ours), ("pdfsig", pdfsig_each)], rounds=rounds, warmup=1)
    mine = summarise([t / n for t in samples["ours"]])
    base = summarise([t / n for t in samples["pdfsig"]])
    ratio = mine.ratio(base)
    name = f"esign verify, {n} files in one process, per file"
    section.add(
        name,
        fmt_seconds(mine.median),
        f"{fmt_seconds(mine.p10)} – {fmt_seconds(mine.p90)}",
        fmt_ratio(ratio),
        fmt_seconds(statistics.median(ours.cpu[1:]) / n),
        "-",
        "-",
        ours.result,
    )
    section.add(
        f"pdfsig FILE, {n} processes, per file",
        fmt_seconds(base.median),
        f"{fmt_seconds(base.p10)} – {fmt_seconds(base.p90)}",
        "1.00×",
        fmt_seconds(statistics.median(c for p in theirs for c in p.cpu[1:])),
        "-",
        "-",
        theirs[-1].result,
    )
    verdict = "PASS" if ratio <= TARGET else "MISS"
    section.verdicts.append(
        f"{verdict} {name}: {fmt_seconds(mine.median)} = {fmt_ratio(ratio)} pdfsig's {fmt_seconds(base.median)} "
        f"per file (target ≤ {TARGET:.0f}×)"
    )
