"""The desk tells the clerk before submitting: placement checked at submit with the server's reason,
a preview of where the seal and QR code go, plain Chinese labels; the approver's queue lists each
document once; batch documents carry their file names as titles."""

from __future__ import annotations

import io
import re
from urllib.parse import unquote

from PIL import Image
from sqlalchemy import func, select

from esign.workflow.models import StampRequestRow
from tests.pdfgen import decision_pdf, scanned_pdf
from tests.pixels import rgb_pixels

CLERK, APPROVER = "克城镇窗口", "克城镇批准人"


def _requests(demo) -> int:
    with demo.deployment.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(StampRequestRow)) or 0)


def _form(**extra):
    return {"item": "1", "reason": "受理高龄补贴申请", **extra}


def test_a_scan_is_refused_at_submit_with_the_reason(demo):
    before = _requests(demo)
    r = demo.client.post(
        "/desk/requests",
        data=_form(),
        files={"file": ("扫描件.pdf", scanned_pdf(), "application/pdf")},
        headers=demo.headers(CLERK),
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/desk/new")
    message = unquote(r.headers["location"])
    assert "未能提交" in message and "文字层" in message and "扫描件" in message
    assert _requests(demo) == before


def test_a_missing_keyword_is_refused_at_submit(demo):
    r = demo.client.post(
        "/desk/requests",
        data=_form(keyword="不存在的字样"),
        files={"file": ("d.pdf", decision_pdf(), "application/pdf")},
        headers=demo.headers(CLERK),
        follow_redirects=False,
    )
    assert "找不到定位关键字" in unquote(r.headers["location"])


def test_the_preview_before_submit_draws_the_page_or_says_why_not(demo):
    ok = demo.client.post(
        "/desk/preview.png",
        data={"mode": "keyword"},
        files={"file": ("d.pdf", decision_pdf(), "application/pdf")},
        headers=demo.headers(CLERK),
    )
    assert ok.status_code == 200 and ok.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(ok.content)).convert("RGB")
    reds = sum(1 for r, g, b in rgb_pixels(image) if r > 150 and g < 90 and b < 90)
    assert reds > 200, "the red seal is drawn on the page"
    position = demo.client.post(
        "/desk/preview.png",
        data={"mode": "position", "page": "", "x_mm": "150", "y_mm": "240"},
        files={"file": ("s.pdf", scanned_pdf(), "application/pdf")},
        headers=demo.headers(CLERK),
    )
    assert position.status_code == 200  # a scan can be placed by position
    scan = demo.client.post(
        "/desk/preview.png",
        data={"mode": "keyword"},
        files={"file": ("s.pdf", scanned_pdf(), "application/pdf")},
        headers=demo.headers(CLERK),
    )
    assert scan.status_code == 400
    error = scan.json()["error"]
    assert error["code"] == "keyword_not_found" and "文字层" in error["message_zh"]
    denied = demo.client.post(
        "/desk/preview.png",
        files={"file": ("d.pdf", decision_pdf(), "application/pdf")},
        headers=demo.headers(APPROVER),
    )
    assert denied.status_code == 403


def test_the_form_speaks_plain_chinese(demo):
    html = demo.client.get("/desk/new", headers=demo.headers(CLERK)).text
    assert "长期有效" in html and "最后一页" in html
    assert 'value="-1"' not in html and "第 -1 页" not in html
    assert re.search(r"<option[^>]*>B-LT</option>", html) is None  # the technical name is small print


def test_batch_documents_are_titled_by_file_and_listed_once_for_the_approver(demo):
    files = [
        ("files", (f"受理通知书-王{n}.pdf", decision_pdf(number=f"第9{n}号"), "application/pdf")) for n in range(2)
    ]
    batch = demo.client.post(
        "/api/v1/stamp-batches",
        data={"seal": "克城镇", "item": "1", "reason": "批量受理"},
        files=files,
        headers=demo.headers(CLERK),
    ).json()
    single = demo.client.post(
        "/api/v1/stamp-requests",
        data={"seal": "克城镇", "item": "1", "reason": "受理"},
        files={"file": ("one.pdf", decision_pdf(number="第99号"), "application/pdf")},
        headers=demo.headers(CLERK),
    ).json()
    ids = [i["request_id"] for i in batch["items"]]
    with demo.deployment.transaction() as session:
        titles = [session.get(StampRequestRow, i).document_title for i in ids]
    assert titles == ["受理通知书-王0", "受理通知书-王1"]

    html = demo.client.get("/desk/requests", headers=demo.headers(APPROVER)).text
    singles = html[html.index('id="requests"') : html.index("</table>", html.index('id="requests"'))]
    assert f'data-request="{single["id"]}"' in singles
    assert not any(f'data-request="{i}"' in singles for i in ids), "batch documents are listed with their batch"
    assert f'data-batch="{batch["id"]}"' in html
    # a request titled like its type is not shown as 受理通知书：受理通知书
    assert "受理通知书：受理通知书" not in html
