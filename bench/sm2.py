"""8. SM2/SM3: esign's SM2 signatures (gmalglib under :mod:`esign.pki.sm2`) next to ``openssl speed sm2``,
measured in the same run on the same core.

Ours signs and verifies a 1 KiB message with the default user ID: ``Z_A`` (cached per key), SM3 over
``Z_A || M``, the curve operation and the DER encoding of ``(r, s)``. ``openssl speed sm2`` does the same
(EVP_DigestSign with SM3 over a short message, its Z_A computed each time). The ratio is ours / OpenSSL.
"""

from __future__ import annotations

import re
import shutil
import subprocess

from bench.context import Context
from bench.crypto import _per_second
from bench.report import Section
from bench.stats import fmt_rate, fmt_seconds
from esign.pki.sm2 import Sm2PrivateKey, sm3

__all__ = ["run"]

_SPEED_LINE = re.compile(r"SM2 \(CurveSM2\)\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)")


def _openssl_speed(seconds: int) -> tuple[float, float] | None:
    """(sign/s, verify/s) from ``openssl speed -seconds N sm2``, or None where openssl cannot say."""
    exe = shutil.which("openssl")
    if exe is None:
        return None
    done = subprocess.run(
        [exe, "speed", "-seconds", str(seconds), "sm2"], capture_output=True, text=True, timeout=120, check=False
    )
    m = _SPEED_LINE.search(done.stdout)
    return (float(m.group(1)), float(m.group(2))) if m else None


def _ratio(ours: float, theirs: float | None) -> str:
    return f"{ours / theirs:.2f}×" if theirs else "-"


def run(ctx: Context) -> Section:
    seconds = 0.6 if ctx.quick else 3.0
    ctx.progress("SM2: sign/verify per second, ours and openssl speed sm2")
    key = Sm2PrivateKey.generate()
    pub = key.public_key()
    msg = b"m" * 1024
    sig = key.sign(msg)
    sign_rate, _ = _per_second(lambda: key.sign(msg), seconds=seconds)
    verify_rate, _ = _per_second(lambda: pub.verify(sig, msg), seconds=seconds)
    block = b"\0" * (16 * 1024 * 1024)
    sm3_rate, _ = _per_second(lambda: sm3(block), seconds=seconds)
    speed = _openssl_speed(1 if ctx.quick else 3)

    section = Section(
        "8. SM2/SM3 (esign.pki.sm2 on gmalglib, beside openssl speed sm2 in the same run)",
        ["operation", "ours", "time per operation", "openssl speed sm2", "ours / openssl"],
    )
    their_sign, their_verify = speed if speed else (None, None)
    section.add(
        "SM2 sign (1 KiB, default ID, DER)",
        fmt_rate(sign_rate, "sig/s"),
        fmt_seconds(1 / sign_rate),
        fmt_rate(their_sign, "sig/s") if their_sign else "-",
        _ratio(sign_rate, their_sign),
    )
    section.add(
        "SM2 verify (1 KiB, default ID, DER)",
        fmt_rate(verify_rate, "verifies/s"),
        fmt_seconds(1 / verify_rate),
        fmt_rate(their_verify, "verifies/s") if their_verify else "-",
        _ratio(verify_rate, their_verify),
    )
    section.add("SM3 (16 MB buffer, OpenSSL via cryptography)", fmt_rate(sm3_rate * 16, "MB/s"), "", "", "")
    if speed is None:
        section.notes.append("openssl speed sm2 gave no figure on this machine")
    section.notes.append(f"{seconds:.1f} s per figure; openssl speed ran {1 if ctx.quick else 3} s per operation")
    return section
