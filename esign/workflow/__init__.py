"""The stamping workflow: a clerk's request, an approver's decision, the stamp and its register entry.

It joins the registry (who may stamp what), the stamping pipeline (how) and the ledger (the record).
This face is what ``service/`` and ``esign/cli/`` use: use cases that take a
:class:`~esign.deployment.Deployment` and plain values, own their one transaction (a refusal is
recorded in it, :func:`esign.registry.audited_transaction`) and return frozen views, never ORM rows.

The names are loaded on first use (PEP 562): :mod:`esign.models` imports :mod:`esign.workflow.models`
for migrations, which runs this module, and that must not pull in the stamping stack or make a cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from esign.lazy import lazy_face

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
        approve_and_show,
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
    "approve_and_show",
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

#: Where each name of the face lives (loaded on first use).
__getattr__, __dir__ = lazy_face(
    __name__,
    __all__,
    {
        "retention": ("PurgeResult", "purge_documents"),
        "batch_pool": ("BatchPool", "BatchProgress", "Upload"),
        "batch_views": ("BATCH_OPEN", "BatchItemError", "BatchItemView", "BatchSummary", "BatchView"),
        "batches": (
            "MAX_BATCH_FILES",
            "add_file",
            "add_refused",
            "approve_batch",
            "close_batch",
            "list_batches",
            "open_batch",
            "reject_batch",
            "show_batch",
        ),
        "local_batch": ("LocalFile", "LocalResult", "files_in_folder", "files_in_manifest", "stamp_files"),
        "batch_runner": ("BatchWorker",),
        "checkpoints": ("CheckpointTimer", "TickResult", "checkpoint_tick"),
        "commit": ("StampOutcome", "checkpoint_if_due", "sign_checkpoint_now"),
        "desk": ("AuthorityChoice", "DeskForm", "desk_form", "own_seal"),
        "engine": ("StampEngine",),
        "register": ("entry_view", "register_tile"),
        "spec": ("StampRequestSpec",),
        "requests": (
            "approve_and_show",
            "approve_request",
            "get_request",
            "list_requests",
            "preview_document",
            "preview_request",
            "reject_request",
            "request_document",
            "stamp_directly",
            "stamped_document",
            "submit_request",
        ),
        "rules": ("document_type",),
        "verification": ("verify_document",),
        "views": ("EntryView", "StampRequestView", "StoredDocument"),
    },
)
