"""The canonical entry encoding and its validation."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from esign.ledger.entry import DocumentType, LedgerEntry, new_entry_id
from esign.ledger.errors import InvalidEntryError

from .conftest import make_entry


def test_round_trip_and_canonical_form():
    e = make_entry(1)
    data = e.to_bytes()
    assert LedgerEntry.from_bytes(data) == e
    text = data.decode("utf-8")
    assert "城关镇" in text and "\\u" not in text  # UTF-8, not escaped
    assert " " not in text.replace("受理通知书 第1号", "")  # no insignificant whitespace
    obj = json.loads(text)
    assert obj["v"] == 1 and list(obj) == sorted(obj)
    assert obj["signed_at"] == "2025-03-01T01:03:03.456789Z"
    assert obj["document"] == {"title": "受理通知书 第1号", "type": "受理通知书"}


def test_golden_encoding():
    e = make_entry(
        0,
        entry_id="AAAAAAAAAAAAAAAAAAAAAA",
        input_sha256="0" * 64,
        output_sha256="f" * 64,
        signed_at=dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
    )
    assert e.to_bytes().decode() == (
        '{"approver":"李四","count":1,"document":{"title":"受理通知书 第0号","type":"受理通知书"},'
        '"entry_id":"AAAAAAAAAAAAAAAAAAAAAA","input_sha256":"' + "0" * 64 + '",'
        '"item":{"name":"个体工商户登记","number":"A-001"},"output_sha256":"' + "f" * 64 + '",'
        '"reason":"办理个体工商户设立登记","seal":{"cert_serial":"1f2e3d4c","id":"seal-1"},'
        '"signed_at":"2025-01-02T03:04:05.000000Z","township":{"id":"T1","name":"城关镇"},'
        '"user":"张三","v":1}'
    )


def test_non_canonical_bytes_are_refused():
    e = make_entry(2)
    obj = json.loads(e.to_bytes())
    variants = [
        json.dumps(obj, sort_keys=True, ensure_ascii=False, indent=1).encode(),
        json.dumps(obj, sort_keys=True, ensure_ascii=True, separators=(",", ":")).encode(),
        json.dumps({**obj, "extra": 1}, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode(),
        json.dumps({**obj, "v": 2}, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode(),
        e.to_bytes() + b"\n",
        b"\xff",
        b"[]",
    ]
    for data in variants:
        with pytest.raises(InvalidEntryError):
            LedgerEntry.from_bytes(data)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("entry_id", "short"),
        ("entry_id", "has/slash" * 3),
        ("township_name", ""),
        ("township_name", " 城关镇"),
        ("reason", "a\x00b"),
        ("reason", "x" * 501),
        ("cert_serial", "ABCD"),
        ("cert_serial", "00ab"),
        ("count", 0),
        ("count", True),
        ("count", 100_001),
        ("input_sha256", "0" * 63),
        ("output_sha256", "F" * 64),
        ("document_type", "通知"),
        ("signed_at", dt.datetime(2025, 1, 1)),
        ("signed_at", dt.datetime(2025, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))),
    ],
)
def test_invalid_fields(field, value):
    with pytest.raises(InvalidEntryError) as info:
        make_entry(3, **{field: value})
    assert info.value.field == field
    assert info.value.message_zh and info.value.message_en


def test_document_type_values_and_coercion():
    assert [d.value for d in DocumentType] == [
        "受理通知书", "不予受理通知书", "补正材料告知书", "准予许可决定书", "不予许可决定书", "证明", "其他"
    ]
    assert make_entry(4, document_type="证明").document_type is DocumentType.CERTIFICATE


def test_entry_ids_are_random_and_url_safe():
    ids = {new_entry_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(i) == 22 and i.replace("-", "").replace("_", "").isalnum() for i in ids)


def test_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        make_entry(5).count = 9  # type: ignore[misc]


def test_entry_ids_never_start_with_a_dash_so_they_work_on_command_lines():
    from esign.ledger import new_entry_id

    ids = {new_entry_id() for _ in range(5000)}
    assert len(ids) == 5000 and not any(i.startswith("-") for i in ids)
    assert all(len(i) == 22 for i in ids)
