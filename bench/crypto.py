"""5. The crypto floor: what the seal key's signatures and SHA-256 cost on this machine, and how far
above that floor each measured operation is.

A stamp at B-B needs one signature by the seal key and a SHA-256 over the signed bytes; B-T and
B-LT add the TSA's signature on the timestamp token; B-LTA adds a document timestamp (one more
TSA signature and hash). Everything else a stamp costs - parsing and writing the PDF, DER, the
appearance, the database - is above this floor.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from bench.context import Context
from bench.report import Section
from bench.stamping import FLOOR, ours
from bench.stats import Summary, fmt_rate, fmt_seconds, summarise

__all__ = ["run"]


def _per_second(call: Callable[[], object], *, seconds: float) -> tuple[float, list[float]]:
    """Calls per second in batches of ~50 ms; returns the median rate and each batch's time per call."""
    batch = 1
    while True:  # size a batch to ~50 ms
        t = time.perf_counter()
        for _ in range(batch):
            call()
        if time.perf_counter() - t > 0.05:
            break
        batch *= 2
    per_call: list[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        t = time.perf_counter()
        for _ in range(batch):
            call()
        per_call.append((time.perf_counter() - t) / batch)
    s = summarise(per_call)
    return 1 / s.median, per_call


def _sign_fn(key: object) -> Callable[[], object]:
    msg = b"x" * 32
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return lambda: key.sign(msg, ec.ECDSA(hashes.SHA256()))
    if isinstance(key, rsa.RSAPrivateKey):
        from cryptography.hazmat.primitives.asymmetric import padding

        return lambda: key.sign(msg, padding.PKCS1v15(), hashes.SHA256())
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return lambda: key.sign(msg)
    raise TypeError(type(key))


def _name(key: object) -> str:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return f"ECDSA {key.curve.name}"
    if isinstance(key, rsa.RSAPrivateKey):
        return f"RSA-{key.key_size}"
    return type(key).__name__


def run(ctx: Context) -> Section:
    county = ctx.county
    seconds = 0.6 if ctx.quick else 3.0
    seal_key, tsa_key = county.key, county.dep.pki.tsa_key
    ctx.progress("crypto floor: signatures/s and SHA-256 MB/s")
    seal_rate, seal_samples = _per_second(_sign_fn(seal_key), seconds=seconds)
    tsa_rate, _ = _per_second(_sign_fn(tsa_key), seconds=seconds)
    pub = seal_key.public_key()
    msg = b"x" * 32
    sig = seal_key.sign(msg, ec.ECDSA(hashes.SHA256())) if isinstance(seal_key, ec.EllipticCurvePrivateKey) else b""
    verify_rate = float("nan")
    if sig:
        verify_rate, _ = _per_second(
            lambda: pub.verify(sig, msg, ec.ECDSA(hashes.SHA256())),
            seconds=seconds,  # type: ignore[call-arg,arg-type]
        )
    block = b"\0" * (16 * 1024 * 1024)
    hash_rate, _ = _per_second(lambda: hashlib.sha256(block).digest(), seconds=seconds)
    mb_s = hash_rate * len(block) / 1024 / 1024
    seal_s = summarise(seal_samples)

    section = Section(
        "5. Crypto floor (cryptography / OpenSSL on one core)",
        ["operation", "rate", "time per operation", "p10–p90"],
    )
    section.add(
        f"sign, seal key ({_name(seal_key)})",
        fmt_rate(seal_rate, "sig/s"),
        fmt_seconds(1 / seal_rate),
        f"{fmt_seconds(seal_s.p10)} – {fmt_seconds(seal_s.p90)}",
    )
    section.add(f"sign, TSA key ({_name(tsa_key)})", fmt_rate(tsa_rate, "sig/s"), fmt_seconds(1 / tsa_rate), "")
    section.add(
        f"verify, seal key ({_name(seal_key)})", fmt_rate(verify_rate, "verifies/s"), fmt_seconds(1 / verify_rate), ""
    )
    section.add("SHA-256 (16 MB buffer)", fmt_rate(mb_s, "MB/s"), fmt_seconds(1 / hash_rate) + " per 16 MB", "")

    signed_bytes = 128 * 1024  # a stamped 1-page decision is ~110-130 KB
    hash_t = signed_bytes / (mb_s * 1024 * 1024)
    floors = {
        "B-B": 1 / seal_rate + hash_t,
        "B-T": 1 / seal_rate + 1 / tsa_rate + hash_t,
        "B-LT": 1 / seal_rate + 1 / tsa_rate + hash_t,
        "B-LTA": 1 / seal_rate + 2 / tsa_rate + 2 * hash_t,
    }
    above: list[tuple[str, Summary, float]] = []
    if FLOOR in ctx.figures:
        above.append((FLOOR, ctx.figures[FLOOR], floors["B-B"]))
    for level in ("B-B", "B-T", "B-LT", "B-LTA"):
        if ours(level) in ctx.figures:
            above.append((ours(level), ctx.figures[ours(level)], floors[level]))
    for name, s, floor in above:
        section.add(
            f"  → {name}",
            "",
            f"{fmt_seconds(s.median)} = {s.median / floor:,.0f}× crypto floor",
            f"floor {fmt_seconds(floor)}",
        )
    section.notes += [
        "crypto floor of a stamp = its signatures (seal key, plus the TSA's at B-T and above) + SHA-256 over "
        f"{signed_bytes // 1024} KB of signed bytes; the → rows put section 1's medians over that floor.",
        "the OCSP answer and CRLs embedded at B-LT are prepared once per revocation epoch, so they add no "
        "signature per document.",
    ]
    return section
