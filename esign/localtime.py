"""Times as people read them: one configured zone, Beijing time unless the deployment says otherwise.

Everything stored, signed and sent as JSON stays an aware UTC instant written as ISO 8601 with its
offset; only the text people read (web pages, CLI tables) goes through :func:`local_text`, which shows
the instant in the zone named by ``ESIGN_TIMEZONE`` (an IANA name, default ``Asia/Shanghai``) and says
which zone that is ("北京时间" for China Standard Time).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from esign.errors import ConfigError

__all__ = ["DEFAULT_ZONE", "local_text", "zone_label", "zone_of"]

DEFAULT_ZONE = "Asia/Shanghai"

#: Zone names that read as 北京时间 (China Standard Time, UTC+8, no daylight saving since 1991).
_BEIJING_NAMES = frozenset({"Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "Asia/Urumqi", "PRC"})
_BEIJING_FIXED = dt.timezone(dt.timedelta(hours=8), "CST")


@lru_cache(maxsize=16)
def zone_of(name: str = DEFAULT_ZONE) -> dt.tzinfo:
    """The zone called ``name``; Beijing time also where the system has no time zone database."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        if name in _BEIJING_NAMES:
            return _BEIJING_FIXED
        raise ConfigError(
            f"未知的时区：{name}（请用 IANA 名称，如 Asia/Shanghai）。",
            f"Unknown time zone {name!r} (use an IANA name such as Asia/Shanghai).",
            code="bad_timezone",
        ) from exc


def zone_label(name: str = DEFAULT_ZONE) -> str:
    """How the zone is named next to a time: 北京时间, or the IANA name of another zone."""
    return "北京时间" if name in _BEIJING_NAMES else name


def local_text(at: dt.datetime | None, zone: str = DEFAULT_ZONE, *, seconds: bool = False) -> str:
    """``at`` in ``zone`` as ``YYYY-MM-DD HH:MM`` (``:SS`` with ``seconds``); a naive ``at`` is UTC
    (SQLite gives stored times back without their zone); None is an em dash."""
    if at is None:
        return "—"
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(zone_of(zone)).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
