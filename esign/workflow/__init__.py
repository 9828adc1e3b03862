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
    from esign.workflow.batch_pool import BatchPool, BatchProgress, Upload
    from esign.workflow.batch_runner import BatchWorker
    from esign.workflow.batch_views import BATCH_OPEN, BatchItemError, BatchItemView, BatchSummary, BatchView
    from esign.workflow.batches import (
        MAX_BATCH_FILES,
        add_file,
        add_refused,
        approve_batch,
        close_batch,
        list_batches,
        open_batch,
        reject_batch,
        show_batch,
    )
    from esign.workflow.checkpoints import CheckpointTimer, TickResult, checkpoint_tick
    from esign.workflow.commit import StampOutcome, checkpoint_if_due, sign_checkpoint_now
    from esign.workflow.desk import AuthorityChoice, DeskForm, desk_form, own_seal
    from esign.workflow.engine import StampEngine
    from esign.workflow.local_batch import LocalFile, LocalResult, files_in_folder, files_in_manifest, stamp_files
    from esign.workflow.register import entry_view, register_tile
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
    from esign.workflow.retention import PurgeResult, purge_documents
    from esign.workflow.rules import document_type
    from esign.workflow.spec import StampRequestSpec
    from esign.workflow.verification import verify_document
    from esign.workflow.views import EntryView, StampRequestView, StoredDocument

__all__ = [
    "BATCH_OPEN",
    "MAX_BATCH_FILES",
    "AuthorityChoice",
    "BatchItemError",
    "BatchItemView",
    "BatchPool",
    "BatchProgress",
    "BatchSummary",
    "BatchView",
    "BatchWorker",
    "CheckpointTimer",
    "DeskForm",
    "EntryView",
    "LocalFile",
    "LocalResult",
    "PurgeResult",
    "StampEngine",
    "StampOutcome",
    "StampRequestSpec",
    "StampRequestView",
    "StoredDocument",
    "TickResult",
    "Upload",
    "add_file",
    "add_refused",
    "approve_batch",
    "approve_request",
    "checkpoint_if_due",
    "checkpoint_tick",
    "close_batch",
    "desk_form",
    "document_type",
    "entry_view",
    "files_in_folder",
    "files_in_manifest",
    "get_request",
    "list_batches",
    "list_requests",
    "open_batch",
    "own_seal",
    "preview_document",
    "preview_request",
    "purge_documents",
    "register_tile",
    "reject_batch",
    "reject_request",
    "request_document",
    "show_batch",
    "sign_checkpoint_now",
    "stamp_directly",
    "stamp_files",
    "stamped_document",
    "submit_request",
    "verify_document",
]

#: Where each name of the face lives.
_HOMES = {
    "PurgeResult": "retention",
    "purge_documents": "retention",
    "BatchPool": "batch_pool",
    "BatchProgress": "batch_pool",
    "Upload": "batch_pool",
    "BATCH_OPEN": "batch_views",
    "BatchItemError": "batch_views",
    "BatchItemView": "batch_views",
    "BatchSummary": "batch_views",
    "BatchView": "batch_views",
    "MAX_BATCH_FILES": "batches",
    "add_file": "batches",
    "add_refused": "batches",
    "approve_batch": "batches",
    "close_batch": "batches",
    "list_batches": "batches",
    "open_batch": "batches",
    "reject_batch": "batches",
    "show_batch": "batches",
    "LocalFile": "local_batch",
    "LocalResult": "local_batch",
    "files_in_folder": "local_batch",
    "files_in_manifest": "local_batch",
    "stamp_files": "local_batch",
    "BatchWorker": "batch_runner",
    "CheckpointTimer": "checkpoints",
    "TickResult": "checkpoints",
    "checkpoint_tick": "checkpoints",
    "StampOutcome": "commit",
    "checkpoint_if_due": "commit",
    "sign_checkpoint_now": "commit",
    "AuthorityChoice": "desk",
    "DeskForm": "desk",
    "desk_form": "desk",
    "own_seal": "desk",
    "StampEngine": "engine",
    "entry_view": "register",
    "register_tile": "register",
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
