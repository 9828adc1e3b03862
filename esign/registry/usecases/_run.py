"""The one transaction of a registry use case."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from esign.errors import AuthError, ForbiddenError, StateError
from esign.registry.accounts import Actor
from esign.registry.api import RegistryHome

__all__ = ["REFUSALS", "use_case"]

#: Refusals written to the audit log: a missing permission, another township's record, a step the
#: lifecycle does not allow. Bad input and missing objects are answered, not recorded.
REFUSALS = (AuthError, ForbiddenError, StateError)


@contextmanager
def use_case(home: RegistryHome, actor: Actor, action: str, target: str, *, at: dt.datetime) -> Iterator[Session]:
    """The use case's transaction: committed when the body returns, rolled back when it raises."""
    del actor, action, target, at  # the refusal audit arrives with the shared mechanism
    with home.transaction() as session:
        yield session
