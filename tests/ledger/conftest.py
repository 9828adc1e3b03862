"""Ledger fixtures: generated entries and a generated checkpoint key."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from esign.ledger import DocumentType, Ed25519NoteSigner, LedgerEntry, new_entry_id

ORIGIN = "esign.test/ledger"
T0 = dt.datetime(2025, 3, 1, 1, 2, 3, 456789, tzinfo=dt.UTC)


def make_entry(n: int, *, township: str = "T1", user: str = "张三", item: str = "A-001", **kw: object) -> LedgerEntry:
    """A valid entry, distinct for every ``n``."""
    fields: dict[str, object] = {
        "entry_id": new_entry_id(),
        "township_id": township,
        "township_name": "城关镇" if township == "T1" else "河口乡",
        "seal_id": "seal-1",
        "cert_serial": "1f2e3d4c",
        "item_number": item,
        "item_name": "个体工商户登记",
        "document_type": DocumentType.ACCEPTANCE_NOTICE,
        "document_title": f"受理通知书 第{n}号",
        "reason": "办理个体工商户设立登记",
        "user": user,
        "approver": "李四",
        "count": 1 + n % 3,
        "input_sha256": hashlib.sha256(f"in{n}".encode()).hexdigest(),
        "output_sha256": hashlib.sha256(f"out{n}".encode()).hexdigest(),
        "signed_at": T0 + dt.timedelta(minutes=n),
    }
    fields.update(kw)
    return LedgerEntry(**fields)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def signer() -> Ed25519NoteSigner:
    return Ed25519NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
