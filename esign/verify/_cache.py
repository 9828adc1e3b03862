"""Bounded, thread-safe, per-process caches for what every document of a county shares (internal).

Each cache is keyed by exact bytes (or their SHA-256) and what the cached answer depends on, never by a name;
:func:`clear_all` empties every one (tests, and the benchmark's cold rows).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["Lru", "clear_all", "on_clear"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_ALL: list[Lru[object, object]] = []
_CALLBACKS: list[Callable[[], None]] = []


class Lru(Generic[K, V]):
    """A least-recently-used map of at most ``size`` entries; values are computed outside the lock (two threads
    may compute the same entry once each; both answers are the same)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()
        _ALL.append(self)  # type: ignore[arg-type]

    def get(self, key: K, compute: Callable[[], V]) -> V:
        """The value for ``key``, computed by ``compute`` when absent."""
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        value = compute()
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._size:
                self._data.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._data.clear()


def on_clear(callback: Callable[[], None]) -> None:
    """Have :func:`clear_all` call ``callback`` too (for a ``functools.lru_cache``'s ``cache_clear``)."""
    _CALLBACKS.append(callback)


def clear_all() -> None:
    """Empty every cache made with :class:`Lru` or registered with :func:`on_clear`."""
    for cache in _ALL:
        cache.clear()
    for callback in _CALLBACKS:
        callback()
