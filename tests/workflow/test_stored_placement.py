"""Requests and batches stored before the typed placement (their placement JSON as the API and the desk
wrote it, ``false`` and ``null`` spelt out) are still read, stamped and counted as they asked."""

from __future__ import annotations

import json

from esign.ledger import SqlLedger
from esign.registry import Actor, find_person
from esign.stamp import AtKeyword
from esign.workflow import BatchWorker, add_file, approve_batch, close_batch, open_batch, show_batch
from esign.workflow.models import StampBatchRow, StampRequestRow
from esign.workflow.requests import StampRequestSpec, approve_request, submit_request
from tests.pdfgen import long_pdf
from tests.workflow.conftest import County, now

#: A riding seal on every page: three impressions on a three-page document, one without it.
OLD_SHAPE = {"mode": "keyword", "text": "", "page": None, "riding_seal": True, "also_on_pages": []}


def _actor(county: County, name: str) -> Actor:
    with county.dep.transaction() as session:
        return Actor.from_person(find_person(session, name))


def _count(county: County, entry_id: str) -> int:
    with county.dep.transaction() as session:
        return SqlLedger(session).entry_by_id(entry_id).entry.count


def test_a_request_stored_in_the_old_shape_is_stamped_as_it_asked(county):
    clerk, boss = _actor(county, "克城镇窗口"), _actor(county, "克城镇批准人")
    spec = StampRequestSpec(seal="克城镇", item="1", reason="受理", title="旧申请", placement=AtKeyword())
    row = submit_request(county.dep, clerk, long_pdf(3), spec, at=now())
    with county.dep.transaction() as session:
        stored = session.get(StampRequestRow, row.id)
        assert stored is not None and json.loads(stored.placement) == {"mode": "keyword"}
        stored.placement = json.dumps(OLD_SHAPE, ensure_ascii=False)
    outcome = approve_request(county.dep, county.engine, boss, row.id, at=now())
    assert _count(county, outcome.entry_id) == 3


def test_a_batch_stored_in_the_old_shape_gives_its_files_that_placement(county):
    clerk, boss = _actor(county, "克城镇窗口"), _actor(county, "克城镇批准人")
    spec = StampRequestSpec(seal="克城镇", item="1", reason="批量受理", level="B-T")
    batch = open_batch(county.dep, clerk, spec, at=now())
    with county.dep.transaction() as session:
        stored = session.get(StampBatchRow, batch.id)
        assert stored is not None
        stored.placement = json.dumps(OLD_SHAPE, ensure_ascii=False)
    add_file(county.dep, clerk, batch.id, 1, "旧批次.pdf", long_pdf(3), at=now())
    close_batch(county.dep, clerk, batch.id, at=now())
    assert approve_batch(county.dep, boss, batch.id, at=now())
    BatchWorker(county.dep, county.engine, clock=now, threads=1).run(batch.id)
    view = show_batch(county.dep, boss, batch.id, at=now())
    assert (view.status, view.stamped) == ("done", 1)
    entry = view.items[0].entry_id
    assert entry is not None and _count(county, entry) == 3
