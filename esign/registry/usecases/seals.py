"""Seals, as the service and the CLI act on them: each call is one transaction, authorized for its
actor, and returns frozen views.

The lifecycle's rules are :mod:`esign.registry.lifecycle`'s and the work :mod:`esign.registry.seals`';
these functions add the permission check (:func:`esign.registry.authorize`), the audit event of a
change, and the reading of the result before the transaction ends.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from esign.registry.accounts import Actor
from esign.registry.api import RegistryHome
from esign.registry.audit import record_event
from esign.registry.authz import Permission, authorize, visible_township_ids
from esign.registry.legacy import Disposition, list_legacy_seals, record_legacy_seal
from esign.registry.lifecycle import SealAction, SealStatus, allowed_actions
from esign.registry.models import Seal
from esign.registry.seals import (
    change_seal,
    find_seal,
    list_seals,
    request_seal,
    seal_data,
    seal_data_validity,
    seal_history,
)
from esign.registry.townships import find_township, organisation_name
from esign.registry.usecases._run import use_case
from esign.registry.views import LegacySealView, SealDataFile, SealView

__all__ = [
    "legacy_seal_list",
    "legacy_seal_record",
    "seal_change",
    "seal_data_file",
    "seal_list",
    "seal_request",
    "seal_show",
    "seal_view",
]


def seal_view(
    session: Session,
    seal: Seal,
    *,
    history: bool = False,
    validity: tuple[dt.datetime, dt.datetime] | None = None,
) -> SealView:
    """``seal`` read into a view (with its history when asked), in ``session``."""
    status = SealStatus(seal.status)
    return SealView(
        id=seal.id,
        code=seal.code,
        name=seal.name,
        title=seal.title,
        township_id=seal.township_id,
        township=seal.township.name,
        organisation=organisation_name(seal.township),
        status=status,
        status_since=seal.status_since,
        cert_serial=seal.cert_serial,
        sm2_cert_serial=seal.sm2_cert_serial,
        replaces_id=seal.replaces_id,
        actions=allowed_actions(status),
        seal_data_validity=validity,
        history=tuple(seal_history(session, seal)) if history else (),
    )


def seal_list(home: RegistryHome, actor: Actor, *, at: dt.datetime) -> list[SealView]:
    """The seals ``actor`` may see (a township's staff: their township's), newest first within each
    township, each with the validity of its seal data. ``at`` dates a refusal."""
    with use_case(home, actor, Permission.SEAL_VIEW.value, "seals", at=at) as session:
        authorize(actor, Permission.SEAL_VIEW)
        seals = list_seals(session, only_townships=visible_township_ids(actor))
        validity = seal_data_validity(session, [s.id for s in seals])
        return [seal_view(session, s, validity=validity.get(s.id)) for s in seals]


def seal_show(home: RegistryHome, actor: Actor, ref: str | int, *, at: dt.datetime, history: bool = True) -> SealView:
    """One seal (by id, code or township name) with its history."""
    with use_case(home, actor, Permission.SEAL_VIEW.value, f"seal:{ref}", at=at) as session:
        seal = find_seal(session, ref)
        authorize(actor, Permission.SEAL_VIEW, township_id=seal.township_id)
        return seal_view(session, seal, history=history)


def seal_request(
    home: RegistryHome, actor: Actor, township: str | int, *, reason: str, at: dt.datetime, title: str | None = None
) -> SealView:
    """Request the township's seal (one per township that is not revoked or replaced), with its audit event."""
    with use_case(home, actor, "seal.request", f"township:{township}", at=at) as session:
        t = find_township(session, township)
        authorize(actor, Permission.SEAL_REQUEST, township_id=t.id)
        seal = request_seal(session, t, actor=actor.name, reason=reason, at=at, title=title)
        record_event(
            session, actor=actor.name, action="seal.request", target=f"seal:{seal.code}", at=at, township_id=t.id
        )
        return seal_view(session, seal, history=True)


def seal_change(
    home: RegistryHome, actor: Actor, ref: str | int, action: SealAction, *, reason: str, at: dt.datetime
) -> SealView:
    """Take one lifecycle step (the certificate's status changes with it) and record it; returns the
    seal with its history (for ``replace``, the new seal)."""
    with use_case(home, actor, f"seal.{action.value}", f"seal:{ref}", at=at) as session:
        seal = find_seal(session, ref)
        authorize(actor, Permission.SEAL_DECIDE, township_id=seal.township_id)
        result = change_seal(session, seal, action, actor=actor.name, reason=reason, at=at, ca=home.seal_ca)
        return seal_view(session, result, history=True)


def seal_data_file(home: RegistryHome, actor: Actor, ref: str | int, *, at: dt.datetime) -> SealDataFile:
    """The seal's GB/T 38540 seal data; NotFoundError when it has none."""
    with use_case(home, actor, Permission.SEAL_VIEW.value, f"seal:{ref}", at=at) as session:
        seal = find_seal(session, ref)
        authorize(actor, Permission.SEAL_VIEW, township_id=seal.township_id)
        row = seal_data(session, seal)
        return SealDataFile(der=row.der, es_id=row.es_id, valid_start=row.valid_start, valid_end=row.valid_end)


def legacy_seal_list(home: RegistryHome, actor: Actor, township: str | int, *, at: dt.datetime) -> list[LegacySealView]:
    """The township's old station seals and what happened to each."""
    with use_case(home, actor, Permission.TOWNSHIP_VIEW.value, f"township:{township}", at=at) as session:
        t = find_township(session, township)
        authorize(actor, Permission.TOWNSHIP_VIEW, township_id=t.id)
        return [
            LegacySealView(r.name, r.disposition, r.approval_ref, r.recorded_by, r.at)
            for r in list_legacy_seals(session, township_id=t.id)
        ]


def legacy_seal_record(
    home: RegistryHome,
    actor: Actor,
    township: str | int,
    name: str,
    disposition: Disposition,
    *,
    at: dt.datetime,
    approval_ref: str = "",
) -> LegacySealView:
    """Record an old seal as sealed up, or kept with the county approval ``approval_ref``, with its audit event."""
    with use_case(home, actor, "legacy_seal.record", f"township:{township}", at=at) as session:
        t = find_township(session, township)
        authorize(actor, Permission.LEGACY_SEAL_RECORD, township_id=t.id)
        row = record_legacy_seal(session, t, name, disposition, actor=actor.name, at=at, approval_ref=approval_ref)
        record_event(
            session,
            actor=actor.name,
            action="legacy_seal.record",
            target=f"township:{t.id}",
            at=at,
            township_id=t.id,
            detail=f"{row.name}: {row.disposition}",
        )
        return LegacySealView(row.name, row.disposition, row.approval_ref, row.recorded_by, row.at)
