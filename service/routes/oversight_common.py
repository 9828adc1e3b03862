"""What the oversight API and pages share: the register filters of a query string, a register page on the wire.

:class:`RegisterFilters` is one FastAPI dependency (``Annotated[RegisterFilters, Depends()]``) for the
filters every register route takes; :class:`RegisterQuery` adds the API's paging, order and format.
Checking the values (days, the township, the document type, the cursor) is the library's
(:func:`esign.oversight.read_register`), once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Query

from esign.ledger import REGISTER_COLUMNS, register_values
from esign.oversight import OversightPage, RegisterArgs
from esign.text import MAX_ID

__all__ = ["RegisterFilters", "RegisterQuery", "Since", "Until", "page_json"]

#: A first day (``since``) and a last day (``until``, inclusive) of a query string.
Since = Annotated[str | None, Query(description="起始日期 YYYY-MM-DD（北京时间）")]
Until = Annotated[str | None, Query(description="截止日期 YYYY-MM-DD（含，北京时间）")]
_Item = Annotated[str | None, Query(description="事项序号或名称的一部分")]
_User = Annotated[str | None, Query(description="使用人")]
_Approver = Annotated[str | None, Query(description="批准人")]
_DocType = Annotated[str | None, Query(description="文书类型，如 受理通知书")]
_Cursor = Annotated[str | None, Query(description="上一页返回的 next_cursor（键集分页）")]
_Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="偏移量（仅适合前几页）")]
_Limit = Annotated[int, Query(ge=1, le=1000)]
_Order = Annotated[str, Query(pattern="^(asc|desc)$", description="asc：最早在前（纸质台账顺序）；desc：最新在前")]
_Format = Annotated[str, Query(pattern="^(json|csv|xlsx)$")]


@dataclass(frozen=True)
class RegisterFilters:
    """The register filters of a query string (all optional; an empty value is no filter)."""

    since: Since = None
    """First day."""
    until: Until = None
    """Last day, inclusive."""
    item: _Item = None
    """Item number or part of its name."""
    user: _User = None
    """使用人."""
    approver: _Approver = None
    """批准人."""
    document_type: _DocType = None
    """Document type."""
    cursor: _Cursor = None
    """Keyset cursor of the next page."""

    def args(
        self,
        *,
        township: str | None,
        offset: int = 0,
        limit: int = 50,
        newest_first: bool = False,
        with_total: bool = True,
    ) -> RegisterArgs:
        """What the library reads, for ``township`` (name or id; None for the county)."""
        return RegisterArgs(
            since=self.since,
            until=self.until,
            township=township,
            item=self.item,
            user=self.user,
            approver=self.approver,
            document_type=self.document_type,
            cursor=self.cursor or None,
            offset=offset,
            limit=limit,
            newest_first=newest_first,
            with_total=with_total,
        )

    def present(self, *, township: str | None = None) -> dict[str, str]:
        """The filters that were given, with ``township``, as a query string repeats them (no cursor)."""
        given = {
            "since": self.since,
            "until": self.until,
            "township": township,
            "item": self.item,
            "user": self.user,
            "approver": self.approver,
            "document_type": self.document_type,
        }
        return {k: v for k, v in given.items() if v}


@dataclass(frozen=True)
class RegisterQuery(RegisterFilters):
    """The API's register query: the filters, paging, order and the answer's format."""

    offset: _Offset = 0
    """Offset paging."""
    limit: _Limit = 50
    """Rows per page."""
    order: _Order = "asc"
    """``asc`` (the paper register's order) or ``desc``."""
    total: bool = True
    """Whether to count the matching rows."""
    format: _Format = "json"
    """``json``, ``csv`` or ``xlsx``."""

    def paged(self, *, township: str | None) -> RegisterArgs:
        """What the library reads, with this query's paging and order."""
        return self.args(
            township=township,
            offset=self.offset,
            limit=self.limit,
            newest_first=self.order == "desc",
            with_total=self.total,
        )


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
