"""Hostile inputs are clear 4xx errors on SQLite and on the real PostgreSQL, never a 500.

NUL bytes (PostgreSQL's ``text`` cannot hold one), numbers past 64 bits, unknown enum values,
malformed placements, dates at the ends of the calendar, bidi overrides and unbounded texts.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from fastapi.testclient import TestClient

from esign.config import Settings
from esign.deployment import Deployment
from esign.setup import create_demo
from service.app import create_app
from tests.conftest import pg_schema
from tests.pdfgen import decision_pdf
from tests.service.conftest import DemoCounty

BIG = str(2**63)
ADMIN, CLERK, APPROVER = "县审批局管理员", "克城镇窗口", "克城镇批准人"


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def county(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoCounty]:
    """The demo county on a fresh SQLite file or a fresh schema of the real PostgreSQL."""
    with ExitStack() as stack:
        url = stack.enter_context(pg_schema()) if request.param == "postgres" else None
        home = tmp_path_factory.mktemp("hostile")
        dep = Deployment.open(Settings(home=home, public_base_url="http://testserver", database_url=url))
        stack.callback(dep.close)
        rows = create_demo(dep, at=dt.datetime.now(dt.UTC))
        assert rows is not None
        with TestClient(create_app(deployment=dep), raise_server_exceptions=False) as client:
            yield DemoCounty(client, dep, {name: token for name, _role, _t, token in rows})


def _refused(response, status: int | None = None, code: str | None = None) -> dict:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    if status is not None:
        assert response.status_code == status, response.text[:300]
    error = response.json()["error"]
    assert error["code"] and error["message_zh"] and error["message_en"], error
    if code is not None:
        assert error["code"] == code, error
    return error


NUL_URLS = [
    "/api/v1/seal-status?seal=a%00b",
    "/v/a%00b",
    "/api/v1/townships/a%00b",
    "/api/v1/seals/a%00b",
    "/api/v1/ledger/entries/a%00b",
    "/api/v1/oversight/register?user=a%00b",
    "/api/v1/oversight/register?item=a%00b",
    "/api/v1/oversight/register?township=a%00b",
    "/status?seal=a%00b",
]


@pytest.mark.parametrize("url", NUL_URLS)
def test_nul_in_a_path_or_query_is_invalid_text(county, url):
    _refused(county.client.get(url, headers=county.headers(ADMIN)), 400, "invalid_text")


NUL_BODIES = [  # (url, body, code): a text that is stored is invalid_text; a name looked up is not found
    ("/api/v1/seals", {"township": "克城镇", "reason": "a\x00b"}, "invalid_text"),
    ("/api/v1/seals", {"township": "克\x00城镇", "reason": "换章"}, "township_not_found"),
    ("/api/v1/users", {"name": "a\x00b", "role": "clerk", "township": "克城镇"}, "invalid_text"),
    ("/api/v1/users", {"name": "张三", "role": "clerk", "township": "克城\x00镇"}, "township_not_found"),
    ("/api/v1/users", {"name": "张三", "role": "department", "department": "民政\x00局"}, "invalid_text"),
    ("/api/v1/townships", {"name": "新\x00镇", "uscc": "x", "region_code": "141033"}, "invalid_text"),
    ("/api/v1/townships/克城镇/legacy-seals", {"name": "林业站\x00"}, "invalid_text"),
    (
        "/api/v1/townships/克城镇/legacy-seals",
        {"name": "林业站", "disposition": "保留", "approval_ref": "蒲\x00"},
        "invalid_text",
    ),
    ("/api/v1/seals/克城镇/suspend", {"reason": "\u202e停用"}, "invalid_text"),
]


@pytest.mark.parametrize(("url", "body", "code"), NUL_BODIES)
def test_nul_in_a_json_field_is_refused(county, url, body, code):
    _refused(county.client.post(url, json=body, headers=county.headers(ADMIN)), code=code)


def _submit(county: DemoCounty, **form: str):
    fields = {"seal": "克城镇", "item": "1", "reason": "受理临时救助申请", "title": "受理通知书", **form}
    return county.client.post(
        "/api/v1/stamp-requests",
        data=fields,
        files={"file": ("d.pdf", decision_pdf(), "application/pdf")},
        headers=county.headers(CLERK),
    )


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"reason": "受理\x00申请"}, "invalid_text"),
        ({"title": "受理通知书\x00"}, "invalid_text"),
        ({"reason": "受理\u202e申请"}, "invalid_text"),  # RIGHT-TO-LEFT OVERRIDE: the register refuses it
        ({"title": "\u2066受理通知书\u2069"}, "invalid_text"),
        ({"seal": "克城\x00镇"}, "seal_not_found"),
        ({"item": "临时\x00救助"}, "item_not_in_authority_list"),
        ({"item": BIG}, "item_not_in_authority_list"),
        ({"seal": BIG}, "seal_not_found"),
        ({"reason": "长" * 501}, "text_too_long"),
        ({"document_type": "bogus"}, "bad_document_type"),
    ],
    ids=lambda f: json.dumps(f, ensure_ascii=True)[:40],
)
def test_what_approval_would_refuse_is_refused_at_submit(county, form, code):
    before = county.client.get("/api/v1/stamp-requests", headers=county.headers(CLERK)).json()
    _refused(_submit(county, **form), code=code)
    after = county.client.get("/api/v1/stamp-requests", headers=county.headers(CLERK)).json()
    assert len(after) == len(before)  # nothing is left waiting that could never be approved


@pytest.mark.parametrize(
    "placement",
    [
        '{"mode": "keyword", "also_on_pages": 3}',
        '{"mode": "keyword", "also_on_pages": ["a", "b"]}',
        '{"mode": "keyword", "also_on_pages": [1e999]}',
        '{"mode": "position", "x_mm": 1e999, "y_mm": 10}',
        '{"mode": "position", "page": 1e999, "x_mm": 10, "y_mm": 10}',
        '{"mode": "position", "page": 99999999999999999999999, "x_mm": 10, "y_mm": 10}',
        '{"mode": "keyword", "text": [1, 2]}',
        '{"mode": "keyword", "text": "盖\\u0000章"}',
        '{"mode": "keyword", "riding_seal": "yes"}',
        '{"mode": "field", "name": {"a": 1}}',
        "[" * 100_000 + "]" * 100_000,
        '{"a": ' * 100_000 + "1" + "}" * 100_000,
    ],
    ids=lambda p: p[:40],
)
def test_malformed_placement_is_bad_placement(county, placement):
    _refused(_submit(county, placement=placement), 400, "bad_placement")


def test_unknown_role_is_refused(county):
    r = county.client.post(
        "/api/v1/users", json={"name": "王五", "role": "x", "township": "克城镇"}, headers=county.headers(ADMIN)
    )
    _refused(r, 422)


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/townships/{BIG}",
        f"/api/v1/seals/{BIG}",
        f"/api/v1/stamp-requests/{BIG}",
        f"/api/v1/stamp-batches/{BIG}",
        f"/api/v1/feed/subscriptions/{BIG}/deliveries",
        f"/api/v1/feed?after={BIG}",
        f"/api/v1/ledger/proof/consistency?from=1&to={BIG}",
        f"/api/v1/oversight/register?offset={BIG}",
        f"/api/v1/oversight/register?township={BIG}",
        f"/api/v1/oversight/dashboard?township={BIG}",
        f"/api/v1/townships/{'²'}",  # a Unicode digit: str.isdigit() says yes, int() says no
        # Row ids are PostgreSQL integers (32-bit): past that, or negative, nothing is found.
        "/api/v1/stamp-requests/2251478671",
        "/api/v1/stamp-requests/-56943987078",
        "/api/v1/stamp-batches/2251478671",
        "/api/v1/feed/subscriptions/2251478671/deliveries",
        "/api/v1/townships/2251478671",
        "/api/v1/seals/2251478671",
        "/api/v1/feed?after=2251478671",
    ],
)
def test_numbers_past_64_bits_are_refused(county, url):
    r = county.client.get(url, headers=county.headers(ADMIN))
    if url.endswith("/2251478671/deliveries"):  # a log of a subscription that cannot exist is empty
        assert r.status_code == 200 and r.json() == [], r.text
    else:
        _refused(r)


@pytest.mark.parametrize(
    "body",
    [
        {"township": BIG, "reason": "换章"},
        {"township": "-" + BIG, "reason": "换章"},
    ],
)
def test_numbers_past_64_bits_in_a_body_are_refused(county, body):
    _refused(county.client.post("/api/v1/seals", json=body, headers=county.headers(ADMIN)))


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/oversight/register?since=0001-01-01",
        "/api/v1/oversight/register?until=9999-12-31",
        "/api/v1/oversight/register?document_type=bogus",
        "/api/v1/oversight/townships/克城镇/register/9999-12.pdf",
        "/api/v1/oversight/anomalies?since=0001-01-01",
        "/api/v1/oversight/anomalies?until=9999-12-31",
        "/api/v1/seal-status?seal=141033103001&at=0001-01-01T00:00:00%2B14:00",
        "/oversight/register?since=0001-01-01",
    ],
)
def test_dates_at_the_ends_of_the_calendar_are_refused(county, url):
    r = county.client.get(url, headers=county.headers(ADMIN))
    assert 400 <= r.status_code < 500, r.text[:300]


def test_the_register_cursor_cannot_overflow(county):
    import base64

    for raw in (f"2026-01-01T00:00:00+00:00|{BIG}", "0001-01-01T00:00:00+14:00|1"):
        cursor = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
        r = county.client.get("/api/v1/oversight/register", params={"cursor": cursor}, headers=county.headers(ADMIN))
        _refused(r, 400)


def test_every_text_field_is_bounded(county):
    r = county.client.post(
        "/api/v1/townships/克城镇/legacy-seals", json={"name": "林" * 1_000_000}, headers=county.headers(ADMIN)
    )
    _refused(r, 400, "text_too_long")
    r = county.client.post(
        "/api/v1/seals/克城镇/suspend", json={"reason": "停" * 100_000}, headers=county.headers(ADMIN)
    )
    _refused(r, 400, "text_too_long")


@pytest.mark.parametrize(
    "body",
    [
        {"department": "蒲县\x00民政局"},
        {"department": "蒲县民政局", "url": "https://example.org/\x00hook"},
        {"department": "蒲县民政局", "url": "https://[::1/hook"},
        {"department": "蒲县民政局", "items": [2**40]},
        {"department": "蒲县民政局", "items": [-1]},
        {"department": "蒲县民政局", "items": [1], "catalog": "目录\x00"},
    ],
    ids=lambda b: json.dumps(b, ensure_ascii=True)[:50],
)
def test_a_hostile_subscription_is_refused(county, body):
    _refused(county.client.post("/api/v1/feed/subscriptions", json=body, headers=county.headers(ADMIN)), 400)


@pytest.mark.parametrize("name", ["县审批局\x00管理员", "\u202e县审批局管理员"])
def test_a_login_name_with_a_control_character_is_just_a_wrong_name(county, name):
    import re

    def attempt(who: str):
        token = re.search(r'name="csrf_token" value="([^"]+)"', county.client.get("/admin/login").text)
        assert token is not None
        data = {"name": who, "password": "x", "csrf_token": token.group(1)}
        return county.client.post("/admin/login", data=data, follow_redirects=False)

    hostile, unknown = attempt(name), attempt("没有这个人")
    assert hostile.status_code < 500, hostile.text[:300]
    answer = (hostile.status_code, hostile.headers.get("location"))
    assert answer == (unknown.status_code, unknown.headers.get("location"))
