"""Where the time goes: a cProfile of repeated calls, summarised by area and by function."""

from __future__ import annotations

import cProfile
import pstats
from collections.abc import Callable
from pathlib import Path

__all__ = ["profile_calls"]

_REPO = str(Path(__file__).resolve().parent.parent) + "/"

# (substring of the file path or C-function name, area); first match wins
_AREAS = (
    ("pyhanko_certvalidator", "pyhanko-certvalidator (path building, revocation)"),
    ("/pyhanko/", "pyHanko (PDF writer, CMS, appearance)"),
    ("asn1crypto", "asn1crypto (DER encode/decode)"),
    ("cryptography", "cryptography / OpenSSL"),
    ("_rust", "cryptography / OpenSSL"),
    ("_hashlib", "hashlib"),
    ("sqlalchemy", "SQLAlchemy"),
    ("sqlite3", "sqlite3 / psycopg (database driver)"),
    ("psycopg", "sqlite3 / psycopg (database driver)"),
    ("/esign/stamp/", "esign.stamp (inputs, placement, signing glue)"),
    ("/esign/appearance/", "esign.appearance (seal and QR artwork)"),
    ("/esign/ledger/", "esign.ledger (register append, Merkle)"),
    ("/esign/workflow/", "esign.workflow (rules, blobs, engine)"),
    ("/esign/registry/", "esign.registry (accounts, seals, audit)"),
    ("/esign/pki/", "esign.pki (TSA, OCSP, CRL)"),
    ("/esign/", "esign (other)"),
    ("pypdfium2", "PDFium (text search)"),
    ("fontTools", "fontTools"),
    ("/PIL/", "Pillow"),
    ("qrcode", "QR encoder"),
    ("segno", "QR encoder"),
    ("zlib", "zlib"),
    ("posix", "file I/O (os)"),
    ("io.", "file I/O (os)"),
    ("asyncio", "asyncio"),
)


def _area(filename: str, name: str) -> str:
    key = filename if filename != "~" else name
    for needle, area in _AREAS:
        if needle in key:
            return area
    return "Python stdlib / other"


def profile_calls(fn: Callable[[], object], n: int, *, top: int = 18) -> str:
    """Profile ``n`` calls of ``fn``; returns self time by area and the top functions by cumulative time."""
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        fn()
    prof.disable()
    stats = pstats.Stats(prof)
    raw = stats.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values()) or 1.0
    by_area: dict[str, float] = {}
    for (filename, _line, name), (_cc, _nc, tt, _ct, _callers) in raw.items():
        area = _area(filename, name)
        by_area[area] = by_area.get(area, 0.0) + tt
    lines = [f"cProfile of {n} calls: {total / n * 1e3:.1f} ms per call (profiler overhead included)", ""]
    lines.append("self time by area                                       ms/call   share")
    for area, tt in sorted(by_area.items(), key=lambda kv: -kv[1]):
        if tt / total < 0.005:
            continue
        lines.append(f"  {area:<54} {tt / n * 1e3:7.2f}  {tt / total:6.1%}")
    ours = _rows(raw, n, top, key=lambda kv: -kv[1][3], keep=lambda f: "/esign/" in f)
    if ours:
        lines += ["", "esign functions by cumulative time                       ms/call  self ms  calls/call", *ours]
    lines += ["", "top functions by self time                               ms/call  self ms  calls/call"]
    lines += _rows(raw, n, top // 2, key=lambda kv: -kv[1][2], keep=lambda f: True)
    return "\n".join(lines)


def _rows(
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, object]],
    n: int,
    top: int,
    *,
    key: Callable[[tuple[tuple[str, int, str], tuple[int, int, float, float, object]]], float],
    keep: Callable[[str], bool],
) -> list[str]:
    out = []
    for (filename, line, name), (_cc, nc, tt, ct, _callers) in sorted(raw.items(), key=key):
        if not keep(filename):
            continue
        label = _label(filename, line, name)
        if label is None:
            continue
        out.append(f"  {label:<54} {ct / n * 1e3:7.2f}  {tt / n * 1e3:7.2f}  {nc / n:9.1f}")
        if len(out) >= top:
            break
    return out


def _label(filename: str, line: int, name: str) -> str | None:
    if filename == "~":
        return None if name.startswith(("<method 'enable'", "<method 'run' of")) else name[:54]
    for marker in ("/site-packages/", _REPO, "/lib/python3"):
        if marker in filename:
            filename = filename.split(marker, 1)[-1]
            break
    if filename.startswith(("bench/", "asyncio/", "concurrent/", "threading")) or "profiling" in filename:
        return None
    text = f"{filename}:{line}({name})"
    return text if len(text) <= 54 else "…" + text[-53:]
