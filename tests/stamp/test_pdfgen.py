"""tests/pdfgen.py itself: the generated documents are what other tests assume."""

from __future__ import annotations

import subprocess

from tests import pdfgen


def _text(data: bytes, *args: str) -> str:
    return subprocess.run(["pdftotext", *args, "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def test_decision_is_deterministic_and_extractable(decision: bytes) -> None:
    assert pdfgen.decision_pdf() == decision
    text = _text(decision)
    for expected in ("受理通知书", "蒲县克城镇人民政府（盖章）", "2025年3月18日", "行政许可法"):
        assert expected in text


def test_long_document(long200: bytes) -> None:
    assert "第 200 页 共 200 页" in _text(long200, "-f", "200", "-l", "200")
    assert long200.count(b"/FontFile3") == 1  # one shared font subset


def test_scan_has_no_text_layer() -> None:
    assert _text(pdfgen.scanned_pdf()).strip() == ""
