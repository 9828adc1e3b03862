"""The served address against the public base URL: warnings where validators would be sent elsewhere."""

from __future__ import annotations

import datetime as dt

from esign.addresses import serve_warnings
from esign.config import Settings
from esign.deployment import Deployment
from esign.setup import create_demo
from service.live import free_port

ANY = "0.0.0.0"  # noqa: S104 - an address to compare with, nothing binds it


def test_same_port_and_reverse_proxy_are_quiet() -> None:
    assert (
        serve_warnings(
            base_url="http://127.0.0.1:8011", certificate_base_url="http://127.0.0.1:8011/", host="127.0.0.1", port=8011
        )
        == []
    )
    # a public name in front of a local port is a reverse proxy: nothing to say
    assert (
        serve_warnings(
            base_url="https://esign.example.gov.cn",
            certificate_base_url="https://esign.example.gov.cn",
            host="127.0.0.1",
            port=8000,
        )
        == []
    )


def test_loopback_url_on_another_port_warns() -> None:
    [(zh, en)] = serve_warnings(
        base_url="http://127.0.0.1:8000", certificate_base_url="http://127.0.0.1:8000", host="127.0.0.1", port=8011
    )
    assert "8011" in zh and "端口" in zh and "port 8000" in en
    # the default ports of the scheme count
    [(_zh, en)] = serve_warnings(base_url="http://localhost", certificate_base_url=None, host=ANY, port=8000)
    assert "port 80," in en


def test_certificates_and_qr_base_disagreeing_warns() -> None:
    found = serve_warnings(
        base_url="https://esign.example.gov.cn", certificate_base_url="http://127.0.0.1:8000", host=ANY, port=8000
    )
    assert len(found) == 1 and "disagree" in found[0][1]


def test_serve_prints_the_warning(tmp_path, monkeypatch) -> None:
    import uvicorn
    from typer.testing import CliRunner

    from esign.cli.main import app

    dep = Deployment.open(Settings(home=tmp_path, public_base_url="http://127.0.0.1:8000"))
    create_demo(dep, at=dt.datetime.now(dt.UTC))
    dep.close()
    started: list[int] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: started.append(kw["port"]))  # print, do not listen
    monkeypatch.setenv("ESIGN_PUBLIC_BASE_URL", "http://127.0.0.1:8000")
    monkeypatch.setenv("COLUMNS", "300")
    monkeypatch.setenv("ESIGN_HOME", str(tmp_path))  # serve sets it for its workers; restored afterwards
    port = free_port()
    result = CliRunner().invoke(app, ["serve", "--home", str(tmp_path), "--port", str(port)])
    assert result.exit_code == 0 and started == [port], result.output
    assert f"names port 8000, but the service listens on {port}" in " ".join(result.output.split()), result.output
