"""Retention: documents past their keeping time are deleted, except the file of a request still waiting."""

from __future__ import annotations

import datetime as dt
import hashlib

from esign.registry import Actor, find_person
from esign.stamp import AtPosition
from esign.workflow import StampRequestSpec, purge_documents, stamp_directly, submit_request
from esign.workflow.commit import blobs_of
from tests.pdfgen import decision_pdf
from tests.workflow.conftest import now

CLERK, APPROVER = "克城镇窗口", "克城镇批准人"


def test_purge_keeps_the_file_of_a_pending_request_and_deletes_the_rest(county) -> None:
    dep = county.dep
    spec = StampRequestSpec(seal="克城镇", item="1", reason="受理", placement=AtPosition(page=-1, x_mm=150, y_mm=240))
    first = decision_pdf(number="第1号")
    done = stamp_directly(dep, county.engine, first, spec, user=CLERK, approver=APPROVER, at=now())
    with dep.transaction() as session:
        clerk = Actor.from_person(find_person(session, CLERK))
    waiting = submit_request(dep, clerk, decision_pdf(number="第2号"), spec, at=now())
    store = blobs_of(dep)
    first_sha = hashlib.sha256(first).hexdigest()
    assert all(store.exists(d) for d in (first_sha, done.output_sha256, waiting.input_sha256))

    kept = purge_documents(dep, keep_days=30, at=now())  # nothing is old yet
    assert kept.removed == 0

    gone = purge_documents(dep, keep_days=30, at=now() + dt.timedelta(days=31))
    assert gone.removed == 2
    assert not store.exists(first_sha) and not store.exists(done.output_sha256)
    assert store.exists(waiting.input_sha256)  # the approver still needs it
