"""esign.verify.structure: object headers found backwards are exactly those the forward pattern finds."""

from __future__ import annotations

import random

import pytest

from esign.verify.structure import _OBJ_HEADER, _object_headers

CASES = [
    b"1 0 obj\n<< >>\nendobj\n",
    b"12 0 obj 13 0 obj<<>>endobj 14\t\r\n2\x0cobj",
    b"12345678901 0 obj 1234567890 0 obj 1 123456 obj 1 12345 obj",  # too many digits, then the bounds
    b"5 0 objx 6 0 obj_ 7 0 obj/ 8 0 obj",  # obj must end a word
    b"a9 0 obj 9a 0 obj x10 0 obj",
    b"1 0 R 2 0 obj 3 0 R obj 4 5 6 obj",
    b"99 0 obj",  # obj at the very end
    b"",
]


def _forward(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    return [(m.start(), int(m.group(1)), int(m.group(2))) for m in _OBJ_HEADER.finditer(data, start, end)]


@pytest.mark.parametrize("data", CASES)
def test_same_headers_as_forwards(data: bytes) -> None:
    for start in range(len(data) + 1):
        for end in range(start, len(data) + 1):
            assert _object_headers(data, start, end) == _forward(data, start, end), (data, start, end)


def test_same_headers_on_random_bytes() -> None:
    rng = random.Random(21)
    tokens = [
        b"7",
        b"42",
        b"123456",
        b"1234567890",
        b"12345678901",
        b" ",
        b"\n",
        b"\r\n",
        b"obj",
        b"ob",
        b"x",
        b"_",
        *[b" 0 obj", b" 12 obj"] * 4,
    ]
    found = 0
    for _ in range(5000):
        data = b"".join(rng.choice(tokens) for _ in range(rng.randrange(0, 16)))
        start, end = (0, len(data)) if rng.random() < 0.5 else sorted(rng.randrange(0, len(data) + 1) for _ in "se")
        expected = _forward(data, start, end)
        assert _object_headers(data, start, end) == expected, (data, start, end)
        found += len(expected)
    assert found > 500, found


def test_range_starts_after_a_digit() -> None:
    """The forward pattern's look-behind reads the byte before the range: 123 0 obj read from its second digit is
    no header (and from the first one it is)."""
    data = b"123 0 obj"
    assert _object_headers(data, 1, len(data)) == [] == _forward(data, 1, len(data))
    assert _object_headers(data, 0, len(data)) == [(0, 123, 0)]
