"""OpenSSL 3 as the independent judge of SM2 signatures on certificates, CRLs, OCSP answers and tokens.

OpenSSL 3.0 verifies an SM2 signature with the GB/T 35276 default user ID ``1234567812345678`` only
where ``distid`` can be passed: ``openssl verify -vfyopt`` (for the leaf certificate only: openssl
issues #23471, #14385) and ``openssl pkeyutl -pkeyopt``. For issuer certificates, CRLs, OCSP responses
and CMS it uses an empty ID and so refuses every standard SM2 signature (what GmSSL, BouncyCastle
and GM/T validators write). So signatures are checked here link by link with ``-vfyopt`` and, for
CRLs, OCSP responses and time-stamp tokens, with ``openssl pkeyutl -verify -rawin -digest sm3`` over
the signed bytes, cut out of the DER by a generic TLV reader (not esign's code).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.pki.conftest import Run

__all__ = ["DISTID", "openssl", "pkeyutl_verify", "public_key_pem", "signed_parts", "tlv"]


def openssl(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run the openssl command line (check=False: tests assert), text out."""
    proc = subprocess.run(["openssl", *map(str, args)], capture_output=True, timeout=60, check=False)
    out, err = proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


DISTID = "distid:1234567812345678"


def tlv(der: bytes, offset: int = 0) -> tuple[int, int, int]:
    """(header length, content length, total length) of the DER element at ``offset``."""
    first = der[offset + 1]
    if first < 0x80:
        header, length = 2, first
    else:
        n = first & 0x7F
        header, length = 2 + n, int.from_bytes(der[offset + 2 : offset + 2 + n], "big")
    return header, length, header + length


def signed_parts(der: bytes) -> tuple[bytes, bytes]:
    """(to-be-signed DER, signature value) of SEQUENCE { tbs, algorithm, BIT STRING signature, ... }."""
    header, _, _ = tlv(der)
    pos = header
    _, _, tbs_total = tlv(der, pos)
    tbs = der[pos : pos + tbs_total]
    pos += tbs_total
    pos += tlv(der, pos)[2]  # the signature algorithm
    assert der[pos] == 0x03, "a BIT STRING signature"
    bh, bl, _ = tlv(der, pos)
    return tbs, der[pos + bh + 1 : pos + bh + bl]  # skip the unused-bits octet


def public_key_pem(openssl: Run, cert: Path, out: Path) -> Path:
    """The certificate's public key as PEM, extracted by ``openssl x509 -pubkey``."""
    done = openssl("x509", "-in", cert, "-noout", "-pubkey")
    assert done.returncode == 0, done.stderr
    out.write_text(done.stdout)
    return out


def pkeyutl_verify(openssl: Run, public_pem: Path, data: bytes, signature: bytes, tmp: Path) -> bool:
    """Whether OpenSSL accepts ``signature`` as SM2-with-SM3 (default user ID) over ``data``."""
    (tmp / "signed.bin").write_bytes(data)
    (tmp / "signature.der").write_bytes(signature)
    done = openssl(
        "pkeyutl", "-verify", "-pubin", "-inkey", public_pem, "-rawin", "-digest", "sm3", "-pkeyopt", DISTID,
        "-in", tmp / "signed.bin", "-sigfile", tmp / "signature.der",
    )  # fmt: skip
    return done.returncode == 0 and "Signature Verified Successfully" in done.stdout
