"""Checking that a refused attempt left its audit record (read back through the API, as the office would)."""

from __future__ import annotations

from typing import Any

__all__ = ["assert_refusal_audited", "newest_refusal"]

ADMIN = "县审批局管理员"


def newest_refusal(demo: Any) -> dict[str, Any] | None:
    """The newest refused-attempt audit event of the demo county, or None."""
    r = demo.client.get("/api/v1/audit", params={"outcome": "refused", "limit": 1}, headers=demo.headers(ADMIN))
    assert r.status_code == 200, r.text
    rows = r.json()
    return rows[0] if rows else None


def assert_refusal_audited(demo: Any, before: dict[str, Any] | None, *, actor: str, method: str, path: str) -> None:
    """A new refusal by ``actor`` for ``method path`` was recorded since ``before`` was read."""
    after = newest_refusal(demo)
    assert after is not None and after != before, f"refused {method} {path} by {actor} was not audited"
    assert after["actor"] == actor, after
    # The service records "METHOD /route/{template}" on the URL; the workflow names its use case (stamp.approve).
    if after["action"].startswith("/") or " " in after["action"]:
        assert after["action"].startswith(f"{method} /"), after
        assert after["target"] == path.split("?")[0], after
    assert after["code"] and after["detail"], after
