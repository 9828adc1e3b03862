"""How a request finds its route and how many trips to worker threads it makes on the way (#21).

The app matches a request against its routers in the order they were included, route by route; the
busiest routes (verification, the stamp flow) come first. That order decides nothing else only
because no path is matched by routes of two routers: checked here for every route the app has.
Every trip to a worker thread costs a thread switch and a turn at the GIL beside the documents in
work, so the hot routes make only the trips their work needs.
"""

from __future__ import annotations

import re

import anyio.to_thread
import pytest
from starlette.routing import Match

from tests.pdfgen import decision_pdf


def _sample(path: str) -> str:
    """A concrete path the route's pattern matches: each parameter filled in."""
    return re.sub(r"\{[^}:]+:path\}", "a/b", re.sub(r"\{[^}:]+(:int)?\}", "1", path))


def _routes(app):
    """(router entry of the app, route) for every route, through the included routers."""
    for entry in app.router.routes:
        inner = getattr(entry, "original_router", None)
        for route in inner.routes if inner is not None else [entry]:
            yield entry, route


def test_no_path_is_matched_by_routes_of_two_routers(demo):
    app = demo.client.app
    checked = 0
    for _entry, route in _routes(app):
        for method in getattr(route, "methods", None) or ():
            scope = {"type": "http", "method": method, "path": _sample(route.path), "root_path": "", "headers": []}
            full = [e for e in app.router.routes if e.matches(dict(scope, query_string=b""))[0] == Match.FULL]
            assert len(full) == 1, (method, route.path, full)
            checked += 1
    assert checked > 80


def test_the_busiest_routes_are_matched_first(demo):
    order = [getattr(route, "path", "") for _entry, route in _routes(demo.client.app)]
    pages = min(i for i, path in enumerate(order) if path.startswith(("/admin", "/desk", "/oversight")))
    for hot in ("/api/v1/verify", "/api/v1/stamp-requests", "/api/v1/stamp-requests/{request_id}/approve"):
        assert order.index(hot) < 12 < pages, hot


@pytest.fixture
def trips(monkeypatch):
    """Counts the calls that go to a worker thread (the shared pool and service.work's places alike)."""
    calls: list[str] = []
    real = anyio.to_thread.run_sync

    async def counting(func, *args, **kwargs):
        calls.append(getattr(func, "__name__", None) or getattr(getattr(func, "func", None), "__name__", "?"))
        return await real(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    return calls


def test_a_verification_makes_one_trip_to_a_worker_thread(demo, trips):
    r = demo.client.post("/api/v1/verify", files={"file": ("d.pdf", decision_pdf(), "application/pdf")})
    assert r.status_code == 200, r.text
    assert trips == ["verify_document"]  # no trip for reading the deployment off the app


def test_an_approval_makes_two_trips_the_token_and_the_work(demo, trips):
    submitted = demo.client.post(
        "/api/v1/stamp-requests",
        data={"seal": "克城镇", "item": "1", "reason": "受理临时救助申请", "title": "受理通知书"},
        files={"file": ("d.pdf", decision_pdf(), "application/pdf")},
        headers=demo.headers("克城镇窗口"),
    )
    assert submitted.status_code == 201, submitted.text
    assert trips == ["_token_actor", "submit_request"]
    trips.clear()
    approve = f"/api/v1/stamp-requests/{submitted.json()['id']}/approve"
    r = demo.client.post(approve, headers=demo.headers("克城镇批准人"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "stamped" and r.json()["entry_id"] and r.json()["result_url"]
    assert trips == ["_token_actor", "approve_and_show"]  # the approval answers with the request as it now stands
