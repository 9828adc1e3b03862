"""The stamping workflow: a clerk's request, an approver's decision, the stamp and its register entry.

It joins the registry (who may stamp what), the stamping pipeline (how) and the ledger (the record).
This face is what ``service/`` and ``esign/cli/`` use: use cases that take a
:class:`~esign.deployment.Deployment` and plain values, own their one transaction (a refusal is
recorded in it, :func:`esign.registry.audited_transaction`) and return frozen views, never ORM rows.

The names are loaded on first use (PEP 562): :mod:`esign.models` imports :mod:`esign.workflow.models`
for migrations, which runs this module, and that must not pull in the stamping stack or make a cycle.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from esign.workflow.batch_runner import BatchWorker
    from esign.workflow.checkpoints import CheckpointTimer, TickResult, checkpoint_tick
    from esign.workflow.commit import StampOutcome, checkpoint_if_due
    from esign.workflow.desk import AuthorityChoice, DeskForm, desk_form, own_seal
    from esign.workflow.engine import StampEngine
    from esign.workflow.register import entry_view
    from esign.workflow.requests import (
        approve_request,
        get_request,
        list_requests,
        preview_document,
        preview_request,
        reject_request,
        request_document,
        stamp_directly,
        stamped_document,
        submit_request,
    )
    from esign.workflow.rules import document_type
    from esign.workflow.spec import StampRequestSpec
    from esign.workflow.verification import verify_document
    from esign.workflow.views import EntryView, StampRequestView, StoredDocument

__all__ = [
    "AuthorityChoice",
    "BatchWorker",
    "CheckpointTimer",
    "DeskForm",
    "EntryView",
    "StampEngine",
    "StampOutcome",
    "StampRequestSpec",
    "StampRequestView",
    "StoredDocument",
    "TickResult",
    "approve_request",
    "checkpoint_if_due",
    "checkpoint_tick",
    "desk_form",
    "document_type",
    "entry_view",
    "get_request",
    "list_requests",
    "own_seal",
    "preview_document",
    "preview_request",
    "reject_request",
    "request_document",
    "stamp_directly",
    "stamped_document",
    "submit_request",
    "verify_document",
]

#: Where each name of the face lives.
_HOMES = {
    "BatchWorker": "batch_runner",
    "CheckpointTimer": "checkpoints",
    "TickResult": "checkpoints",
    "checkpoint_tick": "checkpoints",
    "StampOutcome": "commit",
    "checkpoint_if_due": "commit",
    "AuthorityChoice": "desk",
    "DeskForm": "desk",
    "desk_form": "desk",
    "own_seal": "desk",
    "StampEngine": "engine",
    "entry_view": "register",
    "StampRequestSpec": "spec",
    "approve_request": "requests",
    "get_request": "requests",
    "list_requests": "requests",
    "preview_document": "requests",
    "preview_request": "requests",
    "reject_request": "requests",
    "request_document": "requests",
    "stamp_directly": "requests",
    "stamped_document": "requests",
    "submit_request": "requests",
    "document_type": "rules",
    "verify_document": "verification",
    "EntryView": "views",
    "StampRequestView": "views",
    "StoredDocument": "views",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
