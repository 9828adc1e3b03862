"""Where the service listens versus the public base URL printed into certificates and QR codes.

Two addresses matter and they are chosen separately:

* the **public base URL** (``ESIGN_PUBLIC_BASE_URL``): what relying parties reach. It is printed
  into every certificate at issuance (CRL distribution point, OCSP, caIssuers) and into every QR
  code at stamping, so it must be fixed before ``esign init``/``esign demo`` and never change;
* the **served address** (``esign serve --host --port``): where this process listens. Behind a
  reverse proxy (``https://esign.example.gov.cn`` forwarding to ``127.0.0.1:8000``) the two
  differ on purpose; without one, the URL's host and port must be the served ones.

:func:`serve_warnings` names the mismatches that break validators (pdfsig's online OCSP check,
pyHanko, a phone scanning the QR code): a loopback base URL whose port is not the served port,
a base URL that is not the one in the county's certificates. It cannot see a reverse proxy, so it
only warns.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

__all__ = ["serve_warnings"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _port_of(url: str) -> tuple[str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        port = None
    return (parts.hostname or ""), port


def serve_warnings(*, base_url: str, certificate_base_url: str | None, host: str, port: int) -> list[tuple[str, str]]:
    """(Chinese, English) warnings about serving on ``host:port`` a county whose public base URL
    is ``base_url`` and whose certificates point at ``certificate_base_url`` (None: no PKI yet)."""
    warnings: list[tuple[str, str]] = []
    if certificate_base_url is not None and certificate_base_url.rstrip("/") != base_url.rstrip("/"):
        warnings.append(
            (
                f"证书中的公共地址是 {certificate_base_url}，而 ESIGN_PUBLIC_BASE_URL 是 {base_url}："
                "二维码与证书将指向不同地址。",
                f"The certificates point at {certificate_base_url} but ESIGN_PUBLIC_BASE_URL is {base_url}: "
                "QR codes and certificates will disagree.",
            )
        )
    for url in {base_url, certificate_base_url or base_url}:
        url_host, url_port = _port_of(url)
        served_here = _is_loopback(url_host) or url_host == host
        if served_here and url_port != port:
            warnings.append(
                (
                    f"公共地址 {url} 的端口与服务端口 {port} 不一致：OCSP、CRL 和二维码链接将无法访问本服务"
                    "（请用相同端口运行 esign serve，或在反向代理后设置正确的 ESIGN_PUBLIC_BASE_URL）。",
                    f"The public URL {url} names port {url_port}, but the service listens on {port}: OCSP, CRL "
                    "and QR links will not reach it (serve on that port, or put a reverse proxy at that URL).",
                )
            )
    return warnings
