"""Service-item catalogs in the database and each township's authority list (职权清单).

新县: the seal is used only for items within the township's authority list. Stamping resolves
the item through :func:`resolve_item`, which refuses anything outside the list.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from esign.errors import ForbiddenError, InputError, NotFoundError
from esign.registry.catalog import CatalogItem
from esign.registry.models import AuthorityItem, CatalogItemRow, Township
from esign.text import as_id, bad_character

__all__ = ["authority_list", "catalog_names", "catalog_rows", "grant_items", "import_catalog", "resolve_item"]


def import_catalog(session: Session, catalog: str, items: Iterable[CatalogItem]) -> int:
    """Store (or update) a catalog's items under the name ``catalog``; returns how many were written."""
    catalog = catalog.strip()
    if not catalog:
        raise InputError("目录名称不能为空。", "Catalog name is required.", field="catalog")
    existing = {r.number: r for r in session.scalars(select(CatalogItemRow).where(CatalogItemRow.catalog == catalog))}
    count = 0
    for item in items:
        row = existing.get(item.number) or CatalogItemRow(catalog=catalog, number=item.number)
        row.name, row.type, row.mode = item.name, item.type, item.mode
        row.level, row.department, row.code = item.level, item.department, item.code
        session.add(row)
        count += 1
    session.flush()
    return count


def catalog_names(session: Session) -> list[tuple[str, int]]:
    """Catalogs and their sizes."""
    rows = session.execute(
        select(CatalogItemRow.catalog, func.count()).group_by(CatalogItemRow.catalog).order_by(CatalogItemRow.catalog)
    )
    return [(name, count) for name, count in rows]


def catalog_rows(session: Session, catalog: str) -> list[CatalogItemRow]:
    """A catalog's items by number."""
    rows = list(
        session.scalars(select(CatalogItemRow).where(CatalogItemRow.catalog == catalog).order_by(CatalogItemRow.number))
    )
    if not rows:
        raise NotFoundError(f"目录“{catalog}”不存在。", f"No catalog {catalog!r}.", code="catalog_not_found")
    return rows


def grant_items(session: Session, township: Township, catalog: str, numbers: Sequence[int] | None = None) -> int:
    """Add catalog items (all, or those numbered) to the township's authority list; returns how many were added."""
    rows = catalog_rows(session, catalog)
    if numbers is not None:
        wanted = set(numbers)
        unknown = wanted - {r.number for r in rows}
        if unknown:
            raise InputError(
                f"目录“{catalog}”中没有序号 {sorted(unknown)} 的事项。",
                f"Catalog {catalog!r} has no items numbered {sorted(unknown)}.",
                code="catalog_item_not_found",
            )
        rows = [r for r in rows if r.number in wanted]
    have = {a.item_id for a in session.scalars(select(AuthorityItem).where(AuthorityItem.township_id == township.id))}
    next_number = (
        session.scalar(select(func.max(AuthorityItem.number)).where(AuthorityItem.township_id == township.id)) or 0
    )
    added = 0
    for row in rows:
        if row.id in have:
            continue
        next_number += 1
        session.add(AuthorityItem(township_id=township.id, item_id=row.id, number=next_number))
        added += 1
    session.flush()
    return added


def authority_list(session: Session, township: Township) -> list[AuthorityItem]:
    """The township's authority list, by its own numbering."""
    return list(
        session.scalars(
            select(AuthorityItem).where(AuthorityItem.township_id == township.id).order_by(AuthorityItem.number)
        )
    )


# Prebuilt: every stamp names its item, by number or by name.
_ITEMS = select(AuthorityItem).join(CatalogItemRow).where(AuthorityItem.township_id == bindparam("township_id_"))
_ITEM_BY_NUMBER = _ITEMS.where(AuthorityItem.number == bindparam("number_"))
_ITEM_BY_NAME = _ITEMS.where(CatalogItemRow.name == bindparam("name_"))


def resolve_item(session: Session, township: Township, ref: str | int) -> AuthorityItem:
    """An item of the township's authority list, by its number in that list or its exact name.

    Anything else is refused: the seal may be used only for items in the list (新县).
    """
    text = str(ref).strip()
    number = as_id(text)
    if number is not None:
        found = session.scalars(_ITEM_BY_NUMBER, {"township_id_": township.id, "number_": number}).first()
    elif bad_character(text) is None:
        found = session.scalars(_ITEM_BY_NAME, {"township_id_": township.id, "name_": text}).first()
    else:  # no listed item has a control character in its name: such a ref finds nothing (and never reaches SQL)
        found = None
    if found is None:
        raise ForbiddenError(
            f"事项“{text}”不在{township.name}的职权清单内，不能使用行政审批服务专用章。",
            f"Item {text!r} is not in {township.name}'s authority list; the seal may not be used for it.",
            code="item_not_in_authority_list",
            field="item",
        )
    return found
