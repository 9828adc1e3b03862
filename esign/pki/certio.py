"""Reading and writing certificates: bytes first, paths at the edge."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from esign.errors import ConflictError, InputError

__all__ = [
    "certificate_der",
    "certificate_pem",
    "load_certificate",
    "load_certificate_file",
    "write_public_file",
]


def load_certificate(data: bytes) -> x509.Certificate:
    """One X.509 certificate from PEM or DER bytes."""
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as e:
        raise InputError("无法解析证书。", "Not a valid X.509 certificate (PEM or DER).", code="bad_certificate") from e


def load_certificate_file(path: str | os.PathLike[str]) -> x509.Certificate:
    """One certificate from a PEM or DER file."""
    return load_certificate(Path(path).read_bytes())


def certificate_pem(cert: x509.Certificate) -> bytes:
    """PEM encoding."""
    return cert.public_bytes(Encoding.PEM)


def certificate_der(cert: x509.Certificate) -> bytes:
    """DER encoding."""
    return cert.public_bytes(Encoding.DER)


def write_public_file(path: str | os.PathLike[str], data: bytes, *, overwrite: bool = False) -> None:
    """Write a public file (certificate, CRL) atomically, mode 0644; refuses to overwrite by default."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise ConflictError(
                    f"文件 {path.name} 已存在，不会覆盖。", f"{path} exists; not overwriting it.", code="file_exists"
                ) from None
    finally:
        tmp.unlink(missing_ok=True)
