"""Retention of stored documents: files past their keeping time are deleted, their hashes stay in the register.

A document still waiting for approval is kept whatever its age: its request cannot be stamped without it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from esign.deployment import Deployment
from esign.workflow.commit import blobs_of
from esign.workflow.models import StampRequestRow

__all__ = ["PurgeResult", "purge_documents"]


@dataclass(frozen=True)
class PurgeResult:
    """What a purge removed."""

    #: Stored documents older than the cut-off that were deleted.
    removed: int
    #: Temporary files a crashed write left behind that were deleted.
    temporary: int


def purge_documents(dep: Deployment, *, keep_days: int, at: dt.datetime) -> PurgeResult:
    """Delete stored documents older than ``keep_days`` before ``at``, except those of pending requests."""
    with dep.transaction() as session:
        pending = set(session.scalars(select(StampRequestRow.input_sha256).where(StampRequestRow.status == "pending")))
    store = blobs_of(dep)
    removed = store.purge_older_than(at - dt.timedelta(days=keep_days), keep=pending)
    return PurgeResult(removed=removed, temporary=store.purge_stale_temp(at=at))
