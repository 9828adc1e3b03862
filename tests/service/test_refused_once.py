"""A refused attempt leaves exactly one audit row, written by the use case that refused (not by the edge).

The feed, the register's staff-only parts and the clerk's desk form ask their permission inside their own
transaction; the counts here are read back through the API, as the reform office would.
"""

from __future__ import annotations

from typing import Any

import pytest

ADMIN = "县审批局管理员"
CLERK = "克城镇窗口"
APPROVER = "克城镇批准人"
DEPARTMENT = "县民政局查看人"


def _refusals(demo: Any) -> list[dict[str, Any]]:
    r = demo.client.get("/api/v1/audit", params={"outcome": "refused", "limit": 1000}, headers=demo.headers(ADMIN))
    assert r.status_code == 200, r.text
    rows: list[dict[str, Any]] = r.json()
    return rows


# (who, method, path, the status answered, the action recorded, the code recorded)
REFUSED = [
    (CLERK, "GET", "/api/v1/feed", 403, "feed.read", "role_not_allowed"),
    (CLERK, "GET", "/api/v1/feed/entries/no-such-entry", 403, "feed.read", "role_not_allowed"),
    (CLERK, "GET", "/api/v1/feed/subscriptions", 403, "feed.read", "role_not_allowed"),
    (DEPARTMENT, "POST", "/api/v1/feed/subscriptions", 403, "feed.manage", "role_not_allowed"),
    (CLERK, "POST", "/api/v1/feed/subscriptions/1/deactivate", 403, "feed.manage", "role_not_allowed"),
    (CLERK, "GET", "/api/v1/feed/subscriptions/1/deliveries", 403, "feed.read", "role_not_allowed"),
    (CLERK, "POST", "/api/v1/ledger/checkpoint", 403, "audit.view", "role_not_allowed"),
    (CLERK, "GET", "/ledger/tile/entries/000", 403, "audit.view", "role_not_allowed"),
    (APPROVER, "GET", "/desk/new", 303, "stamp.request", "role_not_allowed"),
]


@pytest.mark.parametrize(("who", "method", "path", "status", "action", "code"), REFUSED)
def test_a_refused_attempt_is_recorded_once(
    demo: Any, who: str, method: str, path: str, status: int, action: str, code: str
) -> None:
    before = _refusals(demo)
    body = {"department": "蒲县民政局"} if method == "POST" else None
    r = demo.client.request(method, path, json=body, headers=demo.headers(who), follow_redirects=False)
    assert r.status_code == status, r.text
    new = _refusals(demo)[: len(_refusals(demo)) - len(before)]
    assert [(e["actor"], e["action"], e["code"]) for e in new] == [(who, action, code)]


def _new_rows(demo: Any, before: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    after = _refusals(demo)
    return [(e["actor"], e["action"], e["target"], e["code"]) for e in after[: len(after) - len(before)]]


def test_a_refused_bearer_token_is_recorded_once_by_the_sign_in(demo: Any) -> None:
    before = _refusals(demo)
    r = demo.client.get("/api/v1/seals", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_token", r.text
    assert _new_rows(demo, before) == [("public", "token.authenticate", "token", "invalid_token")]


def test_a_failed_csrf_check_and_a_wrong_password_are_recorded_once_where_decided(demo: Any) -> None:
    from fastapi.testclient import TestClient

    from esign.registry import find_person
    from esign.registry.accounts import set_password

    with demo.deployment.transaction() as session:
        set_password(find_person(session, ADMIN), "correct horse 9")
    client = TestClient(demo.client.app, client=("10.9.9.9", 40000), follow_redirects=False)
    login = client.get("/admin/login").text
    token = login.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    before = _refusals(demo)
    r = client.post("/admin/login", data={"name": ADMIN, "password": "correct horse 9", "csrf_token": "forged"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed", r.text
    assert _new_rows(demo, before) == [("public", "web.csrf", "/admin/login", "csrf_failed")]
    before = _refusals(demo)
    r = client.post("/admin/login", data={"name": ADMIN, "password": "wrong horse 9", "csrf_token": token})
    assert r.status_code in (200, 303, 401), r.text
    assert _new_rows(demo, before) == [("public", "web.sign_in", "web_session", "bad_credentials")]
    r = client.post("/admin/login", data={"name": ADMIN, "password": "correct horse 9", "csrf_token": token})
    assert r.status_code == 303, r.text
    before = _refusals(demo)
    r = client.post("/api/v1/ledger/checkpoint")  # the cookie without the page's token
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed", r.text
    assert _new_rows(demo, before) == [(ADMIN, "web.csrf", "/api/v1/ledger/checkpoint", "csrf_failed")]
