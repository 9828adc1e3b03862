"""Public GETs read: looking at the register (the QR code's landing page, the ledger API, the status
pages) leaves the database exactly as it was, even when a checkpoint is due. Checkpoints are the
checkpointer's job (:mod:`esign.workflow.checkpoints`), not a side effect of a visitor."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect, text

from esign.config import Settings
from esign.deployment import Deployment
from esign.setup import create_demo
from esign.workflow import StampEngine, StampRequestSpec, checkpoint_if_due, stamp_directly
from service.app import create_app
from tests.pdfgen import decision_pdf

#: Long enough ago that the register's policy (a checkpoint once the last is 5 minutes old) is due now.
EARLIER = dt.timedelta(minutes=30)


@dataclass
class Register:
    client: TestClient
    dep: Deployment
    entries: list[str]
    seal_code: str


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Register]:
    dep = Deployment.open(Settings(home=tmp_path_factory.mktemp("home"), public_base_url="http://testserver"))
    now = dt.datetime.now(dt.UTC)
    assert create_demo(dep, at=now - EARLIER) is not None
    engine = StampEngine(dep, clock=lambda: dt.datetime.now(dt.UTC))
    entries = []
    for n in range(2):  # the first entry is checkpointed with its stamp; the second is the uncovered tail
        spec = StampRequestSpec(seal="克城镇", item="1", reason=f"公开查询 {n}", level="B-B", idempotency_key=f"ro-{n}")
        outcome = stamp_directly(
            dep, engine, decision_pdf(), spec, user="克城镇窗口", approver="克城镇批准人", at=now - EARLIER
        )
        entries.append(outcome.entry_id)
    with dep.engine.connect() as conn:
        seal_code = conn.execute(text("SELECT code FROM seals ORDER BY id LIMIT 1")).scalar_one()
    with TestClient(create_app(deployment=dep), raise_server_exceptions=False) as client:
        yield Register(client, dep, entries, seal_code)
    dep.close()


def dump(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, in a stable order."""
    out: dict[str, list[tuple[object, ...]]] = {}
    with engine.connect() as conn:
        for table in sorted(inspect(conn).get_table_names()):
            rows = conn.execute(text(f'SELECT * FROM "{table}"')).all()  # noqa: S608 - names from the schema
            out[table] = sorted((tuple(r) for r in rows), key=repr)
    return out


def public_gets(reg: Register) -> list[str]:
    first, tail = reg.entries
    return [
        f"/v/{tail}",
        f"/v/{first}",
        "/v/no-such-entry-000000000",
        "/verify",
        "/api/v1/ledger/checkpoint",
        f"/api/v1/ledger/entries/{tail}",
        f"/api/v1/ledger/entries/{first}",
        "/ledger/checkpoint",
        f"/api/v1/seal-status?code={reg.seal_code}",
        "/status",
        "/",
        "/healthz",
    ]


def test_public_gets_leave_the_database_unchanged(register: Register) -> None:
    before = dump(register.dep.engine)
    for url in public_gets(register):
        r = register.client.get(url)
        assert r.status_code < 500, (url, r.status_code, r.text[:300])
    assert dump(register.dep.engine) == before


def test_the_landing_page_says_pending_until_the_checkpointer_covers_the_entry(register: Register) -> None:
    """The tail entry's proof waits for the checkpointer; a checkpoint was due all along (so the GETs
    above had one to write, and did not)."""
    _first, tail = register.entries
    assert register.client.get(f"/api/v1/ledger/entries/{tail}").json()["pending"] is True
    before = dump(register.dep.engine)
    checkpoint_if_due(register.dep, at=dt.datetime.now(dt.UTC))
    assert dump(register.dep.engine) != before
    r = register.client.get(f"/api/v1/ledger/entries/{tail}")
    assert r.status_code == 200 and r.json()["pending"] is False
