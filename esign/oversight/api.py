"""The oversight package's result and filter types, and Beijing time.

Everything the reform office reads is a frozen value: a :class:`Scope` (what an actor may see),
a :class:`RegisterFilter` (what the caller asks for), :class:`OversightRow` and
:class:`OversightPage` (what comes back). Day boundaries are Beijing time (UTC+8, no daylight
saving), as the townships keep their paper registers.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass

from esign.errors import InputError
from esign.ledger.api import RegisterRow

__all__ = [
    "BEIJING",
    "FIRST_DAY",
    "LAST_DAY",
    "Cursor",
    "OversightPage",
    "OversightRow",
    "RegisterFilter",
    "Scope",
    "beijing_day_start",
    "check_day",
    "local_day",
    "local_month",
    "month_bounds",
    "parse_day",
]

#: China Standard Time.
BEIJING = dt.timezone(dt.timedelta(hours=8), "CST")


def local_day(at: dt.datetime) -> str:
    """``YYYY-MM-DD`` of an aware time, in Beijing time."""
    return at.astimezone(BEIJING).strftime("%Y-%m-%d")


def local_month(at: dt.datetime) -> str:
    """``YYYY-MM`` of an aware time, in Beijing time."""
    return at.astimezone(BEIJING).strftime("%Y-%m")


#: Days a filter may name: wide enough for any register, narrow enough that a day's bounds
#: (the next day, UTC) stay inside what Python's datetime and the databases hold.
FIRST_DAY = dt.date(1970, 1, 1)
LAST_DAY = dt.date(9998, 12, 31)


def check_day(day: dt.date, field: str) -> dt.date:
    """``day`` when it lies within FIRST_DAY..LAST_DAY; a clear error otherwise."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InputError(
            f"日期 {day.isoformat()} 超出范围（{FIRST_DAY.isoformat()} 至 {LAST_DAY.isoformat()}）。",
            f"Date {day.isoformat()} is outside {FIRST_DAY.isoformat()}..{LAST_DAY.isoformat()}.",
            code="date_out_of_range",
            field=field,
        )
    return day


def beijing_day_start(day: dt.date) -> dt.datetime:
    """00:00 Beijing time of ``day``, as aware UTC."""
    return dt.datetime.combine(day, dt.time(), BEIJING).astimezone(dt.UTC)


def parse_day(value: str | None, field: str, *, end: bool = False) -> dt.datetime | None:
    """``YYYY-MM-DD`` (Beijing) → the start of that day, or of the next one for an inclusive ``end``;
    None for no value. A clear error, naming ``field``, for anything else or a day out of range."""
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"日期格式应为 YYYY-MM-DD：{value}", f"Dates are YYYY-MM-DD: {value!r}", field=field) from None
    return beijing_day_start(check_day(day, field) + dt.timedelta(days=1 if end else 0))


def month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    """``[start, end)`` of a ``YYYY-MM`` month in Beijing time, as aware UTC."""
    try:
        first = dt.datetime.strptime(month, "%Y-%m").date()
    except ValueError:
        raise InputError(f"月份格式应为 YYYY-MM：{month}", f"Months are YYYY-MM: {month!r}", field="month") from None
    check_day(first, "month")
    following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return beijing_day_start(first), beijing_day_start(following)


@dataclass(frozen=True)
class Scope:
    """What one actor may see of the county's register and refusals (see :func:`esign.oversight.scope.scope_for`)."""

    township_ids: frozenset[int] | None
    """Townships whose entries are visible; None means every township."""
    departments: frozenset[str] | None
    """Catalog department names whose items are visible; None means every item (and items without one)."""
    refusals: bool
    """Whether refused attempts (audit events) of the visible townships may be shown."""

    @property
    def everything(self) -> bool:
        """Whether nothing is filtered out (the reform office)."""
        return self.township_ids is None and self.departments is None


@dataclass(frozen=True)
class Cursor:
    """Where a keyset page ends: the ``(signed_at, idx)`` of its last row."""

    signed_at: dt.datetime
    """Signing time of the last row, aware UTC."""
    idx: int
    """Log index of the last row (ties on ``signed_at`` are broken by it)."""

    def encode(self) -> str:
        """An opaque URL-safe token."""
        raw = f"{self.signed_at.astimezone(dt.UTC).isoformat()}|{self.idx}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        """The cursor of :meth:`encode`; :class:`InputError` for anything else."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            when, _, idx = raw.partition("|")
            at = dt.datetime.fromisoformat(when)
            if at.tzinfo is None:
                raise ValueError("naive")
            index = int(idx)
            if not 0 <= index <= 2**63 - 1:
                raise ValueError("index out of range")
            check_day(at.date(), "cursor")
            return cls(at.astimezone(dt.UTC), index)
        except (ValueError, UnicodeDecodeError, InputError, OverflowError):
            raise InputError("分页游标无效。", "Invalid paging cursor.", field="cursor") from None


@dataclass(frozen=True)
class RegisterFilter:
    """What the caller asks of the county's register. All filters are combined with AND."""

    since: dt.datetime | None = None
    """Only uses with ``signed_at >= since`` (aware)."""
    until: dt.datetime | None = None
    """Only uses with ``signed_at < until`` (aware)."""
    township_id: int | None = None
    """Only this township."""
    item: str | None = None
    """Only this item: its number in the township's authority list, or a part of its name."""
    user: str | None = None
    """Only this 使用人 (exact name)."""
    approver: str | None = None
    """Only this 批准人 (exact name)."""
    document_type: str | None = None
    """Only this kind of document (e.g. ``受理通知书``)."""
    after: Cursor | None = None
    """Keyset paging: rows after this cursor (in the listing order). Use instead of ``offset`` for deep pages."""
    offset: int = 0
    """Offset paging: rows to skip (fine for the first pages, linear in the offset)."""
    limit: int = 50
    """Rows per page (1 to 1000)."""
    newest_first: bool = False
    """Listing order: oldest first (as the paper register), or newest first (the web page)."""
    with_total: bool = True
    """Whether to count all matching rows (one extra index scan)."""

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            v = getattr(self, name)
            if v is not None and v.tzinfo is None:
                raise InputError(f"{name} 必须带时区", f"{name} must be an aware datetime", field=name)
        if self.offset < 0 or not 1 <= self.limit <= 1000:
            raise InputError("分页参数不合法", "offset must be >= 0 and limit 1..1000", field="limit")
        if self.after is not None and self.offset:
            raise InputError("游标与偏移量不能同时使用", "use either cursor or offset, not both", field="cursor")


@dataclass(frozen=True)
class OversightRow:
    """One register line with what the county-wide view adds to it."""

    line: RegisterRow
    """The register line, decoded from the hashed entry body (日期, 事由, 批准人, 使用人, 使用数 …)."""
    township_id: int
    """Registry id of the township."""
    township_name: str
    """Township name as written in the entry."""
    item_type: str
    """The item's type (事项类型, leading type of a compound) from the catalog; empty if unknown."""
    department: str
    """The item's county department from the catalog; empty if none."""


@dataclass(frozen=True)
class OversightPage:
    """One page of the county's register."""

    rows: tuple[OversightRow, ...]
    """Rows of this page, in the listing order."""
    total: int | None
    """Rows matching the filters across all pages (None when not counted)."""
    next_cursor: Cursor | None
    """Cursor for the next page; None on the last page."""
