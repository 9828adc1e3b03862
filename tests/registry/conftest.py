"""A registry with the 蒲县 county and two townships, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from sqlalchemy.orm import Session

from esign.db import make_session_factory
from esign.pki.seal_issuer import IssuedKey
from esign.registry import SealIdentity, add_township, create_county
from esign.registry.uscc import make_uscc, org_code_check_char

T0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)


@dataclass
class FakeCA:
    """An in-process CA double that records what the registry asked of it."""

    issued: dict[str, SealIdentity] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)
    _serials: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def issue(self, session: Session, identity: SealIdentity, *, key_id: str, at: dt.datetime) -> IssuedKey:
        serial = f"{next(self._serials):040x}"
        self.issued[serial] = identity
        self.status[serial] = "good"
        return IssuedKey(key_id=key_id, cert_serial=serial)

    def revoke(self, session: Session, cert_serial: str, *, reason: str, at: dt.datetime) -> None:
        self.status[cert_serial] = f"revoked:{reason}"

    def hold(self, session: Session, cert_serial: str, *, at: dt.datetime) -> None:
        self.status[cert_serial] = "on_hold"

    def release(self, session: Session, cert_serial: str, *, at: dt.datetime) -> None:
        self.status[cert_serial] = "good"


def township_uscc(n: int) -> str:
    """A valid USCC of a 机关 registered in 蒲县 (141033)."""
    body = f"{11_500_000 + n:08d}"
    return make_uscc("11141033" + body + org_code_check_char(body)).code


@pytest.fixture
def session(engine) -> Iterator[Session]:
    factory = make_session_factory(engine)
    with factory() as s:
        create_county(s, "蒲县", province="山西省", city="临汾市", office="蒲县行政审批服务管理局", at=T0)
        add_township(s, "克城镇", uscc=township_uscc(1), region_code="141033103000", at=T0)
        add_township(s, "古县乡", uscc=township_uscc(2), region_code="141033201000", at=T0)
        s.commit()
        yield s


@pytest.fixture
def ca() -> FakeCA:
    return FakeCA()
