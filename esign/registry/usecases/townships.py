"""The county and its townships, their authority lists (职权清单) and the catalogs they draw on, as
the service and the CLI use them: one transaction per call, authorized, frozen views out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from esign.errors import EsignError
from esign.registry.accounts import Actor
from esign.registry.api import RegistryHome
from esign.registry.audit import record_event
from esign.registry.authority import authority_list, catalog_names, catalog_rows, grant_items, import_catalog
from esign.registry.authz import Permission, authorize, visible_township_ids
from esign.registry.catalog import load_catalog
from esign.registry.lifecycle import SealStatus
from esign.registry.models import AuthorityItem, Seal, Township
from esign.registry.townships import add_township, find_township, get_county, list_townships, organisation_name
from esign.registry.usecases._run import use_case
from esign.registry.views import CatalogSummary, ListedItem, TownshipView

__all__ = [
    "authority_grant",
    "catalog_import",
    "catalog_items",
    "catalog_list",
    "county_name",
    "township_add",
    "township_authority",
    "township_list",
    "township_show",
]


def _township_view(session: Session, township: Township) -> TownshipView:
    seal = session.scalar(select(Seal).where(Seal.township_id == township.id).order_by(Seal.id.desc()).limit(1))
    items = session.scalar(
        select(func.count()).select_from(AuthorityItem).where(AuthorityItem.township_id == township.id)
    )
    return TownshipView(
        id=township.id,
        name=township.name,
        kind=township.kind,
        organisation=organisation_name(township),
        uscc=township.uscc,
        region_code=township.region_code,
        address=township.address,
        phone=township.phone,
        seal_id=seal.id if seal else None,
        seal_code=seal.code if seal else None,
        seal_name=seal.name if seal else None,
        seal_status=SealStatus(seal.status) if seal else None,
        authority_items=items or 0,
    )


def county_name(home: RegistryHome) -> str | None:
    """The name of the county this deployment serves; None before ``esign init``."""
    with home.transaction() as session:
        try:
            return get_county(session).name
        except EsignError:
            return None


def township_list(home: RegistryHome, actor: Actor, *, at: dt.datetime) -> list[TownshipView]:
    """The townships ``actor`` may see, in the order they were added. ``at`` dates a refusal."""
    with use_case(home, actor, Permission.TOWNSHIP_VIEW.value, "townships", at=at) as session:
        authorize(actor, Permission.TOWNSHIP_VIEW)
        return [_township_view(session, t) for t in list_townships(session, only=visible_township_ids(actor))]


def township_show(home: RegistryHome, actor: Actor, ref: str | int, *, at: dt.datetime) -> TownshipView:
    """One township, by id or name."""
    with use_case(home, actor, Permission.TOWNSHIP_VIEW.value, f"township:{ref}", at=at) as session:
        township = find_township(session, ref)
        authorize(actor, Permission.TOWNSHIP_VIEW, township_id=township.id)
        return _township_view(session, township)


def township_add(
    home: RegistryHome,
    actor: Actor,
    name: str,
    *,
    uscc: str,
    region_code: str,
    at: dt.datetime,
    address: str = "",
    phone: str = "",
) -> TownshipView:
    """Add a township of the county (its kind follows from its name), with its audit event."""
    with use_case(home, actor, "township.add", f"township:{name}", at=at) as session:
        authorize(actor, Permission.TOWNSHIP_MANAGE)
        township = add_township(session, name, uscc=uscc, region_code=region_code, address=address, phone=phone, at=at)
        record_event(
            session,
            actor=actor.name,
            action="township.add",
            target=f"township:{township.id}",
            at=at,
            township_id=township.id,
        )
        return _township_view(session, township)


def township_authority(home: RegistryHome, actor: Actor, ref: str | int, *, at: dt.datetime) -> list[ListedItem]:
    """The township's authority list, by its own numbering."""
    with use_case(home, actor, Permission.TOWNSHIP_VIEW.value, f"township:{ref}", at=at) as session:
        township = find_township(session, ref)
        authorize(actor, Permission.TOWNSHIP_VIEW, township_id=township.id)
        return [
            ListedItem(a.number, a.item.name, a.item.type, a.item.mode, a.item.department, a.item.code)
            for a in authority_list(session, township)
        ]


def authority_grant(
    home: RegistryHome,
    actor: Actor,
    township: str | int,
    catalog: str,
    numbers: Sequence[int] | None,
    *,
    at: dt.datetime,
) -> tuple[str, int]:
    """Add a catalog's items (all, or those numbered) to the township's authority list, with its audit
    event; returns the township's name and how many items were added."""
    with use_case(home, actor, "authority.grant", f"township:{township}", at=at) as session:
        authorize(actor, Permission.CATALOG_MANAGE)
        t = find_township(session, township)
        added = grant_items(session, t, catalog, numbers)
        record_event(
            session,
            actor=actor.name,
            action="authority.grant",
            target=f"township:{t.id}",
            at=at,
            township_id=t.id,
            detail=f"{catalog}: {added}",
        )
        return t.name, added


def catalog_import(
    home: RegistryHome, actor: Actor, catalog: str, data: bytes, *, filename: str, at: dt.datetime
) -> int:
    """Read a catalog file (JSON, CSV or XLSX; errors name their rows) and store its items under
    ``catalog``, with the audit event; returns how many items were written."""
    items = load_catalog(data, filename=filename)
    with use_case(home, actor, "catalog.import", f"catalog:{catalog}", at=at) as session:
        authorize(actor, Permission.CATALOG_MANAGE)
        count = import_catalog(session, catalog, items)
        record_event(
            session, actor=actor.name, action="catalog.import", target=f"catalog:{catalog}", at=at, detail=str(count)
        )
        return count


def catalog_list(home: RegistryHome, actor: Actor, *, at: dt.datetime) -> list[CatalogSummary]:
    """The stored catalogs and their sizes."""
    with use_case(home, actor, Permission.CATALOG_MANAGE.value, "catalogs", at=at) as session:
        authorize(actor, Permission.CATALOG_MANAGE)
        return [CatalogSummary(name, count) for name, count in catalog_names(session)]


def catalog_items(home: RegistryHome, actor: Actor, catalog: str, *, at: dt.datetime) -> list[ListedItem]:
    """A catalog's items by number; NotFoundError for an unknown catalog."""
    with use_case(home, actor, Permission.CATALOG_MANAGE.value, f"catalog:{catalog}", at=at) as session:
        authorize(actor, Permission.CATALOG_MANAGE)
        return [
            ListedItem(r.number, r.name, r.type, r.mode, r.department, r.code) for r in catalog_rows(session, catalog)
        ]
