"""A running demo county (蒲县) behind the FastAPI app, built once per test module."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from esign.config import Settings
from esign.deployment import Deployment
from esign.setup import create_demo
from service.app import create_app


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
