"""What the oversight API and pages share: reading the register filters from a query string."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from esign.errors import InputError
from esign.ledger.export import REGISTER_COLUMNS, register_values
from esign.oversight import Cursor, OversightPage, RegisterFilter, beijing_day_start
from esign.oversight.api import check_day
from esign.registry import find_township
from esign.registry.models import Township
from esign.workflow.rules import document_type

__all__ = ["FilterArgs", "page_json", "parse_day", "to_filter"]


def parse_day(value: str | None, field: str, *, end: bool = False) -> dt.datetime | None:
    """``YYYY-MM-DD`` (Beijing) → the start of that day, or of the next one for an inclusive end."""
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"日期格式应为 YYYY-MM-DD：{value}", f"Dates are YYYY-MM-DD: {value!r}", field=field) from None
    return beijing_day_start(check_day(day, field) + dt.timedelta(days=1 if end else 0))


@dataclass(frozen=True)
class FilterArgs:
    """The register filters as they come in a query string (all optional)."""

    since: str | None = None
    """First day, ``YYYY-MM-DD`` Beijing time."""
    until: str | None = None
    """Last day (inclusive)."""
    township: str | None = None
    """Township name or id."""
    item: str | None = None
    """Item number or part of its name."""
    user: str | None = None
    """使用人."""
    approver: str | None = None
    """批准人."""
    document_type: str | None = None
    """Document type."""
    cursor: str | None = None
    """Keyset cursor from a previous page."""
    offset: int = 0
    """Offset paging."""
    limit: int = 50
    """Rows per page."""
    newest_first: bool = False
    """Listing order."""
    with_total: bool = True
    """Whether to count the matching rows."""


def to_filter(session: Session, args: FilterArgs) -> tuple[RegisterFilter, Township | None]:
    """The library filter and the named township (None if no township was asked for)."""
    township = find_township(session, args.township.strip()) if args.township and args.township.strip() else None
    return (
        RegisterFilter(
            since=parse_day(args.since, "since"),
            until=parse_day(args.until, "until", end=True),
            township_id=township.id if township else None,
            item=(args.item or "").strip() or None,
            user=(args.user or "").strip() or None,
            approver=(args.approver or "").strip() or None,
            document_type=_document_type(args.document_type),
            after=Cursor.decode(args.cursor) if args.cursor else None,
            offset=args.offset,
            limit=args.limit,
            newest_first=args.newest_first,
            with_total=args.with_total,
        ),
        township,
    )


def _document_type(value: str | None) -> str | None:
    """A known document type (refused with the list of them otherwise), or None for any."""
    value = (value or "").strip()
    return document_type(value).value if value else None


def page_json(page: OversightPage) -> dict[str, object]:
    """A register page on the wire: the Chinese columns plus machine fields per row."""
    return {
        "total": page.total,
        "next_cursor": page.next_cursor.encode() if page.next_cursor else None,
        "columns": ["乡镇", *REGISTER_COLUMNS],
        "rows": [
            {
                "乡镇": r.township_name,
                **dict(zip(REGISTER_COLUMNS, register_values(r.line), strict=True)),
                "entry_id": r.line.entry_id,
                "index": r.line.index,
                "township_id": r.township_id,
                "signed_at": r.line.signed_at.isoformat(),
                "item_number": r.line.item_number,
                "item_name": r.line.item_name,
                "item_type": r.item_type,
                "department": r.department,
                "document_type": r.line.document_type.value,
                "document_title": r.line.document_title,
                "count": r.line.count,
            }
            for r in page.rows
        ],
    }
