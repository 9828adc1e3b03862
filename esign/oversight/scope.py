"""What an actor may see: the permission check and the slice of the register it allows.

The rules live in :mod:`esign.registry.authz` (the permission table, :func:`visible_township_ids`,
:func:`department_sees`); this module only turns them into a :class:`~esign.oversight.api.Scope`
that the queries apply.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from esign.errors import EsignError
from esign.oversight.api import Scope
from esign.registry.accounts import Actor, Role
from esign.registry.authz import Permission, authorize, department_sees, visible_township_ids
from esign.registry.models import CatalogItemRow

__all__ = ["scope_for"]


def scope_for(session: Session, actor: Actor, permission: Permission, *, township_id: int | None = None) -> Scope:
    """Authorize ``actor`` for ``permission`` (on ``township_id`` if given) and return what it may see.

    Raises :class:`esign.errors.AuthError` for the public and :class:`esign.errors.ForbiddenError`
    for a role without the permission or a township person asking for another township.
    """
    authorize(actor, permission, township_id=township_id)
    visible = visible_township_ids(actor)
    townships = None if visible is None else frozenset(visible)
    departments: frozenset[str] | None = None
    if actor.role is Role.DEPARTMENT:
        names = session.scalars(select(CatalogItemRow.department).distinct())
        departments = frozenset(n for n in names if department_sees(actor, n))
    try:
        authorize(actor, Permission.OVERSIGHT_REFUSALS)
        refusals = True
    except EsignError:  # not a refusal of the request: it only hides the refused attempts
        refusals = False
    return Scope(township_ids=townships, departments=departments, refusals=refusals)
