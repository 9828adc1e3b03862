"""8. SM2/SM3: esign's SM2 signatures (gmalglib under :mod:`esign.pki.sm2`) next to ``openssl speed sm2``,
measured in the same run on the same core; then the GB/T 38540 operations built on them (seal data and
signatures, :mod:`esign.ses`), each also given in SM2 verifications of this run (what it costs above the
curve arithmetic it cannot avoid).

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


def run(ctx: Context) -> list[Section]:
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
    return [section, _seal_data(ctx, seconds, verify_rate)]


def _seal_data(ctx: Context, seconds: float, verify_rate: float) -> Section:
    """make/parse/verify a seal, sign/verify a signature (with an SM2 time-stamp) over a 100 KB document."""
    import datetime as dt

    from esign.pki.sm2 import sm3 as _sm3
    from esign.ses import SesTrust, crl_lookup, parse_seal, sign, verify_seal, verify_signature
    from tests.ses.conftest import AT, build_pki, crl_of, make_test_seal

    ctx.progress("GB/T 38540: seal data and signatures")
    pki = build_pki()
    seal = make_test_seal(pki)
    picture = parse_seal(seal).picture  # drawn once: the row measures the seal data, not the drawing
    trust = SesTrust.of([pki.root], [pki.issuing], crl_lookup([crl_of(pki)]))
    doc = b"d" * 100_000
    stamp = pki.timestamper(AT)

    def do_sign() -> bytes:
        return sign(
            data=doc,
            property_info="/Doc_0/Signs/Sign_0/Signature.xml",
            seal=seal,
            signer_key=pki.signer_key,
            signer_cert=pki.signer.der,
            timestamper=stamp,
            at=AT,
        )

    signature = do_sign()
    later = AT + dt.timedelta(days=1)
    ops = [
        ("make seal data (SES_Seal, maker signs)", lambda: make_test_seal(pki, picture=picture)),
        ("read seal data (parse_seal)", lambda: parse_seal(seal)),
        ("verify seal data (maker, chain, CRL)", lambda: verify_seal(seal, trust, at=later)),
        ("sign 100 KB (SES_Signature + SM2 time-stamp)", do_sign),
        ("verify that signature (§7.3, all steps)", lambda: verify_signature(signature, trust, at=later, data=doc)),
        ("SM3 of the 100 KB document alone", lambda: _sm3(doc)),
    ]
    section = Section(
        "8b. GB/T 38540 seal data and signatures (esign.ses)",
        ["operation", "rate", "time per operation", "in SM2 verifies of this run"],
    )
    for name, fn in ops:
        rate, _ = _per_second(fn, seconds=seconds)
        section.add(name, fmt_rate(rate, "ops/s"), fmt_seconds(1 / rate), f"{verify_rate / rate:.1f}")
    section.notes.append(
        "a seal verification checks 4 SM2 signatures (maker, its 2 certificates, the CRL); a signature "
        "verification about 10 (signature, seal, both chains, CRLs, the time-stamp and its TSA)"
    )
    return section
