"""Web sessions: a session id of its own in the cookie, ended at sign-out; a CSRF token on every
cookie-authenticated POST, sign-in included; failed sign-ins throttled per account and address."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

import esign.registry.accounts as accounts
from esign.config import Settings
from esign.deployment import Deployment
from esign.errors import AuthError
from esign.registry import find_person, find_seal
from esign.registry.accounts import authenticate_password, set_password
from esign.registry.models import Token, WebSession
from esign.registry.signin import MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_ADDRESS, _digest
from service.app import create_app

ADMIN, CLERK = "县审批局管理员", "克城镇窗口"
PASSWORD = "correct horse 9"
_addresses = (f"10.0.{n // 250}.{n % 250 + 1}" for n in itertools.count())


@pytest.fixture(scope="module")
def site(demo):
    with demo.deployment.transaction() as session:
        for name in (ADMIN, CLERK):
            set_password(find_person(session, name), PASSWORD)
    return demo


def browser(demo, *, https: bool = False) -> TestClient:
    """A fresh browser (its own cookie jar) at its own address."""
    return TestClient(
        demo.client.app,
        base_url="https://testserver" if https else "http://testserver",
        client=(next(_addresses), 40000),
        follow_redirects=False,
    )


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def sign_in(client: TestClient, name: str = ADMIN, password: str = PASSWORD) -> str:
    token = csrf_of(client.get("/admin/login").text)
    r = client.post("/admin/login", data={"name": name, "password": password, "csrf_token": token})
    assert r.status_code == 303 and "esign_session" in r.cookies, r.text
    return r.cookies["esign_session"]


def _set_cookie(response) -> str:
    return next(h for h in response.headers.get_list("set-cookie") if h.startswith("esign_session="))


def test_the_cookie_holds_a_session_id_of_its_own_stored_hashed(site):
    client = browser(site)
    session_id = sign_in(client)
    with site.deployment.transaction() as session:
        tokens = session.scalars(select(Token.digest)).all()
        row = session.scalar(select(WebSession).where(WebSession.digest == _digest(session_id)))
        assert row is not None and row.ended_at is None
        assert dt.timedelta(hours=7) < row.expires_at - row.created_at <= dt.timedelta(hours=8)
        assert _digest(session_id) not in tokens and session_id not in site.tokens.values()
        assert session.scalar(select(WebSession).where(WebSession.digest == session_id.encode())) is None


def test_cookie_flags_httponly_samesite_and_secure_over_https(site):
    plain, tls = browser(site), browser(site, https=True)
    for client in (plain, tls):
        token = csrf_of(client.get("/admin/login").text)
        r = client.post("/admin/login", data={"token": site.tokens[ADMIN], "csrf_token": token})
        assert r.status_code == 303, r.text
        header = _set_cookie(r).lower()
        assert "httponly" in header and "samesite=strict" in header
        assert ("secure" in header.split("; ")) is (client is tls), header
        assert r.cookies["esign_session"] != site.tokens[ADMIN]


def test_a_cross_site_post_with_the_cookie_but_without_the_token_is_refused(site):
    client = browser(site)
    sign_in(client)
    seal = _seal_id(site, "古县乡")
    for data, headers in (
        ({"reason": "伪造"}, {}),
        ({"reason": "伪造", "csrf_token": "forged"}, {}),
        ({"reason": "伪造", "csrf_token": csrf_of(client.get("/admin/seals").text)}, {"Sec-Fetch-Site": "cross-site"}),
    ):
        r = client.post(f"/admin/seals/{seal}/suspend", data=data, headers=headers)
        assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed", r.text
        assert r.json()["error"]["message_zh"] and r.json()["error"]["message_en"]
    assert _status(site, "古县乡") == "active"
    # The API routes accept the cookie as well: the same rule holds there (header X-CSRF-Token).
    r = client.post("/api/v1/ledger/checkpoint")
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"


def test_the_same_post_with_the_pages_token_goes_through(site):
    client = browser(site)
    sign_in(client)
    seal = _seal_id(site, "古县乡")
    token = csrf_of(client.get("/admin/seals").text)
    r = client.post(f"/admin/seals/{seal}/suspend", data={"reason": "保管人调岗", "csrf_token": token})
    assert r.status_code == 303 and "kind=error" not in r.headers["location"], r.headers["location"]
    assert _status(site, "古县乡") == "suspended"
    r = client.post(f"/admin/seals/{seal}/resume", data={"reason": "到岗"}, headers={"X-CSRF-Token": token})
    assert r.status_code == 303 and _status(site, "古县乡") == "active"


def test_login_csrf_a_cross_site_form_cannot_replace_the_victims_session(site):
    victim = browser(site)
    sign_in(victim, CLERK)
    before = victim.cookies["esign_session"]
    attacker = browser(site)
    attackers_token = csrf_of(attacker.get("/admin/login").text)  # valid for the attacker's browser only
    for data in (
        {"name": ADMIN, "password": PASSWORD},
        {"name": ADMIN, "password": PASSWORD, "csrf_token": attackers_token},
        {"token": site.tokens[ADMIN], "csrf_token": attackers_token},
    ):
        r = victim.post("/admin/login", data=data)
        assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed", r.text
        assert "esign_session" not in r.cookies
    assert victim.cookies["esign_session"] == before
    # A browser that has never seen the sign-in page has no pre-session secret: refused too.
    fresh = browser(site)
    r = fresh.post("/admin/login", data={"name": ADMIN, "password": PASSWORD, "csrf_token": attackers_token})
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"


def test_logout_ends_the_session_and_the_old_cookie_is_refused(site):
    client = browser(site)
    session_id = sign_in(client)
    assert client.get("/admin/seals").status_code == 200
    token = csrf_of(client.get("/admin/seals").text)
    r = client.post("/admin/logout", data={"csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == "/admin/login"
    with site.deployment.transaction() as session:
        row = session.scalar(select(WebSession).where(WebSession.digest == _digest(session_id)))
        assert row is not None and row.ended_at is not None
    replay = browser(site)
    replay.cookies.set("esign_session", session_id)
    r = replay.get("/admin/seals")
    assert r.status_code == 303 and r.headers["location"] == "/admin/login"
    r = replay.get("/api/v1/seals")
    assert r.status_code in (401, 403), r.text
    # Logout itself needs the token: a cross-site form cannot sign a user out either.
    other = browser(site)
    sign_in(other)
    assert other.post("/admin/logout").status_code == 403


def test_200_wrong_passwords_then_the_right_one_is_throttled(site):
    client = browser(site)
    token = csrf_of(client.get("/admin/login").text)
    codes = []
    for _ in range(200):
        r = client.post("/admin/login", data={"name": CLERK, "password": "wrong password", "csrf_token": token})
        codes.append(r.status_code)
    assert codes[:MAX_FAILURES_PER_ACCOUNT] == [303] * MAX_FAILURES_PER_ACCOUNT
    assert set(codes[MAX_FAILURES_PER_ACCOUNT:]) == {429}
    r = client.post("/admin/login", data={"name": CLERK, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 429 and "esign_session" not in r.cookies
    error = r.json()["error"]
    assert error["code"] == "too_many_attempts" and "分钟" in error["message_zh"] and "minute" in error["message_en"]
    assert 0 < int(r.headers["retry-after"]) <= 15 * 60
    # Per account: from another address the account is still throttled; a browser gets the page.
    elsewhere = browser(site)
    token = csrf_of(elsewhere.get("/admin/login").text)
    r = elsewhere.post(
        "/admin/login", data={"name": CLERK, "password": PASSWORD, "csrf_token": token}, headers={"Accept": "text/html"}
    )
    assert r.status_code == 429 and "登录失败次数过多" in r.text
    # Other accounts are not locked out by it.
    sign_in(elsewhere, ADMIN)


def test_failures_from_one_address_are_throttled_across_names_and_worker_processes(site, tmp_path):
    """A second app on its own engine (as a second worker process has) sees the same count."""
    address = next(_addresses)
    first = TestClient(site.client.app, client=(address, 1), follow_redirects=False)
    other_dep = Deployment.open(Settings(home=site.deployment.settings.home, public_base_url="http://testserver"))
    try:
        second = TestClient(create_app(deployment=other_dep), client=(address, 2), follow_redirects=False)
        for n in range(MAX_FAILURES_PER_ADDRESS):
            client = (first, second)[n % 2]
            token = csrf_of(client.get("/admin/login").text)
            r = client.post("/admin/login", data={"name": f"nobody{n}", "password": "x", "csrf_token": token})
            assert r.status_code == 303, (n, r.text)
        for client in (first, second):
            token = csrf_of(client.get("/admin/login").text)
            r = client.post("/admin/login", data={"name": ADMIN, "password": PASSWORD, "csrf_token": token})
            assert r.status_code == 429 and r.json()["error"]["code"] == "too_many_attempts"
    finally:
        other_dep.close()


@pytest.mark.parametrize("name", ["no such person", CLERK + "-gone"])
def test_an_unknown_name_costs_one_password_hash_like_a_wrong_password(site, monkeypatch, name):
    calls: list[str] = []
    real = accounts._scrypt

    def counting(password: str, salt: bytes) -> bytes:
        calls.append(password)
        return real(password, salt)

    monkeypatch.setattr(accounts, "_scrypt", counting)
    with site.deployment.transaction() as session:
        for who in (name, ADMIN, "克城镇批准人"):  # unknown; a wrong password; a person without a password
            with pytest.raises(AuthError):
                authenticate_password(session, who, "guess")
        assert calls == ["guess"] * 3
        assert authenticate_password(session, ADMIN, PASSWORD).name == ADMIN


def _seal_id(demo, township: str) -> int:
    with demo.deployment.transaction() as session:
        return find_seal(session, township).id


def _status(demo, township: str) -> str:
    with demo.deployment.transaction() as session:
        return find_seal(session, township).status


def test_behind_a_tls_proxy_the_cookies_are_secure(live_demo):
    """A real uvicorn server: X-Forwarded-Proto from the proxy's address (127.0.0.1, uvicorn's default
    FORWARDED_ALLOW_IPS) makes the request HTTPS, and the cookies Secure."""
    base, tokens, _home = live_demo
    for proto, secure in (("https", True), ("http", False)):
        with httpx.Client(base_url=base, headers={"X-Forwarded-Proto": proto}) as client:
            r = client.get("/admin/login")
            assert ("secure" in r.headers["set-cookie"].lower().split("; ")) is secure
            # The TLS proxy would send a Secure cookie back; this client speaks plain HTTP to the server.
            presession = r.headers["set-cookie"].split(";")[0]
            data = {"token": tokens[ADMIN], "csrf_token": csrf_of(r.text)}
            r = client.post("/admin/login", data=data, headers={"Cookie": presession})
            assert r.status_code == 303, r.text
            assert ("secure" in _set_cookie(r).lower().split("; ")) is secure


def _api_routes(routes):
    """Every APIRoute, also inside included routers (FastAPI 0.16x keeps those as their own objects)."""
    from fastapi.routing import APIRoute

    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif (included := getattr(route, "original_router", None)) is not None:
            yield from _api_routes(included.routes)


def _calls(dependant) -> set:
    found = {dependant.call}
    for sub in dependant.dependencies:
        found |= _calls(sub)
    return found


def test_every_cookie_authenticated_route_that_changes_state_refuses_a_post_without_the_token(site):
    """A sweep over the app: each POST/PUT/PATCH/DELETE route that takes its caller from the session
    cookie (it depends on get_actor) answers 403 csrf_failed to a signed-in browser without the token."""
    from service.auth import get_actor

    client = browser(site)
    sign_in(client)
    checked = []
    for route in _api_routes(site.client.app.routes):
        if get_actor not in _calls(route.dependant):
            continue
        for method in sorted(route.methods & {"POST", "PUT", "PATCH", "DELETE"}):
            path = re.sub(r"\{[^}]+\}", "1", route.path)
            r = client.request(method, path, data={"reason": "x"})
            assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed", (method, route.path, r.text)
            checked.append(route.path)
    assert {"/desk/requests", "/admin/seals/{seal_id}/{action}", "/desk/requests/{request_id}/approve"} <= set(checked)
    assert len(checked) > 15, checked


def test_only_a_page_with_a_form_that_posts_gives_a_visitor_the_pre_session_cookie(site):
    client = browser(site)
    assert "set-cookie" not in client.get("/status").headers  # a public page without such a form
    login = client.get("/admin/login")
    assert login.headers["set-cookie"].startswith("esign_csrf=")
    assert "set-cookie" not in client.get("/admin/login").headers  # kept, not replaced on every page
    assert csrf_of(client.get("/admin/login").text) == csrf_of(login.text)
