"""The public seal status service: before and after a revocation, and at a given time."""

from __future__ import annotations

import datetime as dt
import time


def test_status_before_and_after_revocation_and_at_a_time(demo):
    admin = demo.headers("县审批局管理员")
    seal = next(s for s in demo.client.get("/api/v1/seals", headers=admin).json() if s["township"] == "乔家湾乡")
    before = demo.client.get("/api/v1/seal-status", params={"serial": seal["cert_serial"]}).json()
    assert before["status"] == "active" and before["valid_at"] is None and before["township"] == "乔家湾乡"

    moment = dt.datetime.now(dt.UTC)
    time.sleep(0.05)
    r = demo.client.post(f"/api/v1/seals/{seal['id']}/revoke", json={"reason": "行政区划调整"}, headers=admin)
    assert r.status_code == 200

    after = demo.client.get("/api/v1/seal-status", params={"seal": seal["code"]}).json()
    assert after["status"] == "revoked" and after["reason"] == "行政区划调整" and after["status_zh"] == "已注销"
    then = demo.client.get("/api/v1/seal-status", params={"seal": seal["code"], "at": moment.isoformat()}).json()
    assert then["valid_at"] is True and then["status_at"] == "active"
    now = demo.client.get(
        "/api/v1/seal-status", params={"seal": seal["code"], "at": dt.datetime.now(dt.UTC).isoformat()}
    ).json()
    assert now["valid_at"] is False

    page = demo.client.get("/status", params={"seal": seal["code"]})
    assert page.status_code == 200 and "已注销" in page.text and "行政区划调整" in page.text


def test_unknown_seal_and_bad_serial(demo):
    r = demo.client.get("/api/v1/seal-status", params={"serial": "abcdef"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "seal_not_found"
    r = demo.client.get("/api/v1/seal-status", params={"serial": "xyz"})
    assert r.status_code == 400
    assert demo.client.get("/api/v1/seal-status").status_code == 400
