"""asn1crypto keeps a definite length that ends in 0x80 as it is (esign.compat)."""

from __future__ import annotations

from typing import Any

import pytest
from asn1crypto import core

import esign  # noqa: F401  (applies esign.compat)
from esign import compat

# SEQUENCE { BOOLEAN (BER true: 01, DER would be FF), OCTET STRING (123 bytes) }: 128 bytes of
# contents, so the header is 30 81 80 - a definite length whose last byte is 0x80.
PARSED = b"\x30\x81\x80" + b"\x01\x01\x01" + b"\x04\x7b" + b"x" * 123


class Inner(core.Sequence):
    _fields = [("flag", core.Boolean), ("pad", core.OctetString)]  # noqa: RUF012 (asn1crypto's class-level schema)


class Outer(core.Sequence):
    _fields = [("inner", Inner), ("n", core.Integer)]  # noqa: RUF012 (asn1crypto's class-level schema)


class Outermost(core.Sequence):
    _fields = [("outer", Outer), ("more", core.SequenceOf, {"spec": Outer})]  # noqa: RUF012 (asn1crypto's class-level schema)


def test_parsed_bytes_come_back_unchanged():
    value = Inner.load(PARSED)
    assert value["flag"].native is True
    assert value.dump() == PARSED  # asn1crypto alone re-encodes it: 30 81 80 01 01 ff ...


def test_a_true_indefinite_length_is_still_re_encoded_as_der():
    ber = b"\x30\x80" + b"\x01\x01\x01" + b"\x04\x01x" + b"\x00\x00"
    value = Inner.load(ber)
    assert value.dump() == b"\x30\x06\x01\x01\xff\x04\x01x"


def test_building_around_it_does_not_re_encode_it(monkeypatch: pytest.MonkeyPatch):
    """The slow case: structures built from Python values (as pyHanko builds a CMS signature)
    around a parsed part; each dump re-encoded the part, exponentially in the nesting depth."""
    inner = Inner.load(PARSED)
    calls: list[Any] = []
    original = Inner._set_contents

    def counting(self: Inner, force: bool = False) -> None:
        calls.append(self)
        original(self, force)

    monkeypatch.setattr(Inner, "_set_contents", counting)
    outer = Outer({"inner": inner, "n": 1})
    top = Outermost({"outer": outer, "more": [Outer({"inner": inner, "n": n}) for n in range(3)]})
    for _ in range(3):
        der = top.dump()
    assert PARSED in der
    assert calls == []


def test_applying_twice_changes_nothing():
    before = core.Sequence.__dict__["dump"]
    compat.apply()
    assert core.Sequence.__dict__["dump"] is before
