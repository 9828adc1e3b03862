"""Every audit action the code records has a Chinese label, so report pages never show a raw code."""

from __future__ import annotations

import re
from pathlib import Path

from esign.registry import Permission, SealAction
from service.labels import action_zh

REPO = Path(__file__).resolve().parents[2]


def _recorded_actions() -> set[str]:
    """The literal ``action="…"`` strings passed where audit events are recorded, read from the source."""
    found: set[str] = set()
    for path in [*(REPO / "esign").rglob("*.py"), *(REPO / "service").rglob("*.py")]:
        found |= set(re.findall(r'\baction="([a-z_]+\.[a-z_.]+)"', path.read_text(encoding="utf-8")))
    return found


def test_every_recorded_action_has_a_label():
    actions = _recorded_actions()
    assert {"stamp.request", "stamp.apply", "seal.request"} <= actions  # the scan reads the real call sites
    unlabelled = {a for a in actions if action_zh(a) == "其他操作"}
    assert not unlabelled, f"audit actions without a Chinese label in service/labels.py: {sorted(unlabelled)}"


def test_lifecycle_steps_and_refused_permissions_read_in_chinese():
    assert action_zh(f"seal.{SealAction.REVOKE.value}") == f"印章{SealAction.REVOKE.zh}"
    assert action_zh(Permission.SEAL_VIEW.value) == "查看印章"
    assert action_zh("no.such_action") == "其他操作" and action_zh(None) == "其他操作"
