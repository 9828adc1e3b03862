"""The one transaction of a registry use case, which also records its refusal."""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager

from sqlalchemy.orm import Session

from esign.registry.accounts import Actor
from esign.registry.api import RegistryHome
from esign.registry.audit import REFUSALS, audited_transaction

__all__ = ["use_case"]


def use_case(
    home: RegistryHome, actor: Actor, action: str, target: str, *, at: dt.datetime
) -> AbstractContextManager[Session]:
    """The use case's transaction (:func:`esign.registry.audited_transaction`): committed when the body
    returns; when it raises one of :data:`esign.registry.REFUSALS` (no credentials, a missing permission,
    another township's record, a step the lifecycle does not allow), its work is rolled back and the
    refusal (``actor``, ``action``, ``target``, at ``at``) recorded and committed in its place, once. Bad
    input, conflicts and missing objects are answered, not recorded."""
    return audited_transaction(home.transaction, actor, action, target, at=at, refusals=REFUSALS)
