"""``esign ledger verify | checkpoint | proof`` through a Typer test runner."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from esign.cli import ledger as cli
from esign.db import make_session_factory, session_scope
from esign.ledger import SqlLedger

from .conftest import T0, make_entry


@pytest.fixture
def handle(engine, signer, monkeypatch):
    factory = make_session_factory(engine)
    h = cli.LedgerHandle(lambda: session_scope(factory), signer.verifier, signer)
    monkeypatch.setattr(cli, "_opener", lambda home: h)
    return h


def test_checkpoint_proof_verify(handle):
    with handle.transaction() as s:
        ids = [SqlLedger(s).record(make_entry(i), at=T0).entry_id for i in range(5)]
    runner = CliRunner()
    pending = runner.invoke(cli.app, ["proof", ids[2], "--json"])
    assert pending.exit_code == 0 and json.loads(pending.stdout)["pending"] is True
    cp = runner.invoke(cli.app, ["checkpoint"])
    assert cp.exit_code == 0 and cp.stdout.split("\n")[1] == "5"
    out = runner.invoke(cli.app, ["proof", ids[2], "--json"])
    data = json.loads(out.stdout)
    assert out.exit_code == 0 and data["index"] == 2 and len(data["proof"]) == 3
    ok = runner.invoke(cli.app, ["verify", "--json"])
    assert ok.exit_code == 0 and json.loads(ok.stdout)["ok"] is True
    with handle.transaction() as s:
        s.execute(text("UPDATE ledger_entries SET body = :b WHERE idx = 3"), {"b": make_entry(9).to_bytes()})
    bad = runner.invoke(cli.app, ["verify", "--json"])
    assert bad.exit_code == 1 and json.loads(bad.stdout)["first_bad_index"] == 3


def test_unwired_opener_is_a_config_error(monkeypatch):
    from esign.errors import ConfigError

    monkeypatch.setattr(cli, "_opener", cli._not_wired)
    result = CliRunner().invoke(cli.app, ["verify"])
    assert isinstance(result.exception, ConfigError)
