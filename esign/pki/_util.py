"""Small helpers shared by the pki modules (internal)."""

from __future__ import annotations

import datetime as dt

from cryptography import x509

from esign.errors import InputError

__all__ = ["require_utc", "serial_hex"]


def require_utc(at: dt.datetime, name: str = "at") -> dt.datetime:
    """``at`` as an aware UTC datetime; a naive datetime is a programming error reported as InputError."""
    if not isinstance(at, dt.datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise InputError("时间必须带时区（UTC）。", f"{name} must be an aware datetime.", code="naive_time", field=name)
    return at.astimezone(dt.UTC)


def serial_hex(serial: int | x509.Certificate) -> str:
    """A certificate serial number as the 40-hex-digit lower-case key the store uses."""
    value = serial.serial_number if isinstance(serial, x509.Certificate) else serial
    if value < 0:
        raise InputError("证书序列号不能为负数。", "A certificate serial must not be negative.", code="bad_serial")
    return f"{value:040x}"
