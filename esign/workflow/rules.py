"""The rules checked before anything is signed, and the audit record of every refusal.

The seal is active; the user is a clerk of the seal's township; an approver of the same
township, who is not the user, approves; texts, document type and PAdES level are valid.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from esign.deployment import Deployment
from esign.errors import EsignError, ForbiddenError, InputError
from esign.ledger import (
    DocumentType,
)
from esign.registry import (
    Actor,
    Permission,
    SealStatus,
    audited_transaction,
    authorize,
    refusal_recorded,
)
from esign.registry.models import Seal
from esign.text import clean_text
from esign.verify import PadesLevel

__all__ = [
    "Decidable",
    "audit_refusal",
    "check_text",
    "document_type",
    "pades_level",
    "require_active",
    "require_approver",
    "require_clerk",
]


def audit_refusal(dep: Deployment, actor: Actor, action: str, target: str, exc: EsignError, *, at: dt.datetime) -> None:
    """Record a refused stamping attempt in its own transaction (the refused one rolled back), unless
    it is recorded already. For use cases not yet run in :func:`esign.registry.audited_transaction`."""
    if refusal_recorded(exc):
        return
    try:
        with audited_transaction(dep.transaction, actor, action, target, at=at):
            raise exc
    except EsignError as again:
        if again is not exc:
            raise


def check_text(value: str, field_name: str, zh: str, limit: int) -> str:
    """A required text field, by the one rule of :func:`esign.text.clean_text` (what the register accepts)."""
    return clean_text(value, field=field_name, zh=zh, limit=limit)


def require_active(seal: Seal) -> None:
    if seal.status != SealStatus.ACTIVE.value:
        raise ForbiddenError(
            f"印章“{seal.name}”当前状态为“{SealStatus(seal.status).zh}”，不能用印。",
            f"The seal is {seal.status}; only an active seal can stamp.",
            code="seal_not_active",
        )


def require_clerk(actor: Actor, seal: Seal) -> None:
    authorize(actor, Permission.STAMP_REQUEST, township_id=seal.township_id)


class Decidable(Protocol):
    """What an approver decides on: a stamp request or a batch of them."""

    @property
    def township_id(self) -> int: ...

    @property
    def clerk_id(self) -> int: ...


def require_approver(actor: Actor, row: Decidable) -> None:
    authorize(actor, Permission.STAMP_APPROVE, township_id=row.township_id)
    if actor.person_id == row.clerk_id:
        raise ForbiddenError(
            "批准人不能与使用人为同一人。",
            "The approver must not be the person who asked to stamp.",
            code="approver_is_user",
        )


def document_type(value: str) -> DocumentType:
    return DocumentType.parse(value)


def pades_level(value: str) -> PadesLevel:
    try:
        return PadesLevel(value.upper())
    except ValueError:
        raise InputError(
            f"未知的签名级别“{value}”，可选：B-B、B-T、B-LT、B-LTA。",
            f"Unknown PAdES level {value!r}.",
            code="bad_level",
            field="level",
        ) from None
