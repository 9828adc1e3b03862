"""Stamp batches over HTTP: several PDFs (clerk) -> one approval (approver) -> a background job -> progress."""

from __future__ import annotations

import datetime as dt
import time

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from esign.ledger.models import LedgerEntryRow
from esign.registry import Actor, find_person
from esign.workflow import approve_batch
from esign.workflow.models import StampBatchItemRow, StampRequestRow
from service.app import create_app
from tests.pdfgen import Page, Text, build_pdf, decision_pdf, decision_texts, scanned_pdf

CLERK, APPROVER = "克城镇窗口", "克城镇批准人"


def _submit(demo, who: str, files: list[tuple[str, bytes]], headers: dict[str, str] | None = None, **form):
    fields = {"seal": "克城镇", "item": "1", "reason": "批量受理临时救助申请", **form}
    return demo.client.post(
        "/api/v1/stamp-batches",
        data=fields,
        files=[("files", (name, data, "application/pdf")) for name, data in files],
        headers={**demo.headers(who), **(headers or {})},
    )


def _good(n: int, tag: str) -> list[tuple[str, bytes]]:
    return [(f"{tag}-{i}.pdf", decision_pdf(number=f"克政审受字〔2025〕第{tag}{i}号")) for i in range(n)]


def _wait_done(demo, batch_id: int, who: str = CLERK, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        r = demo.client.get(f"/api/v1/stamp-batches/{batch_id}", headers=demo.headers(who))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["stamped"] + body["failed"] + body["pending"] + body["rejected"] == body["total"]
        if body["status"] == "done":
            return body
        assert body["status"] == "running", body
        assert time.monotonic() < deadline, f"batch {batch_id} still running: {body}"
        time.sleep(0.2)


def _entries(demo) -> int:
    with demo.deployment.transaction() as session:
        return session.scalar(select(func.count()).select_from(LedgerEntryRow)) or 0


def _error(r, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code and err["message_zh"] and err["message_en"], err


def test_three_good_one_bad_then_approve_stamps_each_with_its_own_entry(demo):
    files = _good(3, "5")
    files.insert(1, ("照片.png", b"\x89PNG\r\n\x1a\n not a pdf"))
    r = _submit(demo, CLERK, files)
    assert r.status_code == 201, r.text
    batch = r.json()
    assert (batch["status"], batch["total"], batch["refused"], batch["pending"]) == ("pending", 3, 1, 3)
    assert [i["file_name"] for i in batch["items"]] == ["5-0.pdf", "照片.png", "5-1.pdf", "5-2.pdf"]
    assert [i["status"] for i in batch["items"]] == ["pending", "refused", "pending", "pending"]
    bad = batch["items"][1]
    assert bad["request_id"] is None and bad["error"]["code"] == "not_pdf" and bad["error"]["message_zh"]
    assert all(i["request_id"] and i["error"] is None for i in batch["items"] if i["status"] == "pending")

    # each accepted file is an ordinary pending stamp request of the clerk
    first = demo.client.get(f"/api/v1/stamp-requests/{batch['items'][0]['request_id']}", headers=demo.headers(CLERK))
    assert first.json()["status"] == "pending" and first.json()["clerk"] == CLERK

    before = _entries(demo)
    url = f"/api/v1/stamp-batches/{batch['id']}"
    _error(demo.client.get(url, headers=demo.headers("古县乡窗口")), 403, "wrong_township")
    _error(demo.client.get(url, headers=demo.headers("县民政局查看人")), 403, "role_not_allowed")
    assert demo.client.get(url, headers=demo.headers("县审批局管理员")).status_code == 200
    _error(demo.client.post(f"{url}/approve", headers=demo.headers("古县乡批准人")), 403, "wrong_township")
    _error(demo.client.post(f"{url}/approve", headers=demo.headers(CLERK)), 403, "role_not_allowed")
    _error(demo.client.post(f"{url}/approve", headers=demo.headers("县审批局管理员")), 403, "role_not_allowed")
    assert _entries(demo) == before

    ok = demo.client.post(f"{url}/approve", headers=demo.headers(APPROVER))
    assert ok.status_code == 202, ok.text
    assert ok.json()["status"] in ("running", "done") and ok.json()["approver"] == APPROVER
    done = _wait_done(demo, batch["id"])
    assert (done["total"], done["stamped"], done["failed"], done["pending"], done["refused"]) == (3, 3, 0, 0, 1)
    assert done["finished_at"] is not None
    assert _entries(demo) == before + 3

    stamped = [i for i in done["items"] if i["status"] == "stamped"]
    assert len({i["entry_id"] for i in stamped}) == 3
    for item in stamped:
        assert item["verify_url"].endswith(item["entry_id"])
        pdf = demo.client.get(item["result_url"], headers=demo.headers(CLERK))
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        report = demo.client.post("/api/v1/verify", files={"file": ("x.pdf", pdf.content)}).json()
        assert report["indication"] == "TOTAL_PASSED", report["conclusion_zh"]
        assert report["ledger"]["found"] and report["ledger"]["entry_id"] == item["entry_id"]
        request = demo.client.get(f"/api/v1/stamp-requests/{item['request_id']}", headers=demo.headers(CLERK)).json()
        assert request["status"] == "stamped" and request["approver"] == APPROVER
        assert request["entry_id"] == item["entry_id"]
    assert demo.client.get(stamped[0]["result_url"], headers=demo.headers("古县乡窗口")).status_code == 403


def test_approving_again_is_idempotent_and_never_stamps_twice(demo):
    batch = _submit(demo, CLERK, _good(3, "6")).json()
    url = f"/api/v1/stamp-batches/{batch['id']}/approve"
    before = _entries(demo)
    first = demo.client.post(url, headers=demo.headers(APPROVER))
    second = demo.client.post(url, headers=demo.headers(APPROVER))  # while the job may still be running
    assert first.status_code == second.status_code == 202
    done = _wait_done(demo, batch["id"])
    assert done["stamped"] == 3 and _entries(demo) == before + 3
    entries = sorted(i["entry_id"] for i in done["items"])

    again = demo.client.post(url, headers=demo.headers(APPROVER))
    assert again.status_code == 202 and again.json()["status"] == "done"
    time.sleep(0.5)
    assert _entries(demo) == before + 3
    assert sorted(i["entry_id"] for i in _wait_done(demo, batch["id"])["items"]) == entries


def test_reject_the_whole_batch_with_a_reason(demo):
    batch = _submit(demo, CLERK, _good(2, "7")).json()
    url = f"/api/v1/stamp-batches/{batch['id']}"
    before = _entries(demo)

    def reject(who: str, reason: str):
        return demo.client.post(f"{url}/reject", json={"reason": reason}, headers=demo.headers(who))

    _error(reject("古县乡批准人", "x"), 403, "wrong_township")
    _error(reject(CLERK, "x"), 403, "role_not_allowed")
    _error(reject(APPROVER, " "), 400, "reason_required")

    r = reject(APPROVER, "事由与材料不符")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["status"], body["rejected"], body["decision_reason"]) == ("rejected", 2, "事由与材料不符")
    assert [i["status"] for i in body["items"]] == ["rejected", "rejected"]
    for item in body["items"]:
        request = demo.client.get(f"/api/v1/stamp-requests/{item['request_id']}", headers=demo.headers(CLERK)).json()
        assert request["status"] == "rejected" and request["decision_reason"] == "事由与材料不符"

    _error(demo.client.post(f"{url}/approve", headers=demo.headers(APPROVER)), 409, "batch_decided")
    assert _entries(demo) == before


def test_bad_files_are_reported_one_by_one(demo):
    limit = demo.deployment.settings.max_upload_bytes
    encrypted = build_pdf([Page(texts=decision_texts())], user_password="克城2025")
    files = [
        ("加密.pdf", encrypted),
        ("大.pdf", b"%PDF-1.7\n" + b"0" * (limit + 10)),
        ("空.pdf", b""),
        ("坏.pdf", b"%PDF-1.4\n%%EOF garbage"),
        ("好.pdf", decision_pdf(number="克政审受字〔2025〕第801号")),
    ]
    r = _submit(demo, CLERK, files)
    assert r.status_code == 201, r.text
    body = r.json()
    codes = [(i["file_name"], i["status"], i["error"] and i["error"]["code"]) for i in body["items"]]
    assert codes == [
        ("加密.pdf", "refused", "pdf_encrypted"),
        ("大.pdf", "refused", "too_large"),
        ("空.pdf", "refused", "empty_file"),
        ("坏.pdf", "refused", "pdf_malformed"),
        ("好.pdf", "pending", None),
    ]
    assert (body["total"], body["refused"], body["status"]) == (1, 4, "pending")


def test_nothing_usable_leaves_a_finished_batch_without_requests(demo):
    body = _submit(demo, CLERK, [("a.txt", b"hello"), ("b.txt", b"world")]).json()
    assert (body["status"], body["total"], body["refused"]) == ("done", 0, 2)
    again = demo.client.post(f"/api/v1/stamp-batches/{body['id']}/approve", headers=demo.headers(APPROVER))
    assert again.status_code == 202 and again.json()["status"] == "done"


def test_shared_metadata_errors_refuse_the_whole_upload_with_a_4xx(demo):
    files = _good(1, "9")
    _error(_submit(demo, CLERK, files, item="颁发采矿许可证"), 403, "item_not_in_authority_list")
    _error(_submit(demo, CLERK, files, placement="[1, 2]"), 400, "bad_placement")
    _error(_submit(demo, CLERK, files, placement='{"mode": "nowhere"}'), 400, "bad_placement")
    _error(_submit(demo, CLERK, files, level="B-X"), 400, "bad_level")
    _error(_submit(demo, CLERK, files, reason=" "), 400, "reason_required")
    _error(_submit(demo, CLERK, files, seal="古县乡"), 403, "wrong_township")
    _error(_submit(demo, APPROVER, files), 403, "role_not_allowed")
    _error(_submit(demo, None, files), 401, "unauthenticated")
    _error(_submit(demo, CLERK, []), 400, "file_required")
    too_many = [("x.pdf", b"x")] * 101
    _error(_submit(demo, CLERK, too_many), 400, "too_many_files")


def test_a_document_that_cannot_be_stamped_is_refused_at_upload_with_its_reason_and_the_others_are_stamped(demo):
    no_keyword = build_pdf([Page(texts=(Text(105, 50, "情况说明", 16, "center"),))], seed="no-keyword")
    files = [*_good(2, "10"), ("无盖章处.pdf", no_keyword), ("扫描件.pdf", scanned_pdf())]
    batch = _submit(demo, CLERK, files).json()
    assert (batch["total"], batch["refused"]) == (2, 2)  # total counts the documents that became requests
    refused = {i["file_name"]: i for i in batch["items"] if i["status"] == "refused"}
    assert set(refused) == {"无盖章处.pdf", "扫描件.pdf"}
    assert {i["error"]["code"] for i in refused.values()} == {"keyword_not_found"}
    assert "文字层" in refused["扫描件.pdf"]["error"]["message_zh"]  # the scan is named as such
    assert all(i["request_id"] is None for i in refused.values())
    before = _entries(demo)
    demo.client.post(f"/api/v1/stamp-batches/{batch['id']}/approve", headers=demo.headers(APPROVER))
    done = _wait_done(demo, batch["id"])
    assert (done["stamped"], done["failed"], done["refused"]) == (2, 0, 2)
    assert _entries(demo) == before + 2


def test_idempotency_key_returns_the_same_batch(demo):
    h = {"Idempotency-Key": "batch-upload-7"}
    a = _submit(demo, CLERK, _good(1, "11"), headers=h).json()
    b = _submit(demo, CLERK, _good(1, "11"), headers=h).json()
    assert a["id"] == b["id"] and b["total"] == 1
    c = _submit(demo, CLERK, _good(1, "11")).json()
    assert c["id"] != a["id"]


def test_lists_show_only_the_own_township(demo):
    mine = _submit(demo, CLERK, _good(1, "12")).json()
    own = demo.client.get("/api/v1/stamp-batches", headers=demo.headers(APPROVER)).json()
    assert mine["id"] in [b["id"] for b in own] and {b["township"] for b in own} == {"克城镇"}
    other = demo.client.get("/api/v1/stamp-batches", headers=demo.headers("古县乡批准人")).json()
    assert mine["id"] not in [b["id"] for b in other]
    county = demo.client.get("/api/v1/stamp-batches?status=pending", headers=demo.headers("县审批局管理员")).json()
    assert mine["id"] in [b["id"] for b in county] and {b["status"] for b in county} == {"pending"}


def test_a_restarted_service_finishes_an_interrupted_batch(demo):
    dep = demo.deployment
    batch = _submit(demo, CLERK, _good(3, "13")).json()
    with dep.transaction() as session:
        boss = Actor.from_person(find_person(session, APPROVER))
    now = dt.datetime.now(dt.UTC)
    # the approval committed, then the process died: no job ran, and one document was being stamped
    assert approve_batch(dep, boss, batch["id"], at=now) is True
    with dep.transaction() as session:
        session.execute(
            update(StampBatchItemRow)
            .where(StampBatchItemRow.batch_id == batch["id"], StampBatchItemRow.position == 2)
            .values(last_run=1, claimed_until=now - dt.timedelta(seconds=1))
        )
    interrupted = demo.client.get(f"/api/v1/stamp-batches/{batch['id']}", headers=demo.headers(CLERK)).json()
    assert (interrupted["status"], interrupted["pending"]) == ("running", 3)

    before = _entries(demo)
    with TestClient(create_app(deployment=dep), raise_server_exceptions=False):  # the next start resumes it
        done = _wait_done(demo, batch["id"])
    assert done["stamped"] == 3 and _entries(demo) == before + 3
    with dep.transaction() as session:
        ids = [i["request_id"] for i in done["items"]]
        rows = session.scalars(select(StampRequestRow).where(StampRequestRow.id.in_(ids))).all()
        assert {r.status for r in rows} == {"stamped"} and len({r.entry_id for r in rows}) == 3


def test_approving_again_resumes_an_interrupted_batch(demo):
    dep = demo.deployment
    batch = _submit(demo, CLERK, _good(2, "14")).json()
    with dep.transaction() as session:
        boss = Actor.from_person(find_person(session, APPROVER))
    assert approve_batch(dep, boss, batch["id"], at=dt.datetime.now(dt.UTC)) is True  # ...and the job never ran
    time.sleep(0.5)
    stuck = demo.client.get(f"/api/v1/stamp-batches/{batch['id']}", headers=demo.headers(CLERK)).json()
    assert (stuck["status"], stuck["pending"]) == ("running", 2)
    before = _entries(demo)
    r = demo.client.post(f"/api/v1/stamp-batches/{batch['id']}/approve", headers=demo.headers(APPROVER))
    assert r.status_code == 202
    assert _wait_done(demo, batch["id"])["stamped"] == 2 and _entries(demo) == before + 2


def test_desk_pages_upload_approve_and_show_progress(demo):
    files = [("files", (name, data, "application/pdf")) for name, data in _good(2, "15")]
    r = demo.client.post(
        "/desk/batches",
        data={"item": "1", "reason": "窗口批量受理"},
        files=files,
        headers=demo.headers(CLERK),
        follow_redirects=False,
    )
    assert r.status_code == 303 and "/desk/batches/" in r.headers["location"], r.text
    batch_id = int(r.headers["location"].split("/desk/batches/")[1].split("?")[0])
    page = demo.client.get(f"/desk/batches/{batch_id}", headers=demo.headers(CLERK)).text
    assert f"批量用印 #{batch_id}" in page and "待批准" in page and 'id="approve"' not in page
    listed = demo.client.get("/desk/requests", headers=demo.headers(APPROVER)).text
    assert f'data-batch="{batch_id}"' in listed
    other = demo.client.get(f"/desk/batches/{batch_id}", headers=demo.headers("古县乡批准人"), follow_redirects=False)
    assert other.status_code == 303 and "kind=error" in other.headers["location"]

    assert 'id="approve"' in demo.client.get(f"/desk/batches/{batch_id}", headers=demo.headers(APPROVER)).text
    ok = demo.client.post(f"/desk/batches/{batch_id}/approve", headers=demo.headers(APPROVER), follow_redirects=False)
    assert ok.status_code == 303 and "kind=error" not in ok.headers["location"]
    assert _wait_done(demo, batch_id)["stamped"] == 2
    page = demo.client.get(f"/desk/batches/{batch_id}", headers=demo.headers(CLERK)).text
    assert "已完成" in page and 'value="2"' in page and page.count("下载 PDF") == 2
