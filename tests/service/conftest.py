"""A running demo county (蒲县) behind the FastAPI app, built once per test module."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from esign.config import Settings
from esign.deployment import Deployment
from esign.setup import create_demo
from service.app import create_app
from service.live import live_server


@dataclass
class DemoCounty:
    client: TestClient
    deployment: Deployment
    tokens: dict[str, str]

    def headers(self, user: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoCounty]:
    home = tmp_path_factory.mktemp("home")
    dep = Deployment.open(Settings(home=home, public_base_url="http://testserver"))
    rows = create_demo(dep, at=dt.datetime.now(dt.UTC))
    assert rows is not None
    app = create_app(deployment=dep)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield DemoCounty(client, dep, {name: token for name, _role, _t, token in rows})
    dep.close()


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def live_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str], Path]]:
    """The demo county served by a real ``esign serve`` process: (base URL, tokens by user, home)."""
    home = tmp_path_factory.mktemp("live")
    dep = Deployment.open(Settings(home=home))
    rows = create_demo(dep, at=dt.datetime.now(dt.UTC))
    dep.close()
    assert rows is not None
    with live_server(home) as server:
        yield server.base, {name: token for name, _r, _t, token in rows}, home


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        yield b
        b.close()
