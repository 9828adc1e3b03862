"""The stamp request flow over HTTP: upload (clerk) -> approve (approver) -> download, and the register."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.pdfgen import decision_pdf


def _submit(demo, who: str, data: bytes, **form):
    fields = {"seal": "克城镇", "item": "1", "reason": "受理临时救助申请", "title": "受理通知书", **form}
    return demo.client.post(
        "/api/v1/stamp-requests",
        data=fields,
        files={"file": ("d.pdf", data, "application/pdf")},
        headers=demo.headers(who),
    )


def test_clerk_submits_approver_approves_anyone_with_access_downloads(demo):
    data = decision_pdf()
    r = _submit(demo, "克城镇窗口", data)
    assert r.status_code == 201, r.text
    req = r.json()
    assert req["status"] == "pending" and req["pages"] == 1

    other = demo.client.post(f"/api/v1/stamp-requests/{req['id']}/approve", headers=demo.headers("古县乡批准人"))
    assert other.status_code == 403 and other.json()["error"]["code"] == "wrong_township"

    ok = demo.client.post(f"/api/v1/stamp-requests/{req['id']}/approve", headers=demo.headers("克城镇批准人"))
    assert ok.status_code == 200, ok.text
    done = ok.json()
    assert done["status"] == "stamped" and done["verify_url"].endswith(done["entry_id"])

    pdf = demo.client.get(done["result_url"], headers=demo.headers("克城镇窗口"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert demo.client.get(done["result_url"], headers=demo.headers("古县乡窗口")).status_code == 403

    entry = demo.client.get(f"/api/v1/ledger/entries/{done['entry_id']}").json()
    assert entry["entry"]["output_sha256"] == done["output_sha256"]

    register = demo.client.get(
        "/api/v1/oversight/townships/克城镇/register", headers=demo.headers("克城镇保管人")
    ).json()
    assert any(row["登记编号"] == done["entry_id"] and row["使用人"] == "克城镇窗口" for row in register["rows"])
    xlsx = demo.client.get(
        "/api/v1/oversight/townships/克城镇/register", params={"format": "xlsx"}, headers=demo.headers("县审批局管理员")
    )
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["日期", "事由", "批准人", "使用人", "使用数"]
    assert any(row[8] == done["entry_id"] for row in sheet.iter_rows(min_row=2, values_only=True))


def test_the_approvals_answer_is_the_request_as_stored_then_and_when_asked_again(demo):
    """The approval answers with the request as the record left it (not read again): field for field
    what a later GET shows, for the approval that stamps and for the same approval asked again."""
    req = _submit(demo, "克城镇窗口", decision_pdf()).json()
    url = f"/api/v1/stamp-requests/{req['id']}"
    first = demo.client.post(f"{url}/approve", headers=demo.headers("克城镇批准人"))
    again = demo.client.post(f"{url}/approve", headers=demo.headers("克城镇批准人"))
    stored = demo.client.get(url, headers=demo.headers("克城镇窗口")).json()
    assert stored["status"] == "stamped" and stored["approver"] == "克城镇批准人" and stored["decided_at"]
    assert stored["created_at"] == req["created_at"] and stored["entry_id"] and stored["signed_at"]
    for answer in (first, again):
        assert answer.status_code == 200, answer.text
        assert {k: v for k, v in answer.json().items() if k != "notes"} == {
            k: v for k, v in stored.items() if k != "notes"
        }


def test_rejection_records_the_reason_and_stamps_nothing(demo):
    req = _submit(demo, "克城镇窗口", decision_pdf(title="补正材料告知书"), document_type="补正材料告知书").json()
    r = demo.client.post(
        f"/api/v1/stamp-requests/{req['id']}/reject", json={"reason": "材料不全"}, headers=demo.headers("克城镇批准人")
    )
    assert r.status_code == 200 and r.json()["status"] == "rejected" and r.json()["entry_id"] is None
    again = demo.client.post(f"/api/v1/stamp-requests/{req['id']}/approve", headers=demo.headers("克城镇批准人"))
    assert again.status_code == 409 and again.json()["error"]["code"] == "request_decided"


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        (b"", 400, "empty_file"),
        (b"\x89PNG\r\n\x1a\n not a pdf", 400, "not_pdf"),
        (b"%PDF-1.4\n%%EOF garbage", 400, "pdf_malformed"),
    ],
)
def test_bad_uploads_get_a_clear_4xx(demo, payload, status, code):
    r = _submit(demo, "克城镇窗口", payload)
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code and err["message_zh"] and err["message_en"]


def test_huge_upload_is_refused_with_413(demo):
    limit = demo.deployment.settings.max_upload_bytes
    r = _submit(demo, "克城镇窗口", b"%PDF-1.7\n" + b"0" * (limit + 10))
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"


def test_idempotency_key_returns_the_same_request(demo):
    data = decision_pdf(number="克政审受字〔2025〕第099号")
    first = _submit(demo, "克城镇窗口", data, **{}).json()
    h = {**demo.headers("克城镇窗口"), "Idempotency-Key": "upload-42"}
    fields = {"seal": "克城镇", "item": "1", "reason": "受理", "title": "受理通知书"}
    a = demo.client.post("/api/v1/stamp-requests", data=fields, files={"file": ("d.pdf", data)}, headers=h).json()
    b = demo.client.post("/api/v1/stamp-requests", data=fields, files={"file": ("d.pdf", data)}, headers=h).json()
    assert a["id"] == b["id"] != first["id"]


def test_item_outside_the_list_and_approver_as_clerk_are_refused(demo):
    r = _submit(demo, "克城镇窗口", decision_pdf(), item="颁发采矿许可证")
    assert r.status_code == 403 and r.json()["error"]["code"] == "item_not_in_authority_list"
    r = _submit(demo, "克城镇批准人", decision_pdf())
    assert r.status_code == 403 and r.json()["error"]["code"] == "role_not_allowed"
