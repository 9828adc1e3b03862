"""The seal lifecycle as the seed documents require it, as a pure transition table.

``requested -> approved -> active``, ``active <-> suspended``, ``active|suspended -> revoked``
(注销) and ``active|suspended -> replaced`` (变更: a new key and certificate; the old one is
revoked as superseded). Creating, activating, changing and cancelling need approval (新县).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from esign.errors import StateError

if TYPE_CHECKING:
    from esign.verify.api import SealState

__all__ = ["SealAction", "SealStatus", "allowed_actions", "next_status"]


class SealStatus(StrEnum):
    """Where a seal is in its lifecycle, as the registry records it.

    Not the same question as :class:`esign.verify.SealState`, the verifier's "could this seal stamp
    then?": that one has ``unknown`` (no registry answer, or no proven time) and folds the registry's
    steps into what matters to a relying party (``requested`` and ``approved`` seals cannot have
    stamped; a ``replaced`` seal's certificate is revoked). :attr:`seal_state` maps one to the other.
    """

    REQUESTED = "requested"
    APPROVED = "approved"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    REPLACED = "replaced"

    @property
    def zh(self) -> str:
        """The Chinese label shown to people."""
        return _STATUS_ZH[self]

    @property
    def seal_state(self) -> SealState:
        """What a verifier makes of this status (``unknown`` for a seal not yet active)."""
        from esign.verify.api import SealState  # imported here: esign.verify loads pyHanko, the registry need not

        states = {
            SealStatus.ACTIVE: SealState.ACTIVE,
            SealStatus.SUSPENDED: SealState.SUSPENDED,
            SealStatus.REVOKED: SealState.REVOKED,
            SealStatus.REPLACED: SealState.REVOKED,
        }
        return states.get(self, SealState.UNKNOWN)


class SealAction(StrEnum):
    APPROVE = "approve"
    ACTIVATE = "activate"
    SUSPEND = "suspend"
    RESUME = "resume"
    REVOKE = "revoke"
    REPLACE = "replace"

    @property
    def zh(self) -> str:
        """The Chinese verb shown to people."""
        return _ACTION_ZH[self]

    @property
    def past(self) -> str:
        """English past participle, for messages."""
        return _ACTION_PAST[self]


_STATUS_ZH = {
    SealStatus.REQUESTED: "已申请",
    SealStatus.APPROVED: "已批准",
    SealStatus.ACTIVE: "已启用",
    SealStatus.SUSPENDED: "已暂停",
    SealStatus.REVOKED: "已注销",
    SealStatus.REPLACED: "已变更",
}
_ACTION_ZH = {
    SealAction.APPROVE: "批准",
    SealAction.ACTIVATE: "启用",
    SealAction.SUSPEND: "暂停",
    SealAction.RESUME: "恢复",
    SealAction.REVOKE: "注销",
    SealAction.REPLACE: "变更",
}

_ACTION_PAST = {
    SealAction.APPROVE: "approved",
    SealAction.ACTIVATE: "activated",
    SealAction.SUSPEND: "suspended",
    SealAction.RESUME: "resumed",
    SealAction.REVOKE: "revoked",
    SealAction.REPLACE: "replaced",
}

_TRANSITIONS: dict[tuple[SealStatus, SealAction], SealStatus] = {
    (SealStatus.REQUESTED, SealAction.APPROVE): SealStatus.APPROVED,
    (SealStatus.APPROVED, SealAction.ACTIVATE): SealStatus.ACTIVE,
    (SealStatus.ACTIVE, SealAction.SUSPEND): SealStatus.SUSPENDED,
    (SealStatus.SUSPENDED, SealAction.RESUME): SealStatus.ACTIVE,
    (SealStatus.ACTIVE, SealAction.REVOKE): SealStatus.REVOKED,
    (SealStatus.SUSPENDED, SealAction.REVOKE): SealStatus.REVOKED,
    (SealStatus.ACTIVE, SealAction.REPLACE): SealStatus.REPLACED,
    (SealStatus.SUSPENDED, SealAction.REPLACE): SealStatus.REPLACED,
}


def allowed_actions(current: SealStatus) -> tuple[SealAction, ...]:
    """The actions a seal in ``current`` may take, in the order of :class:`SealAction` (none once
    revoked or replaced)."""
    return tuple(a for a in SealAction if (current, a) in _TRANSITIONS)


def next_status(current: SealStatus, action: SealAction) -> SealStatus:
    """The status after ``action``, or a :class:`StateError` naming both when it is not allowed."""
    try:
        return _TRANSITIONS[(current, action)]
    except KeyError:
        raise StateError(
            f"印章当前状态为“{current.zh}”，不能执行“{action.zh}”操作。",
            f"A seal that is {current.value} cannot be {action.past}.",
            code="illegal_seal_transition",
            status=current.value,
            action=action.value,
        ) from None
