"""The end state of a request that can never be stamped: ``failed``, with the reason kept and shown.

A request is recorded before its document is stamped, so approval can still find the document
unusable: the keyword is not on any page, a field is missing, the document is too complex, or its
stored copy was lost (a crash right after it was asked for). Such a request would otherwise wait in
the approver's queue for ever; instead the approval that finds out ends it as ``failed``, with the
error's code and Chinese message, visible to the clerk and the approver (desk and API). The clerk
asks again with a corrected document.

What is *not* an end: a refusal of the approver (wrong role, township, seal not active), a wrong or
missing password of an encrypted document (the approver may try again with the right one), a
deployment or key-store problem (503) -- the request stays pending.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from esign.errors import EsignError, InputError, NotFoundError
from esign.registry import Actor, OnRefusal, record_event
from esign.workflow.commit import PENDING
from esign.workflow.models import StampRequestRow

__all__ = ["FAILED", "ending", "ends_request"]

FAILED = "failed"

#: Input errors the approver can still cure at approval (a password), which keep the request pending.
_CURABLE = frozenset({"pdf_encrypted", "pdf_wrong_password"})


def ends_request(exc: EsignError) -> bool:
    """Whether ``exc``, met while approving, means the request can never be stamped as it stands."""
    if isinstance(exc, InputError):
        return exc.code not in _CURABLE
    return isinstance(exc, NotFoundError) and exc.code == "document_not_found"


def ending(actor: Actor, request_id: int, *, at: dt.datetime) -> OnRefusal:
    """What an approval's refusal does after it was recorded, in the same transaction
    (:func:`esign.registry.audited_transaction`'s ``on_refusal``): a still-pending request that
    ``exc`` shows can never be stamped ends as ``failed``, with the error's code and message."""

    def end(session: Session, exc: EsignError) -> None:
        if not ends_request(exc):
            return
        row = session.get(StampRequestRow, request_id, with_for_update={"of": StampRequestRow})
        if row is None or row.status != PENDING:
            return
        row.status = FAILED
        row.failure_code = exc.code[:64]
        row.decision_reason = exc.message_zh
        row.approver_id = actor.person_id
        row.decided_at = at
        record_event(
            session,
            actor=actor.name,
            action="stamp.fail",
            target=f"stamp_request:{row.id}",
            at=at,
            township_id=row.township_id,
            detail=f"{exc.code}: {exc.message_zh}",
        )

    return end
