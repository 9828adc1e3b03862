"""The oversight API and pages over HTTP on the demo county: who sees what, exports, PDF, anomalies.

The expectations of the permission matrix are written out here, independent of
``esign.registry.authz``: if the table changes, this test must be changed with it, deliberately.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import subprocess

import openpyxl
import pytest

from tests.oversight.demo_data import populate
from tests.refusals import assert_refusal_audited, newest_refusal

ACTORS = {
    "public": None,
    "reform_admin": "县审批局管理员",
    "department": "县民政局查看人",
    "custodian": "克城镇保管人",
    "approver": "克城镇批准人",
    "clerk": "克城镇窗口",
}
STAFF = {"custodian", "approver", "clerk"}
MONTH = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m")

# (path, roles allowed, scoped to a township {t})
ROUTES = [
    ("/api/v1/oversight/register", {"reform_admin", "department", *STAFF}, False),
    ("/api/v1/oversight/register?township={t}", {"reform_admin", "department", *STAFF}, True),
    ("/api/v1/oversight/register?format=csv", {"reform_admin", "department", *STAFF}, False),
    ("/api/v1/oversight/townships/{t}/register", {"reform_admin", "department", *STAFF}, True),
    ("/api/v1/oversight/townships/{t}/register?format=xlsx", {"reform_admin", "department", *STAFF}, True),
    (f"/api/v1/oversight/townships/{{t}}/register/{MONTH}.pdf", {"reform_admin", "department", *STAFF}, True),
    ("/api/v1/oversight/dashboard", {"reform_admin", "department", *STAFF}, False),
    ("/api/v1/oversight/dashboard?township={t}", {"reform_admin", "department", *STAFF}, True),
    ("/api/v1/oversight/dashboard/refusals.csv", {"reform_admin", "department", *STAFF}, False),
    ("/api/v1/oversight/anomalies", {"reform_admin"}, False),
    ("/oversight/register", {"reform_admin", "department", *STAFF}, False),
    ("/oversight/register?township={t}", {"reform_admin", "department", *STAFF}, True),
    ("/oversight/dashboard", {"reform_admin", "department", *STAFF}, False),
    ("/oversight/anomalies", {"reform_admin"}, False),
]


@pytest.fixture(scope="module")
def stamped(demo):
    return populate(demo.deployment, at=dt.datetime.now(dt.UTC))


def _expected(role: str, path: str, allowed: set[str], scoped: bool, whose: str) -> int:
    if role == "public":
        return 303 if path.startswith("/oversight") else 401
    if role not in allowed or (role in STAFF and scoped and whose == "other"):
        return 403
    return 200


CASES = [
    pytest.param(role, route, whose, id=f"{role}-{route[0]}-{whose}")
    for role in ACTORS
    for route in ROUTES
    for whose in (("own", "other") if route[2] else ("own",))
]


@pytest.mark.parametrize(("role", "route", "whose"), CASES)
def test_permission_matrix(demo, stamped, role, route, whose):
    path, allowed, scoped = route
    url = path.replace("{t}", "克城镇" if whose == "own" else "古县乡")
    before = newest_refusal(demo)
    response = demo.client.get(url, headers=demo.headers(ACTORS[role]), follow_redirects=False)
    want = _expected(role, path, allowed, scoped, whose)
    assert response.status_code == want, response.text[:300]
    if want >= 400 and url.startswith("/api"):
        error = response.json()["error"]
        assert error["code"] and error["message_zh"] and error["message_en"]
    if want in (401, 403):  # the use case records it (pages answer it themselves), once, under the permission
        assert_refusal_audited(demo, before, actor=ACTORS[role] or "public", method="GET", path=url)
        refused = newest_refusal(demo)
        assert refused is not None and refused["action"] in {
            "oversight.register",
            "oversight.dashboard",
            "oversight.anomalies",
        }, refused


def _rows(demo, who: str, **params) -> list[dict]:
    r = demo.client.get("/api/v1/oversight/register", params={"limit": 1000, **params}, headers=demo.headers(who))
    assert r.status_code == 200, r.text
    return r.json()["rows"]


def test_each_role_sees_its_slice(demo, stamped):
    everything = _rows(demo, "县审批局管理员")
    assert {r["entry_id"] for r in everything} >= set(stamped)
    assert {r["乡镇"] for r in everything} >= {"克城镇", "古县乡", "蒲城镇", "薛关镇"}
    own = _rows(demo, "克城镇窗口")
    assert own and {r["乡镇"] for r in own} == {"克城镇"}
    assert {r["entry_id"] for r in own} == {r["entry_id"] for r in everything if r["乡镇"] == "克城镇"}
    civil = _rows(demo, "县民政局查看人")
    assert civil and {r["department"] for r in civil} == {"县民政局"}
    assert {r["item_number"] for r in civil} <= {"1", "2", "3"}
    assert {r["entry_id"] for r in civil} == {r["entry_id"] for r in everything if r["department"] == "县民政局"}
    # The dashboard follows the same slices; refusals are not shown to a department.
    board = demo.client.get("/api/v1/oversight/dashboard", headers=demo.headers("克城镇保管人")).json()
    assert {c["乡镇"] for c in board["per-month"]} == {"克城镇"} and board["show_refusals"]
    civil_board = demo.client.get("/api/v1/oversight/dashboard", headers=demo.headers("县民政局查看人")).json()
    assert civil_board["refusals"] == [] and not civil_board["show_refusals"]
    assert sum(c["用印次数"] for c in civil_board["by-type"]) == len(civil)


def test_filters_and_paging_over_http(demo, stamped):
    admin = "县审批局管理员"
    assert [r["乡镇"] for r in _rows(demo, admin, township="古县乡")] == ["古县乡", "古县乡"]
    approvals = _rows(demo, admin, document_type="准予许可决定书")
    assert len(approvals) == 2 and {r["事由"] for r in approvals} == {"临时救助审批", "孤儿基本生活保障金给付"}
    assert {r["使用人"] for r in _rows(demo, admin, user="蒲城镇窗口")} == {"蒲城镇窗口"}
    assert len(_rows(demo, admin, item="高龄补贴")) == 3
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    assert len(_rows(demo, admin, since=str(today), until=str(today))) == len(stamped)
    assert _rows(demo, admin, until=str(today - dt.timedelta(days=1))) == []
    seen, cursor = [], None
    while True:
        params = {"limit": 4, "order": "desc", **({"cursor": cursor} if cursor else {})}
        body = demo.client.get("/api/v1/oversight/register", params=params, headers=demo.headers(admin)).json()
        seen += [r["entry_id"] for r in body["rows"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == [r["entry_id"] for r in _rows(demo, admin)][::-1]
    bad = demo.client.get("/api/v1/oversight/register", params={"since": "3月1日"}, headers=demo.headers(admin))
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "since"


def test_exports_csv_and_xlsx(demo, stamped):
    h = demo.headers("县审批局管理员")
    r = demo.client.get("/api/v1/oversight/register", params={"format": "xlsx", "township": "克城镇"}, headers=h)
    assert r.status_code == 200 and "filename*=UTF-8''" in r.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("乡镇", "日期", "事由", "批准人", "使用人", "使用数")
    assert {row[0] for row in rows[1:]} == {"克城镇"} and len(rows) == 5
    assert {row[2] for row in rows[1:]} == {"受理高龄补贴申请", "临时救助审批", "受理临时救助申请", "出具证明"}
    assert {row[3] for row in rows[1:]} == {"克城镇批准人"} and {row[4] for row in rows[1:]} == {"克城镇窗口"}
    # A township's own export is the ledger's township register (no 乡镇 column).
    own = demo.client.get(
        "/api/v1/oversight/townships/克城镇/register", params={"format": "csv"}, headers=demo.headers("克城镇保管人")
    )
    table = list(csv.reader(io.StringIO(own.content.decode("utf-8-sig"))))
    assert table[0][:5] == ["日期", "事由", "批准人", "使用人", "使用数"] and len(table) == 5


def test_register_page_keeps_the_filters_in_its_links(demo, stamped):
    """The page reads the same filters as the API; its download and paging links repeat them."""
    from html import escape
    from urllib.parse import quote, urlencode

    h = demo.headers("县审批局管理员")
    today = str(dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date())
    asked = {"since": today, "township": "克城镇", "item": "", "document_type": "受理通知书", "limit": 1}
    page = demo.client.get("/oversight/register", params=asked, headers=h)
    assert page.status_code == 200, page.text[:300]
    kept = urlencode({"since": today, "township": "克城镇", "document_type": "受理通知书"})
    township_id = _rows(demo, "县审批局管理员", township="克城镇")[0]["township_id"]
    api = f"/api/v1/oversight/townships/{township_id}/register"
    for fmt in ("csv", "xlsx"):
        assert f'href="{escape(f"{api}?{kept}&format={fmt}")}"' in page.text
    assert f'id="next" href="{escape(f"/oversight/register?{kept}&cursor=")}' in page.text
    bad = demo.client.get("/oversight/register", params={"document_type": "通知"}, headers=h)
    assert bad.status_code == 400 and "未知的文书类型" in bad.text
    # A township named by id: the PDF's file name is still its name.
    pdf = demo.client.get(f"{api}/{MONTH}.pdf", headers=h)
    assert pdf.status_code == 200 and quote("克城镇用印登记台账") in pdf.headers["content-disposition"]


def test_monthly_pdf_over_http(demo, stamped):
    r = demo.client.get(
        f"/api/v1/oversight/townships/克城镇/register/{MONTH}.pdf", headers=demo.headers("克城镇保管人")
    )
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed")
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=r.content, capture_output=True).stdout.decode()
    year, month = MONTH.split("-")
    assert f"蒲县克城镇行政审批服务专用章用印登记台账（{int(year)}年{int(month)}月）" in text
    assert "临时救助审批" in text and "克城镇批准人" in text
    page = demo.client.get(
        "/oversight/register/monthly", params={"township": 4, "month": MONTH}, follow_redirects=False
    )
    assert page.status_code == 303 and page.headers["location"].endswith(f"/4/register/{MONTH}.pdf")


def test_anomalies_report_the_refused_attempts(demo, stamped):
    h = demo.headers("县审批局管理员")
    body = demo.client.get("/api/v1/oversight/anomalies", headers=h).json()
    rules = {f["rule"]: f for f in body["findings"]}
    assert {"inactive_seal", "outside_authority"} <= set(rules)
    inactive = rules["inactive_seal"]
    assert inactive["actor"] == "古县乡窗口" and inactive["count"] == 2 and inactive["township"] == "古县乡"
    assert {e["code"] for e in inactive["audit_events"]} == {"seal_not_active"}
    assert rules["outside_authority"]["actor"] == "克城镇窗口" and rules["outside_authority"]["count"] == 2
    assert "self_approval" not in rules
    page = demo.client.get("/oversight/anomalies", headers=h)
    assert page.status_code == 200 and "使用已暂停或注销的印章" in page.text and "seal_not_active" in page.text
    actions = re.findall(r'<td title="([a-z_.]+)">([^<]*)</td>', page.text)  # the audit events' action column
    assert actions and all(label and label != code and "." not in label for code, label in actions), actions
    report = demo.client.get("/api/v1/oversight/anomalies", params={"format": "csv"}, headers=h)
    assert report.content.decode("utf-8-sig").splitlines()[0].startswith("规则,时间,乡镇")
    refused = demo.client.get("/oversight/anomalies", headers=demo.headers("克城镇保管人"))
    assert refused.status_code == 403 and "无权" in refused.text


def test_dashboard_csv_matches_the_page(demo, stamped):
    h = demo.headers("县审批局管理员")
    board = demo.client.get("/api/v1/oversight/dashboard", headers=h).json()
    text = demo.client.get("/api/v1/oversight/dashboard/refusals.csv", headers=h).content.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == ["原因代码", "原因", "次数"]
    assert {row[0]: int(row[2]) for row in table[1:]} == {c["原因代码"]: c["次数"] for c in board["refusals"]}
    assert {"seal_not_active", "item_not_in_authority_list", "wrong_township", "role_not_allowed"} <= {
        row[0] for row in table[1:]
    }
    page = demo.client.get("/oversight/dashboard", headers=h)
    assert page.status_code == 200 and page.text.count("<svg") == 4 and "下载数据（CSV）" in page.text
    assert demo.client.get("/api/v1/oversight/dashboard/nothing.csv", headers=h).status_code == 404
