"""The one check of every human text and identifier a caller hands in (API, desk forms, CLI).

A text field is stripped, put into Unicode NFC and refused (``invalid_text``) when it holds a
character the usage register would refuse later (:mod:`esign.ledger.entry`): controls (``Cc``: NUL,
newlines), format characters (``Cf``: the bidi overrides U+202A-U+202E and isolates
U+2066-U+2069, zero-width characters), surrogates, private-use and unassigned code points. So what
approval would refuse is refused when it is asked for, and PostgreSQL never sees a NUL (its
``text`` type cannot hold one). Every field has a bound in characters (``text_too_long``).

Row ids and list numbers are SQL ``integer`` columns, 32-bit on PostgreSQL (SQLite's hold 64
bits): a reference made only of ASCII digits is an id when it lies within 1..:data:`MAX_ID`;
:func:`as_id` answers None otherwise, so a lookup by a larger (or negative) number finds nothing
instead of overflowing the driver or the server. No number anywhere may exceed :data:`MAX_INT64`.
"""

from __future__ import annotations

import unicodedata

from esign.errors import InputError

__all__ = [
    "MAX_ID",
    "MAX_INT64",
    "REASON_LIMIT",
    "REFUSED_CATEGORIES",
    "TITLE_LIMIT",
    "as_id",
    "bad_character",
    "clean_text",
    "optional_text",
]

#: The largest id a database row can have (PostgreSQL ``integer``: signed 32-bit).
MAX_ID = 2**31 - 1
#: The largest integer any database column holds (signed 64-bit).
MAX_INT64 = 2**63 - 1

#: Longest reason (事由, grounds of a refusal) in characters.
REASON_LIMIT = 500
#: Longest document title in characters.
TITLE_LIMIT = 200

#: Unicode general categories refused in any text field (the same as the usage register's).
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def bad_character(value: str) -> str | None:
    """The first character of ``value`` that no text field may hold, or None."""
    for ch in value:
        if unicodedata.category(ch) in REFUSED_CATEGORIES:
            return ch
    return None


def clean_text(value: object, *, field: str, zh: str, limit: int, required: bool = True) -> str:
    """``value`` stripped and in NFC; refused when empty (if ``required``), too long or holding a
    control, format (bidi), surrogate, private-use or unassigned character."""
    if not isinstance(value, str):
        raise InputError(f"{zh}必须是文本。", f"{field} must be text.", code="invalid_text", field=field)
    ch = bad_character(value)
    if ch is not None:
        raise InputError(
            f"{zh}含有不允许的控制或格式字符（U+{ord(ch):04X}）。",
            f"{field} contains a control or format character (U+{ord(ch):04X}).",
            code="invalid_text",
            field=field,
        )
    text = unicodedata.normalize("NFC", value.strip())
    if required and not text:
        raise InputError(f"必须填写{zh}。", f"{field} is required.", code=f"{field}_required", field=field)
    if len(text) > limit:
        raise InputError(
            f"{zh}过长（最多 {limit} 个字符）。",
            f"{field} is too long (at most {limit} characters).",
            code="text_too_long",
            field=field,
        )
    return text


def optional_text(value: object, *, field: str, zh: str, limit: int) -> str:
    """:func:`clean_text` for a field that may be left empty."""
    return clean_text(value, field=field, zh=zh, limit=limit, required=False)


def as_id(ref: object) -> int | None:
    """``ref`` as a row id: an int, or a string of ASCII digits, within 1..:data:`MAX_ID`; else None."""
    if isinstance(ref, bool):
        return None
    if isinstance(ref, int):
        return ref if 0 < ref <= MAX_ID else None
    if isinstance(ref, str):
        text = ref.strip()
        if text.isascii() and text.isdigit() and len(text) <= 10:
            value = int(text)
            return value if 0 < value <= MAX_ID else None
    return None
