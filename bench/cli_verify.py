"""4b. The whole ``esign verify FILE`` process against the whole ``pdfsig FILE`` process, interleaved.

What a person at a shell waits for: interpreter start, imports, the verification, the printed report.
Two ways of running ours on the same 1-page B-LT file:

* offline, no data home: ``esign verify FILE --trust root.crt`` in an empty folder, no ``ESIGN_*`` in
  the environment (what a recipient without the county's server runs);
* with the demo home: ``ESIGN_HOME=<county> esign verify FILE`` (the county root from the home, the
  registry and register looked up in its SQLite database).

pdfsig runs as in section 4 (an NSS database trusting the root, ``-no-ocsp``). The target (#21): ours
≤ 10× pdfsig, each way. Children run with byte-code caching on (as an installed package has it), so
the warm-up round compiles what the measured rounds then load.
"""

from __future__ import annotations

import collections
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
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


def _esign_argv() -> list[str]:
    """The installed ``esign`` script beside this interpreter, else ``python -m esign``."""
    script = Path(sys.executable).with_name("esign")
    return [str(script)] if script.exists() else [sys.executable, "-m", "esign"]


def _child_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESIGN_") and k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **extra}


def _runner(
    argv: list[str], *, cwd: Path, env: Mapping[str, str] | None, results: dict[str, str], key: str
) -> Callable[[], None]:
    def call() -> None:
        done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
        first = (done.stdout.strip().splitlines() or ["(no output)"])[0]
        results[key] = f"exit {done.returncode}: {first[:60]}"

    return call


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
    offline_env = _child_env({})
    home_env = _child_env(county.env())
    results: dict[str, str] = {}
    contenders: list[tuple[str, Callable[[], object]]] = [
        (
            OFFLINE,
            _runner(
                [*esign, "verify", str(pdf), "--trust", str(root)],
                cwd=empty,
                env=offline_env,
                results=results,
                key=OFFLINE,
            ),
        ),
        (AT_HOME, _runner([*esign, "verify", str(pdf)], cwd=empty, env=home_env, results=results, key=AT_HOME)),
    ]
    if shutil.which("pdfsig"):
        nss = ["-nssdir", ctx.exports.nssdb, "-nss-pwd", ctx.exports.nss_password, "-no-ocsp"]
        contenders.append(
            (PDFSIG, _runner(["pdfsig", *nss, str(pdf)], cwd=empty, env=None, results=results, key=PDFSIG))
        )

    rounds = ctx.rounds(8, 30)
    ctx.progress(f"verify-cli: {len(contenders)} whole processes × {rounds} rounds")
    samples = race(contenders, rounds=rounds, warmup=2 if not ctx.smoke else 1)
    summaries = {name: summarise(s) for name, s in samples.items()}
    base = summaries.get(PDFSIG)

    section = Section(
        f"4b. Whole process: esign verify FILE vs pdfsig FILE, 1-page B-LT, {rounds} rounds",
        ["process", "median", "p10–p90", "÷ pdfsig", "modules imported", "result"],
    )
    profiles = {
        OFFLINE: _import_profile([*esign, "verify", str(pdf), "--trust", str(root)], cwd=empty, env=offline_env),
        AT_HOME: _import_profile([*esign, "verify", str(pdf)], cwd=empty, env=home_env),
    }
    for name, _ in contenders:
        s = summaries[name]
        ratio = s.ratio(base) if base else float("nan")
        modules = str(profiles[name][0]) if name in profiles else "-"
        section.add(
            name,
            fmt_seconds(s.median),
            f"{fmt_seconds(s.p10)} – {fmt_seconds(s.p90)}",
            fmt_ratio(ratio),
            modules,
            results.get(name, "?"),
        )
        if name in profiles and base:
            verdict = "PASS" if ratio <= TARGET else "MISS"
            section.verdicts.append(
                f"{verdict} {name}: {fmt_seconds(s.median)} = {fmt_ratio(ratio)} pdfsig's {fmt_seconds(base.median)} "
                f"(target ≤ {TARGET:.0f}×)"
            )
    if base is None:
        section.notes.append("pdfsig is not installed: no ratio, no verdict.")
    section.notes += [
        "whole processes, started the way a user starts them (the esign script beside this interpreter), "
        "interleaved round by round; byte-code caching on in the children.",
        *(f"{name}: {profile[1]}" for name, profile in profiles.items()),
    ]
    return section
