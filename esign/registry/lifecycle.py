"""The seal lifecycle as the seed documents require it, as a pure transition table.

``requested -> approved -> active``, ``active <-> suspended``, ``active|suspended -> revoked``
(注销) and ``active|suspended -> replaced`` (变更: a new key and certificate; the old one is
revoked as superseded). Creating, activating, changing and cancelling need approval (新县).
"""

from __future__ import annotations

from enum import StrEnum

from esign.errors import StateError

__all__ = ["SealAction", "SealStatus", "next_status"]


class SealStatus(StrEnum):
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
