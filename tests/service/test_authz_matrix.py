"""Every role x every registry route x own/other township, with the expected allow/deny.

The expectations are written out here on purpose, independent of ``esign.registry.authz``:
if the permission table changes, this test must be changed with it, deliberately.
"""

from __future__ import annotations

import pytest

from tests.refusals import assert_refusal_audited, newest_refusal

# Who acts. "own" township is 克城镇, "other" is 古县乡.
ACTORS = {
    "public": None,
    "reform_admin": "县审批局管理员",
    "department": "县民政局查看人",
    "custodian": "克城镇保管人",
    "approver": "克城镇批准人",
    "clerk": "克城镇窗口",
}
STAFF = {"custodian", "approver", "clerk"}

# (method, path template, json body, roles allowed, status when allowed). {t} is a township, {s} its seal.
# Write routes are called so that, when allowed, they fail on a state/conflict check (409) and change nothing.
ROUTES = [
    ("GET", "/api/v1/me", None, {"reform_admin", "department", *STAFF}, 200),
    ("GET", "/api/v1/townships", None, {"reform_admin", *STAFF}, 200),
    ("GET", "/api/v1/townships/{t}", None, {"reform_admin", *STAFF}, 200),
    ("GET", "/api/v1/townships/{t}/authority-items", None, {"reform_admin", *STAFF}, 200),
    ("POST", "/api/v1/townships", {"name": "{t}", "uscc": "x", "region_code": "1"}, {"reform_admin"}, 400),
    ("GET", "/api/v1/seals", None, {"reform_admin", *STAFF}, 200),
    ("GET", "/api/v1/seals/{s}", None, {"reform_admin", *STAFF}, 200),
    ("POST", "/api/v1/seals", {"township": "{t}", "reason": "再刻一枚"}, {"reform_admin", "custodian"}, 409),
    ("POST", "/api/v1/seals/{s}/activate", {"reason": "已启用的章再启用"}, {"reform_admin"}, 409),
    ("POST", "/api/v1/seals/{s}/resume", {"reason": "未暂停的章恢复"}, {"reform_admin"}, 409),
    ("GET", "/api/v1/users", None, {"reform_admin"}, 200),
    ("POST", "/api/v1/users", {"name": "克城镇窗口", "role": "clerk", "township": "{t}"}, {"reform_admin"}, 409),
    ("GET", "/api/v1/audit", None, {"reform_admin"}, 200),
    ("GET", "/api/v1/seals/{s}/image.png", None, {"reform_admin", *STAFF}, 200),
    ("GET", "/api/v1/townships/{t}/legacy-seals", None, {"reform_admin", *STAFF}, 200),
    ("POST", "/api/v1/townships/{t}/legacy-seals", {"name": " "}, {"reform_admin"}, 400),
    # department viewers may read registers, limited to their own items (tests/oversight checks the rows)
    ("GET", "/api/v1/oversight/townships/{t}/register", None, {"reform_admin", "department", *STAFF}, 200),
    ("GET", "/api/v1/stamp-requests", None, {"reform_admin", *STAFF}, 200),
    ("POST", "/api/v1/stamp-requests/999999/approve", None, {"approver"}, 404),
    ("POST", "/api/v1/stamp-requests/999999/reject", {"reason": "x"}, {"approver"}, 404),
    ("GET", "/api/v1/stamp-batches", None, {"reform_admin", *STAFF}, 200),
    ("GET", "/api/v1/stamp-batches/999999", None, {"reform_admin", *STAFF}, 404),
    ("POST", "/api/v1/stamp-batches/999999/approve", None, {"approver"}, 404),
    ("POST", "/api/v1/stamp-batches/999999/reject", {"reason": "x"}, {"approver"}, 404),
]
# Routes whose target belongs to a township: township staff are allowed only on their own.
TOWNSHIP_SCOPED = {"{t}", "{s}"}


def _fill(value, township: str, seal_id: int):
    if isinstance(value, str):
        return value.replace("{t}", township).replace("{s}", str(seal_id))
    if isinstance(value, dict):
        return {k: _fill(v, township, seal_id) for k, v in value.items()}
    return value


def _expected(role: str, route: tuple, whose: str) -> int:
    _method, path, body, allowed, ok_status = route
    if role == "public":
        return 401
    if role not in allowed:
        return 403
    scoped = any(m in path for m in TOWNSHIP_SCOPED) or (body and "{t}" in str(body.get("township", "")))
    if role in STAFF and scoped and whose == "other":
        return 403
    return ok_status


@pytest.mark.parametrize("whose", ["own", "other"])
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
@pytest.mark.parametrize("role", list(ACTORS))
def test_authorization_matrix(demo, role, route, whose):
    township = "克城镇" if whose == "own" else "古县乡"
    seal = demo.client.get("/api/v1/seals", headers=demo.headers("县审批局管理员")).json()
    seal_id = next(s["id"] for s in seal if s["township"] == township and s["status"] == "active")
    method, path, body, _allowed, _ok = route
    before = newest_refusal(demo)
    url = _fill(path, township, seal_id)
    response = demo.client.request(method, url, json=_fill(body, township, seal_id), headers=demo.headers(ACTORS[role]))
    want = _expected(role, route, whose)
    assert response.status_code == want, response.text
    if want >= 400:
        error = response.json()["error"]
        assert error["code"] and error["message_zh"] and error["message_en"]
    if want in (401, 403):  # every refused attempt is on the audit record, whoever tried
        assert_refusal_audited(demo, before, actor=ACTORS[role] or "public", method=method, path=url)


def test_township_staff_list_only_their_own_township_and_seal(demo):
    headers = demo.headers("克城镇窗口")
    assert [t["name"] for t in demo.client.get("/api/v1/townships", headers=headers).json()] == ["克城镇"]
    assert {s["township"] for s in demo.client.get("/api/v1/seals", headers=headers).json()} == {"克城镇"}
    everyone = demo.client.get("/api/v1/townships", headers=demo.headers("县审批局管理员")).json()
    assert len(everyone) == 8


def test_refused_attempts_are_audited_with_actor_and_code(demo):
    other = demo.client.get("/api/v1/townships/古县乡", headers=demo.headers("克城镇批准人"))
    assert other.status_code == 403
    events = demo.client.get(
        "/api/v1/audit", params={"outcome": "refused"}, headers=demo.headers("县审批局管理员")
    ).json()
    assert any(e["actor"] == "克城镇批准人" and e["code"] == "wrong_township" for e in events)
