"""OFD through the stamp-request API, exactly as a PDF: upload (sniffed by content, whatever the
file is called), approve, download the stamped OFD; refusals are 4xx with their code."""

from __future__ import annotations

import json
from pathlib import Path

from esign.ofd import OfdPackage
from esign.ofd.verify import entry_ids
from esign.ofd.xml import q
from tests.ofd.demo import require_seal_data

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "ofd-samples"


def _submit(demo, name: str, placement: dict[str, object]):  # type: ignore[no-untyped-def]
    fields = {"seal": "克城镇", "item": "1", "reason": "受理", "title": "决定书", "placement": json.dumps(placement)}
    data = (SAMPLES / name).read_bytes()
    return demo.client.post(
        "/api/v1/stamp-requests",
        data=fields,
        files={"file": ("decision.pdf", data, "application/pdf")},  # the name and type say PDF
        headers=demo.headers("克城镇窗口"),
    )


def test_api_stamps_an_ofd(demo):  # type: ignore[no-untyped-def]
    require_seal_data(demo.deployment)
    r = _submit(demo, "Page5.ofd", {"mode": "position", "page": -1, "x_mm": 150, "y_mm": 240})
    assert r.status_code == 201, r.text
    req = r.json()
    assert req["pages"] == 5
    ok = demo.client.post(f"/api/v1/stamp-requests/{req['id']}/approve", headers=demo.headers("克城镇批准人"))
    assert ok.status_code == 200, ok.text
    done = ok.json()
    got = demo.client.get(done["result_url"], headers=demo.headers("克城镇窗口"))
    assert got.status_code == 200 and got.headers["content-type"].startswith("application/ofd")
    assert 'filename="result-' in got.headers["content-disposition"] and ".ofd" in got.headers["content-disposition"]
    pkg = OfdPackage.from_bytes(got.content)
    assert entry_ids(pkg) == (done["entry_id"],)
    sig = pkg.xml("Doc_0/Signs/Sign_0/Signature.xml")
    last_page = pkg.xml("Doc_0/Document.xml").findall(f".//{q('Page')}")[-1]
    assert sig.find(f".//{q('StampAnnot')}").get("PageRef") == last_page.get("ID")  # type: ignore[union-attr]
    entry = demo.client.get(f"/api/v1/ledger/entries/{done['entry_id']}").json()
    assert entry["entry"]["output_sha256"] == done["output_sha256"]


def test_api_refuses_ofds_it_cannot_stamp_with_codes(demo):  # type: ignore[no-untyped-def]
    for name, placement, code in [
        ("keyword.ofd", {"mode": "position", "page": 1, "x_mm": 100, "y_mm": 100}, "ofd_signatures_locked"),
        ("helloworld.ofd", {"mode": "keyword", "text": "不存在的字"}, "keyword_not_found"),
        ("helloworld.ofd", {"mode": "position", "page": 2, "x_mm": 100, "y_mm": 100}, "page_out_of_range"),
        ("helloworld.ofd", {"mode": "field", "name": "Signature1"}, "placement_unsupported_ofd"),
    ]:
        r = _submit(demo, name, placement)
        assert 400 <= r.status_code < 500 and r.json()["error"]["code"] == code, (name, r.text)
        assert r.json()["error"]["message_zh"] and r.json()["error"]["message_en"]


def test_api_batch_of_ofds(demo):  # type: ignore[no-untyped-def]
    from tests.service.test_api_batch import _entries, _wait_done

    require_seal_data(demo.deployment)
    names = ["helloworld.ofd", "keyword.ofd", "Page5.ofd"]
    r = demo.client.post(
        "/api/v1/stamp-batches",
        data={
            "seal": "克城镇",
            "item": "1",
            "reason": "批量准予许可",
            "placement": json.dumps({"mode": "position", "page": -1, "x_mm": 150, "y_mm": 240}),
        },
        files=[("files", (n, (SAMPLES / n).read_bytes(), "application/octet-stream")) for n in names],
        headers=demo.headers("克城镇窗口"),
    )
    assert r.status_code == 201, r.text
    batch = r.json()
    assert [i["status"] for i in batch["items"]] == ["pending", "refused", "pending"]
    assert batch["items"][1]["error"]["code"] == "ofd_signatures_locked"
    before = _entries(demo)
    ok = demo.client.post(f"/api/v1/stamp-batches/{batch['id']}/approve", headers=demo.headers("克城镇批准人"))
    assert ok.status_code == 202, ok.text
    done = _wait_done(demo, batch["id"])
    assert (done["stamped"], done["failed"]) == (2, 0), done
    assert _entries(demo) == before + 2  # one register entry per stamped OFD
