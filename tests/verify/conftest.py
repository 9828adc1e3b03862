"""Fixtures for the verify tests: one county PKI per session, times relative to ``T0``."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator

import pytest

from tests.verify.factory import T0, TestPKI

#: When documents are stamped.
STAMPED = T0 + dt.timedelta(hours=1)
#: When they are verified (a day later).
LATER = STAMPED + dt.timedelta(days=1)


@pytest.fixture(scope="session")
def county() -> TestPKI:
    """The county PKI whose root the verifier trusts. Tests add seals and revocations to it
    (each test its own seal), never change existing ones."""
    return TestPKI.create()


@pytest.fixture(autouse=True, scope="session")
def _quiet_pyhanko() -> Iterator[None]:
    # pyHanko warns when asked to embed validation data without fetching; the tests pre-fill it.
    logger = logging.getLogger("pyhanko.sign.signers.pdf_signer")
    old = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(old)
