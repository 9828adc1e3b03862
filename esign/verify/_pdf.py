"""Small helpers for pyHanko's PDF objects (internal)."""

from __future__ import annotations

from pyhanko.pdf_utils import generic

__all__ = ["dget"]


def dget(d: object, key: str, default: object = None) -> object:
    """``d[key]`` with indirect references resolved (``dict.get`` on pyHanko dictionaries does not
    resolve them), or ``default`` if ``d`` is not a dictionary, lacks ``key`` or cannot resolve it."""
    if not isinstance(d, generic.DictionaryObject) or key not in d:
        return default
    try:
        return d[key]
    except Exception:
        return default
