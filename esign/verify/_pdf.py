"""Small helpers for pyHanko's PDF objects (internal)."""

from __future__ import annotations

from pyhanko.pdf_utils import generic

__all__ = ["dget", "plain"]


def plain(obj: object) -> object:
    """``obj`` itself, or decrypted if it is an encrypted document's lazily decrypted value (pyHanko
    hands those out inside dictionaries and arrays read from an encrypted file's history)."""
    return obj.decrypted if isinstance(obj, generic.DecryptedObjectProxy) else obj


def dget(d: object, key: str, default: object = None) -> object:
    """``d[key]`` with indirect references resolved (``dict.get`` on pyHanko dictionaries does not
    resolve them), or ``default`` if ``d`` is not a dictionary, lacks ``key`` or cannot resolve it."""
    d = plain(d)
    if not isinstance(d, generic.DictionaryObject) or key not in d:
        return default
    try:
        return plain(d[key])
    except Exception:
        return default
