"""What the township desk's forms need before a clerk asks: the actor's own seal and authority list.

Reads only, in one transaction each; nothing is recorded (a refusal here is a form the clerk cannot
use, said on the page; the request itself records its refusals).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from esign.deployment import Deployment
from esign.ledger import DocumentType
from esign.registry import (
    Actor,
    Permission,
    SealStatus,
    authority_list,
    authorized_transaction,
    find_seal,
    find_township,
)

__all__ = ["AuthorityChoice", "DeskForm", "desk_form", "own_seal"]


@dataclass(frozen=True)
class AuthorityChoice:
    """One item of the township's authority list, as the form offers it."""

    #: Its number in the township's list (what :class:`StampRequestSpec` ``item`` takes).
    number: int
    #: The item's name.
    name: str
    #: The item's type (行政许可 …).
    type: str


@dataclass(frozen=True)
class DeskForm:
    """The clerk's request form."""

    #: The seal, as :class:`~esign.workflow.requests.StampRequestSpec` ``seal`` takes it (the township's name).
    seal_ref: str
    #: The seal's name.
    seal_name: str
    #: The seal's state, in Chinese.
    seal_status_zh: str
    #: The township's authority list.
    items: tuple[AuthorityChoice, ...]
    #: The document types to choose from.
    document_types: tuple[str, ...]


def desk_form(dep: Deployment, actor: Actor, *, at: dt.datetime) -> DeskForm:
    """The form of a clerk (``STAMP_REQUEST``) of a township: its seal and authority list. The permission
    is asked in the read's one transaction, which records a refusal once, at ``at``
    (:func:`esign.registry.authorized_transaction`)."""
    with authorized_transaction(dep.transaction, actor, Permission.STAMP_REQUEST, "desk", at=at) as session:
        township = find_township(session, actor.township_id or 0)
        seal = find_seal(session, township.name)
        items = tuple(AuthorityChoice(a.number, a.item.name, a.item.type) for a in authority_list(session, township))
        return DeskForm(
            seal_ref=township.name,
            seal_name=seal.name,
            seal_status_zh=SealStatus(seal.status).zh,
            items=items,
            document_types=tuple(t.value for t in DocumentType),
        )


def own_seal(dep: Deployment, actor: Actor) -> str:
    """The actor's township's seal, as a request names it (the township's name); ``township_not_found``
    (or the like) for an actor without a township."""
    with dep.transaction() as session:
        return find_township(session, actor.township_id or 0).name
