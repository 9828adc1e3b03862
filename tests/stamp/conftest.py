"""Generated documents shared by the stamp tests (built once per session)."""

from __future__ import annotations

import pytest

from tests import pdfgen


@pytest.fixture(scope="session")
def decision() -> bytes:
    """The 1-page 受理通知书 of 蒲县克城镇人民政府."""
    return pdfgen.decision_pdf()


@pytest.fixture(scope="session")
def long20() -> bytes:
    """20 pages of Chinese text, signature block on the last page."""
    return pdfgen.long_pdf(20)


@pytest.fixture(scope="session")
def long200() -> bytes:
    """200 pages of Chinese text."""
    return pdfgen.long_pdf(200)
