"""The feed in a running demo county: real stamps write events, the department's token reads its own,
the background loop delivers to a real receiver, and the CLI drives subscriptions and delivery."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from esign.cli.main import app as cli_app
from esign.config import Settings
from esign.deployment import Deployment
from esign.feed.models import FeedEventRow
from esign.ledger.models import LedgerEntryRow
from esign.registry.models import CatalogItemRow
from esign.setup import create_demo
from service.app import create_app
from tests.pdfgen import decision_pdf

DEPT = "县民政局查看人"


@dataclass
class Demo:
    dep: Deployment
    tokens: dict[str, str]

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    home = tmp_path_factory.mktemp("feed-home")
    dep = Deployment.open(Settings(home=home, public_base_url="http://testserver"))
    rows = create_demo(dep, at=dt.datetime.now(dt.UTC))
    assert rows is not None
    with dep.transaction() as s:  # this county: item 1 is 民政局's, no other item has a department
        items = list(s.scalars(select(CatalogItemRow)))
        assert items
        for item in items:
            item.department = "县民政局" if item.number == 1 else ""
    yield Demo(dep, {name: token for name, _r, _t, token in rows})
    dep.close()


def _stamp(client: TestClient, demo: Demo, item: str, township: str = "克城镇") -> dict:
    r = client.post(
        "/api/v1/stamp-requests",
        data={"seal": township, "item": item, "reason": "受理申请", "title": "受理通知书", "level": "B-B"},
        files={"file": ("d.pdf", decision_pdf(), "application/pdf")},
        headers=demo.headers(f"{township}窗口"),
    )
    assert r.status_code == 201, r.text
    ok = client.post(f"/api/v1/stamp-requests/{r.json()['id']}/approve", headers=demo.headers(f"{township}批准人"))
    assert ok.status_code == 200, ok.text
    return ok.json()


def _counts(dep: Deployment) -> tuple[int, int]:
    with dep.transaction() as s:
        return (
            s.scalar(select(func.count()).select_from(LedgerEntryRow)) or 0,
            s.scalar(select(func.count()).select_from(FeedEventRow)) or 0,
        )


def test_department_viewer_reads_its_own_items_and_nothing_else(demo):
    with TestClient(create_app(deployment=demo.dep), raise_server_exceptions=False) as client:
        mine = _stamp(client, demo, "1")
        other = _stamp(client, demo, "2", township="古县乡")
        feed = client.get("/api/v1/feed", headers=demo.headers(DEPT))
        assert feed.status_code == 200, feed.text
        body = feed.json()
        assert body["department"] == "蒲县民政局"
        assert [e["data"]["entry_id"] for e in body["events"]] == [mine["entry_id"]]
        event = body["events"][0]
        assert (
            event["data"]["output_sha256"] == mine["output_sha256"]
            and event["data"]["verify_url"] == mine["verify_url"]
        )
        assert body["next_cursor"] >= event["id"]
        assert client.get(f"/api/v1/feed/entries/{mine['entry_id']}", headers=demo.headers(DEPT)).status_code == 200
        denied = client.get(f"/api/v1/feed/entries/{other['entry_id']}", headers=demo.headers(DEPT))
        assert denied.status_code == 403 and denied.json()["error"]["code"] == "wrong_department"
        # Verification stays open to everyone; townships' own records and the admin's routes do not.
        assert client.get(f"/api/v1/ledger/entries/{mine['entry_id']}").status_code == 200
        for path in ("/api/v1/townships/克城镇", "/api/v1/stamp-requests", "/api/v1/users", "/api/v1/seals"):
            assert client.get(path, headers=demo.headers(DEPT)).status_code == 403, path
        made = client.post("/api/v1/feed/subscriptions", json={"department": "蒲县民政局"}, headers=demo.headers(DEPT))
        assert made.status_code == 403
        for who in ("克城镇窗口", "克城镇批准人"):
            assert client.get("/api/v1/feed", headers=demo.headers(who)).status_code == 403
        assert client.get("/api/v1/feed").status_code == 401
        everything = client.get("/api/v1/feed", headers=demo.headers("县审批局管理员")).json()
        assert {mine["entry_id"], other["entry_id"]} <= {e["data"]["entry_id"] for e in everything["events"]}


def test_a_stamp_whose_transaction_fails_leaves_no_event(demo, monkeypatch):
    import esign.workflow.requests as requests

    def broken(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    before = _counts(demo.dep)
    with TestClient(create_app(deployment=demo.dep), raise_server_exceptions=False) as client:
        monkeypatch.setattr(requests, "record_event", broken)
        r = client.post(
            "/api/v1/stamp-requests",
            data={"seal": "克城镇", "item": "1", "reason": "受理申请", "title": "受理通知书", "level": "B-B"},
            files={"file": ("d.pdf", decision_pdf(), "application/pdf")},
            headers=demo.headers("克城镇窗口"),
        )
        assert r.status_code == 500  # record_event of the request itself fails: nothing at all was kept
        monkeypatch.undo()
        r = client.post(
            "/api/v1/stamp-requests",
            data={"seal": "克城镇", "item": "1", "reason": "受理申请", "title": "受理通知书", "level": "B-B"},
            files={"file": ("d.pdf", decision_pdf(), "application/pdf")},
            headers=demo.headers("克城镇窗口"),
        )
        assert r.status_code == 201
        calls = {"n": 0}
        import esign.workflow.commit as commit

        original = commit.record_event

        def fail_on_stamp(*args, **kwargs):
            if kwargs.get("action") == "stamp.apply":  # after append() and record_stamp_event() ran
                calls["n"] += 1
                raise RuntimeError("audit store unavailable")
            return original(*args, **kwargs)

        monkeypatch.setattr(commit, "record_event", fail_on_stamp)
        failed = client.post(f"/api/v1/stamp-requests/{r.json()['id']}/approve", headers=demo.headers("克城镇批准人"))
        assert failed.status_code == 500 and calls["n"] == 1
    assert _counts(demo.dep) == before


def test_background_loop_delivers_to_a_real_receiver_and_stops_cleanly(demo, receiver):
    runner = CliRunner()
    home = str(demo.dep.settings.home)
    out = runner.invoke(cli_app, ["feed", "subscribe", "蒲县民政局", "--url", receiver.url, "--home", home, "--json"])
    assert out.exit_code == 0, out.output
    made = json.loads(out.stdout)
    receiver.secret = made["secret"]
    assert made["matching_items"] == 1
    listed = runner.invoke(cli_app, ["feed", "list", "--home", home, "--json"])
    assert made["secret"] not in listed.stdout and json.loads(listed.stdout)[-1]["url"] == receiver.url
    app = create_app(deployment=demo.dep, feed_interval=0.2)
    with TestClient(app, raise_server_exceptions=False) as client:
        stamped = _stamp(client, demo, "1")
        deadline = time.monotonic() + 20
        while not receiver.accepted and time.monotonic() < deadline:
            time.sleep(0.1)
        worker = app.state.feed_worker
    assert worker._thread is None  # joined on shutdown
    (event,) = receiver.accepted.values()
    assert event["data"]["entry_id"] == stamped["entry_id"]
    assert all(p["valid"] and p["fresh"] for p in receiver.posts)
    log = runner.invoke(cli_app, ["feed", "log", str(made["id"]), "--home", home, "--json"])
    assert json.loads(log.stdout)[0]["ok"] is True
    # Nothing is due any more: the cron command finds nothing to send.
    again = runner.invoke(cli_app, ["feed", "deliver", "--home", home, "--json"])
    assert again.exit_code == 0 and json.loads(again.stdout)["claimed"] == 0
    events = runner.invoke(cli_app, ["feed", "events", "--after", "0", "--home", home, "--json"])
    page = json.loads(events.stdout)
    assert page["events"][-1]["data"]["entry_id"] == stamped["entry_id"]
    assert page["next_cursor"] == page["events"][-1]["id"]


def test_cli_deliver_for_cron_and_input_errors(demo, receiver):
    runner = CliRunner()
    home = str(demo.dep.settings.home)
    out = runner.invoke(
        cli_app, ["feed", "subscribe", "蒲县人社局", "--url", receiver.url, "--items", "2,3", "--home", home, "--json"]
    )
    assert out.exit_code == 0, out.output
    receiver.secret = json.loads(out.stdout)["secret"]
    with TestClient(create_app(deployment=demo.dep), raise_server_exceptions=False) as client:
        stamped = _stamp(client, demo, "3")
    done = runner.invoke(cli_app, ["feed", "deliver", "--until-idle", "--home", home, "--json"])
    assert done.exit_code == 0 and json.loads(done.stdout)["delivered"] == 1
    assert [e["data"]["entry_id"] for e in receiver.accepted.values()] == [stamped["entry_id"]]
    bad = runner.invoke(cli_app, ["feed", "subscribe", "蒲县人社局", "--url", "http://example.org/x", "--home", home])
    assert bad.exit_code != 0 and bad.exception.code == "webhook_url_not_https"
    bad_items = runner.invoke(cli_app, ["feed", "subscribe", "蒲县人社局", "--items", "9999", "--home", home])
    assert bad_items.exit_code != 0 and bad_items.exception.code == "catalog_item_not_found"


def test_subscriptions_over_http_and_the_cli(demo):
    """The reform office manages subscriptions over HTTP and the CLI; a department sees only its own."""
    runner = CliRunner()
    home = str(demo.dep.settings.home)
    admin = demo.headers("县审批局管理员")
    with TestClient(create_app(deployment=demo.dep), raise_server_exceptions=False) as client:
        made = client.post(
            "/api/v1/feed/subscriptions",
            json={"department": "蒲县人社局", "url": "https://hooks.example/x"},
            headers=admin,
        )
        assert made.status_code == 201, made.text
        sub, secret = made.json()["id"], made.json()["secret"]
        assert secret.startswith("whsec_")
        listed = client.get("/api/v1/feed/subscriptions", headers=admin).json()
        assert sub in {s["id"] for s in listed} and secret not in json.dumps(listed)
        own = client.get("/api/v1/feed/subscriptions", headers=demo.headers(DEPT)).json()
        assert own and sub not in {s["id"] for s in own}
        assert {s["department"] for s in own} == {"蒲县民政局"}
        denied = client.get(f"/api/v1/feed/subscriptions/{sub}/deliveries", headers=demo.headers(DEPT))
        assert denied.status_code == 403 and denied.json()["error"]["code"] == "wrong_department"
        assert client.get(f"/api/v1/feed/subscriptions/{sub}/deliveries", headers=admin).json() == []
        missing = client.get("/api/v1/feed/subscriptions/999999/deliveries", headers=admin)
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "feed_subscription_not_found"
    rotated = runner.invoke(cli_app, ["feed", "rotate-secret", str(sub), "--home", home])
    assert rotated.exit_code == 0, rotated.output
    assert rotated.stdout.strip().startswith("whsec_") and rotated.stdout.strip() != secret
    stopped = runner.invoke(cli_app, ["feed", "unsubscribe", str(sub), "--home", home])
    assert stopped.exit_code == 0, stopped.output
    shown = {s["id"]: s for s in json.loads(runner.invoke(cli_app, ["feed", "list", "--home", home, "--json"]).stdout)}
    assert shown[sub]["active"] is False
    with TestClient(create_app(deployment=demo.dep), raise_server_exceptions=False) as client:
        pull_only = client.post("/api/v1/feed/subscriptions", json={"department": "蒲县人社局"}, headers=admin).json()
        assert pull_only["secret"] is None
        off = client.post(f"/api/v1/feed/subscriptions/{pull_only['id']}/deactivate", headers=admin)
        assert off.status_code == 200 and off.json() == {"id": pull_only["id"], "active": False}
    no_secret = runner.invoke(cli_app, ["feed", "rotate-secret", str(pull_only["id"]), "--home", home])
    assert no_secret.exit_code != 0 and no_secret.exception.field == "subscription"
