"""The service's clock: routes read the time here and hand it to the library as ``at`` (STYLE habit 6)."""

from __future__ import annotations

import datetime as dt

__all__ = ["now"]


def now() -> dt.datetime:
    """The current time, aware and in UTC."""
    return dt.datetime.now(dt.UTC)
