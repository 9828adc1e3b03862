"""A request that approval finds can never be stamped ends as ``failed``, with the reason shown,
instead of waiting in the approver's queue for ever."""

from __future__ import annotations

import json

from esign.workflow.commit import blobs_of
from esign.workflow.models import StampRequestRow
from tests.pdfgen import decision_pdf

CLERK, APPROVER = "克城镇窗口", "克城镇批准人"


def _submit(demo, **form) -> dict:
    fields = {"seal": "克城镇", "item": "1", "reason": "受理临时救助申请", "title": "受理通知书", **form}
    r = demo.client.post(
        "/api/v1/stamp-requests",
        data=fields,
        files={"file": ("d.pdf", decision_pdf(number=json.dumps(form)[:20]), "application/pdf")},
        headers=demo.headers(CLERK),
    )
    assert r.status_code == 201, r.text
    return r.json()


def _pending_ids(demo) -> set[int]:
    rows = demo.client.get("/api/v1/stamp-requests", params={"status": "pending"}, headers=demo.headers(APPROVER))
    return {r["id"] for r in rows.json()}


def _ends_failed(demo, request_id: int, code: str) -> None:
    approve = demo.client.post(f"/api/v1/stamp-requests/{request_id}/approve", headers=demo.headers(APPROVER))
    assert approve.status_code == 400 or approve.status_code == 404, approve.text
    assert approve.json()["error"]["code"] == code
    row = demo.client.get(f"/api/v1/stamp-requests/{request_id}", headers=demo.headers(CLERK)).json()
    assert row["status"] == "failed" and row["failure_code"] == code and row["decision_reason"], row
    assert request_id not in _pending_ids(demo)
    again = demo.client.post(f"/api/v1/stamp-requests/{request_id}/approve", headers=demo.headers(APPROVER))
    assert again.status_code == 409 and again.json()["error"]["code"] == "request_decided"
    page = demo.client.get(f"/desk/requests/{request_id}", headers=demo.headers(APPROVER))
    assert page.status_code == 200 and "无法盖章的原因" in page.text and row["decision_reason"] in page.text
    assert 'id="approve"' not in page.text
    listing = demo.client.get("/desk/requests", headers=demo.headers(CLERK))
    assert row["decision_reason"] in listing.text


def test_a_keyword_that_is_not_there_ends_the_request_as_failed(demo):
    # Submit now checks the keyword too; a request recorded before it did (an older version, a restored
    # backup) still waits with a keyword its document does not hold.
    req = _submit(demo)
    with demo.deployment.transaction() as session:
        row = session.get(StampRequestRow, req["id"])
        row.placement = json.dumps({"mode": "keyword", "text": "此处没有的关键字"}, ensure_ascii=False)
    assert req["id"] in _pending_ids(demo)
    _ends_failed(demo, req["id"], "keyword_not_found")


def test_a_request_whose_document_was_lost_in_a_crash_ends_as_failed(demo):
    req = _submit(demo)
    blobs_of(demo.deployment).discard(req["input_sha256"])  # what a crash before the file reached the disk leaves
    _ends_failed(demo, req["id"], "document_not_found")


def test_a_refusal_of_the_approver_leaves_the_request_pending(demo):
    req = _submit(demo)
    other = demo.client.post(f"/api/v1/stamp-requests/{req['id']}/approve", headers=demo.headers("古县乡批准人"))
    assert other.status_code == 403
    assert req["id"] in _pending_ids(demo)
