"""Placements as JSON: the one codec of the API's form field, the desk's and the CLI's choices and the
placement a stamp request or a batch keeps in the database.

The JSON form is an object with a ``mode``::

    {"mode": "position", "page": -1, "x_mm": 150, "y_mm": 240}
    {"mode": "keyword", "text": "（盖章）", "page": 2, "offset_x_mm": 0, "offset_y_mm": 0}
    {"mode": "field", "name": "Signature1"}

each with the optional ``"riding_seal": true``, ``"riding_y_mm": 120`` and ``"also_on_pages": [1, 2]``.
A keyword placement without a text (or with an empty one) stands for the township's own keywords
(``AtKeyword(text=None)``). A missing ``mode`` is a keyword placement; unknown keys are ignored.

Guarantees: :func:`placement_from_dict` refuses anything malformed with ``bad_placement`` (wrong JSON
types, numbers past the bounds of :mod:`esign.stamp.placement`) and otherwise returns a placement
its constructor accepted (which refuses page 0 or an empty keyword with its own code);
:func:`placement_to_dict` writes the canonical form, which reads back to an equal placement. Every
placement stored so far (the same shape, with ``false`` and ``null`` spelt out) reads as it did.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from esign.errors import InputError
from esign.stamp.placement import (
    MAX_KEYWORDS,
    MAX_MM,
    MAX_PAGE,
    MAX_TEXT_CHARS,
    AtKeyword,
    AtPosition,
    InField,
    Placement,
)
from esign.text import bad_character

__all__ = ["placement_from_dict", "placement_from_json", "placement_to_dict", "placement_to_json"]

_MODES = ("position", "keyword", "field")


def placement_from_json(text: str) -> Placement:
    """A placement from its JSON text (the API's form field, a stored row)."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: JSON nested too deep to read
        value = None
    if not isinstance(value, dict):
        raise InputError(
            "placement 必须是 JSON 对象。", "placement must be a JSON object.", code="bad_placement", field="placement"
        )
    return placement_from_dict(value)


def placement_to_json(placement: Placement) -> str:
    """The canonical JSON text of ``placement`` (keys sorted, Chinese kept as it is)."""
    return json.dumps(placement_to_dict(placement), ensure_ascii=False, sort_keys=True)


def placement_from_dict(data: Mapping[str, Any]) -> Placement:
    """A placement from its JSON object; refuses anything malformed (see the module docstring)."""
    if not isinstance(data, Mapping):
        raise _bad("placement must be a JSON object")
    mode = data.get("mode", "keyword")
    try:
        riding_y = data.get("riding_y_mm")
        common: dict[str, Any] = {
            "riding_seal": _bool(data.get("riding_seal", False), "riding_seal"),
            "riding_y_mm": _mm(riding_y, "riding_y_mm") if riding_y is not None else None,
            "also_on_pages": _pages(data.get("also_on_pages")),
        }
        if mode == "position":
            return AtPosition(
                page=_int(data.get("page", -1), "page"),
                x_mm=_mm(data["x_mm"], "x_mm"),
                y_mm=_mm(data["y_mm"], "y_mm"),
                **common,
            )
        if mode == "keyword":
            text = data.get("text")
            return AtKeyword(
                text=_keywords(text) if text else None,
                page=_int(data["page"], "page") if data.get("page") is not None else None,
                offset_x_mm=_mm(data.get("offset_x_mm", 0.0), "offset_x_mm"),
                offset_y_mm=_mm(data.get("offset_y_mm", 0.0), "offset_y_mm"),
                **common,
            )
        if mode == "field":
            return InField(name=_string(data["name"], "name"), **common)
    except KeyError as exc:
        raise _bad(f"missing {exc}") from exc
    except (TypeError, ValueError) as exc:  # a constructor's own refusal
        raise _bad(str(exc)) from exc
    raise InputError(
        f"未知的盖章方式“{mode}”，可选：{'、'.join(_MODES)}。",
        f"Unknown placement mode {mode!r}.",
        code="bad_placement",
        field="placement",
    )


def placement_to_dict(placement: Placement) -> dict[str, Any]:
    """The canonical JSON object of ``placement``: its mode, and every option that is not the default."""
    out: dict[str, Any]
    if isinstance(placement, AtPosition):
        out = {"mode": "position", "page": placement.page, "x_mm": placement.x_mm, "y_mm": placement.y_mm}
    elif isinstance(placement, AtKeyword):
        out = {"mode": "keyword"}
        if placement.text is not None:
            texts = placement.candidates
            out["text"] = texts[0] if len(texts) == 1 else list(texts)
        if placement.page is not None:
            out["page"] = placement.page
        if placement.offset_x_mm:
            out["offset_x_mm"] = placement.offset_x_mm
        if placement.offset_y_mm:
            out["offset_y_mm"] = placement.offset_y_mm
    elif isinstance(placement, InField):
        out = {"mode": "field", "name": placement.name}
    else:
        raise TypeError(f"not a placement: {placement!r}")
    if placement.riding_seal:
        out["riding_seal"] = True
    if placement.riding_y_mm is not None:
        out["riding_y_mm"] = placement.riding_y_mm
    if placement.also_on_pages:
        out["also_on_pages"] = list(placement.also_on_pages)
    return out


def _bad(detail: str) -> InputError:
    return InputError(
        f"盖章位置参数不完整或格式错误：{detail}",
        f"Malformed placement: {detail}",
        code="bad_placement",
        field="placement",
    )


def _bool(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise _bad(f"{name} must be true or false")
    return value


def _int(value: object, name: str) -> int:
    """An integer page number (a float with no fraction, as JSON may carry it, is one too)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value) if abs(value) <= MAX_PAGE else value
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_PAGE:
        raise _bad(f"{name} must be a page number within ±{MAX_PAGE}")
    return value


def _mm(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not abs(value) <= MAX_MM:
        raise _bad(f"{name} must be a finite number of millimetres within ±{MAX_MM:g}")
    return float(value)


def _string(value: object, name: str) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= MAX_TEXT_CHARS or bad_character(value):
        raise _bad(f"{name} must be text of 1 to {MAX_TEXT_CHARS} characters without control characters")
    return value


def _keywords(value: object) -> str | tuple[str, ...]:
    if isinstance(value, str):
        return _string(value, "text")
    if not isinstance(value, list | tuple) or not 0 < len(value) <= MAX_KEYWORDS:
        raise _bad(f"text must be a keyword or a list of 1 to {MAX_KEYWORDS} keywords")
    return tuple(_string(v, "text") for v in value)


def _pages(value: object) -> tuple[int, ...]:
    if value is None:
        return ()
    if not isinstance(value, list | tuple) or len(value) > MAX_PAGE:
        raise _bad("also_on_pages must be a list of page numbers")
    return tuple(_int(p, "also_on_pages") for p in value)
