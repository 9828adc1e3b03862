"""The batch job: two runners (two service processes) share a batch without stamping anything twice."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from esign.ledger.models import LedgerEntryRow
from esign.registry import Actor, find_person
from esign.registry.models import AuditEvent
from esign.workflow import BatchWorker, add_file, approve_batch, close_batch, open_batch, show_batch
from esign.workflow.engine import StampEngine
from esign.workflow.requests import StampRequestSpec
from tests.pdfgen import decision_pdf
from tests.workflow.conftest import County, now


def _actor(county: County, name: str) -> Actor:
    with county.dep.transaction() as session:
        return Actor.from_person(find_person(session, name))


def _batch(county: County, n: int, tag: str) -> int:
    clerk = _actor(county, "克城镇窗口")
    spec = StampRequestSpec(seal="克城镇", item="1", reason="批量受理", level="B-T")
    batch = open_batch(county.dep, clerk, spec, at=now())
    for i in range(n):
        data = decision_pdf(number=f"克政审受字〔2025〕第{tag}{i:02d}号")
        add_file(county.dep, clerk, batch.id, i + 1, f"{tag}-{i}.pdf", data, at=now())
    close_batch(county.dep, clerk, batch.id, at=now())
    return batch.id


def _view(county: County, batch_id: int):
    boss = _actor(county, "克城镇批准人")
    return show_batch(county.dep, boss, batch_id, at=now())


def _entries(county: County) -> int:
    with county.dep.transaction() as session:
        return session.scalar(select(func.count()).select_from(LedgerEntryRow)) or 0


def test_two_processes_share_a_batch_and_each_document_is_stamped_once(any_county):
    county = any_county
    batch_id = _batch(county, 8, "4")
    before = _entries(county)
    assert approve_batch(county.dep, _actor(county, "克城镇批准人"), batch_id, at=now())
    workers = [BatchWorker(county.dep, StampEngine(county.dep, clock=now), clock=now, threads=2) for _ in range(2)]
    try:
        for w in workers:
            w.submit(batch_id)
        deadline = time.monotonic() + 120
        while (view := _view(county, batch_id)).status != "done":
            assert time.monotonic() < deadline, view
            time.sleep(0.1)
    finally:
        for w in workers:
            w.stop()
    assert (view.stamped, view.failed, view.pending) == (8, 0, 0)
    assert _entries(county) == before + 8
    assert len({i.entry_id for i in view.items}) == 8
    with county.dep.transaction() as session:  # no runner tried a document another one had (a refused approval)
        targets = {f"stamp_request:{i.request_id}" for i in view.items}
        refused = session.scalars(
            select(AuditEvent).where(AuditEvent.target.in_(targets), AuditEvent.outcome != "ok")
        ).all()
    assert refused == []


def test_a_deactivated_approver_stamps_nothing_more(county):
    batch_id = _batch(county, 2, "5")
    before = _entries(county)
    assert approve_batch(county.dep, _actor(county, "克城镇批准人"), batch_id, at=now())
    with county.dep.transaction() as session:
        find_person(session, "克城镇批准人").active = False
    try:
        BatchWorker(county.dep, county.engine, clock=now, threads=1).run(batch_id)
    finally:
        with county.dep.transaction() as session:
            find_person(session, "克城镇批准人").active = True
    view = _view(county, batch_id)
    assert (view.status, view.stamped, view.failed) == ("done", 0, 2)
    assert {i.error.code for i in view.items if i.error} == {"approver_inactive"}
    assert _entries(county) == before
