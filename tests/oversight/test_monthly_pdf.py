"""The printable monthly register: title, a row, page numbers, found by pdftotext."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import pytest
from sqlalchemy import select

from esign.oversight import Scope, monthly_register, monthly_register_pdf
from esign.registry.models import Township
from tests.oversight.conftest import at_beijing, make_entry

ALL = Scope(township_ids=None, departments=None, refusals=True)


def _text(pdf: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def test_monthly_register_pdf_has_title_rows_and_page_numbers(county):
    k, g = county.kecheng, county.guxian
    county.add(
        [
            make_entry(k, at_beijing(2026, 3, 1 + i % 28, 9 + i % 8), item=1 + i % 3, reason=f"受理第{i}号申请")
            for i in range(45)
        ]
        + [make_entry(g, at_beijing(2026, 3, 5), reason="古县乡的用印")]
        + [make_entry(k, at_beijing(2026, 4, 1, 0, 5), reason="四月的用印")]
    )
    with county.sessions.begin() as s:
        township = s.scalars(select(Township).where(Township.id == k.id)).one()
        register = monthly_register(s, ALL, township, "2026-03", at=dt.datetime(2026, 4, 1, 2, tzinfo=dt.UTC))
    assert register.title == "蒲县克城镇行政审批服务专用章用印登记台账（2026年3月）"
    assert len(register.rows) == 45 and register.period == (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    pdf = monthly_register_pdf(register)
    assert pdf.startswith(b"%PDF") and monthly_register_pdf(register) == pdf  # no clock, no randomness
    text = _text(pdf)
    assert "蒲县克城镇行政审批服务专用章用印登记台账（2026年3月）" in text
    for header in ("日期", "事由", "批准人", "使用人", "使用数"):
        assert header in text
    assert "受理第0号申请" in text and "克城镇批准人" in text and "2026-03-01 09:00" in text
    assert "古县乡的用印" not in text and "四月的用印" not in text
    pages = text.count("\f")
    flat = text.replace(" ", "")
    assert pages >= 2 and f"第1页共{pages}页" in flat and f"第{pages}页共{pages}页" in flat
    assert "印章保管人（签字）" in text


def test_an_empty_month_still_prints(county):
    with county.sessions.begin() as s:
        township = s.scalars(select(Township).where(Township.id == county.guxian.id)).one()
        register = monthly_register(s, ALL, township, "2026-02", at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    text = _text(monthly_register_pdf(register))
    assert "蒲县古县乡行政审批服务专用章用印登记台账（2026年2月）" in text and "本月无用印记录" in text
    assert "2026-02-01至2026-02-28" in text.replace(" ", "")
