"""Demo data for the oversight surfaces of the 蒲县 demo county: real stamps, real refusals, and history.

* Real stamps through the workflow (:func:`esign.workflow.requests.stamp_directly`) in several townships,
  for items of different types; three 民政 items get the department "县民政局" first, so that the
  department viewer "县民政局查看人" (蒲县民政局) sees them.
* Real refused attempts, audited by the workflow itself: an item outside the authority list, a
  suspended seal (suspended, tried, resumed), another township's seal, an approver asking to stamp.
* Optionally, past months of register history for the dashboard: entries appended to the log with
  :func:`esign.ledger.append` (the workflow's own call) with earlier signing times and made-up
  document hashes; they are demo data in a throw-away home, never something the service does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random

from sqlalchemy import select

from esign.deployment import Deployment
from esign.errors import EsignError
from esign.ledger import DocumentType, LedgerEntry, append, new_entry_id
from esign.registry import Actor, SealAction, change_seal, find_person, find_seal
from esign.registry.models import AuthorityItem, CatalogItemRow, Seal, Township
from esign.setup import DEMO_CATALOG
from esign.workflow.engine import StampEngine
from esign.workflow.requests import StampRequestSpec, stamp_directly, submit_request
from tests.pdfgen import decision_pdf

CIVIL_AFFAIRS_ITEMS = (1, 2, 3)
CST = dt.timezone(dt.timedelta(hours=8))

#: (township, item number in its authority list, document type, reason)
STAMPS = (
    ("克城镇", 1, DocumentType.ACCEPTANCE_NOTICE, "受理高龄补贴申请"),
    ("克城镇", 2, DocumentType.APPROVAL_DECISION, "临时救助审批"),
    ("克城镇", 2, DocumentType.ACCEPTANCE_NOTICE, "受理临时救助申请"),
    ("克城镇", 10, DocumentType.CERTIFICATE, "出具证明"),
    ("古县乡", 1, DocumentType.ACCEPTANCE_NOTICE, "受理高龄补贴申请"),
    ("古县乡", 30, DocumentType.CORRECTION_NOTICE, "补正材料告知"),
    ("蒲城镇", 3, DocumentType.APPROVAL_DECISION, "孤儿基本生活保障金给付"),
    ("蒲城镇", 50, DocumentType.ACCEPTANCE_NOTICE, "受理申请"),
    ("薛关镇", 1, DocumentType.ACCEPTANCE_NOTICE, "受理高龄补贴申请"),
)


def mark_civil_affairs(dep: Deployment) -> None:
    """This data set's departments: the three CIVIL_AFFAIRS_ITEMS are 县民政局's, no other item has one
    (whatever the demo's own mapping says), so the expected slices are written out here."""
    with dep.transaction() as session:
        for row in session.scalars(select(CatalogItemRow).where(CatalogItemRow.catalog == DEMO_CATALOG)):
            row.department = "县民政局" if row.number in CIVIL_AFFAIRS_ITEMS else ""


def stamp_some(dep: Deployment, *, at: dt.datetime) -> list[str]:
    engine = StampEngine(dep, clock=lambda: at)
    out = []
    for n, (township, item, doc, reason) in enumerate(STAMPS):
        pdf = decision_pdf(organisation=f"蒲县{township}人民政府", number=f"〔2026〕{n + 1}号")
        spec = StampRequestSpec(seal=township, item=str(item), reason=reason, document_type=doc.value, title=doc.value)
        done = stamp_directly(dep, engine, pdf, spec, user=f"{township}窗口", approver=f"{township}批准人", at=at)
        out.append(done.entry_id)
    return out


def refuse_some(dep: Deployment, *, at: dt.datetime) -> None:
    pdf = decision_pdf(organisation="蒲县克城镇人民政府")
    with dep.transaction() as session:
        clerk = Actor.from_person(find_person(session, "克城镇窗口"))
        approver = Actor.from_person(find_person(session, "克城镇批准人"))
        gu_clerk = Actor.from_person(find_person(session, "古县乡窗口"))
    attempts = [
        (clerk, StampRequestSpec(seal="克城镇", item="村民建房审批", reason="清单外事项")),
        (clerk, StampRequestSpec(seal="克城镇", item="999", reason="清单外事项")),
        (clerk, StampRequestSpec(seal="古县乡", item="1", reason="跨乡镇用印")),
        (approver, StampRequestSpec(seal="克城镇", item="1", reason="批准人自行用印")),
    ]
    for actor, spec in attempts:
        try:
            submit_request(dep, actor, pdf, spec, at=at)
        except EsignError:
            pass
    # Suspend 古县乡's seal, try to use it twice, resume it.
    with dep.transaction() as session:
        seal = find_seal(session, "古县乡")
        change_seal(
            session, seal, SealAction.SUSPEND, actor="县审批局管理员", reason="保管人调岗", at=at, ca=dep.seal_ca
        )
    for _ in range(2):
        try:
            submit_request(dep, gu_clerk, pdf, StampRequestSpec(seal="古县乡", item="1", reason="暂停期间用印"), at=at)
        except EsignError:
            pass
    with dep.transaction() as session:
        seal = find_seal(session, "古县乡")
        change_seal(
            session, seal, SealAction.RESUME, actor="县审批局管理员", reason="新保管人到岗", at=at, ca=dep.seal_ca
        )


def add_history(dep: Deployment, *, at: dt.datetime, months: int = 5, seed: int = 2026) -> int:
    """Past months of register entries for every township, weighted toward a few common items."""
    rnd = random.Random(seed)
    local = at.astimezone(CST)
    common = (1, 2, 3, 5, 8, 10, 12, 20, 30, 50, 70, 90)
    added = 0
    with dep.transaction() as session:
        townships = list(session.scalars(select(Township).order_by(Township.id)))
        items = {
            (a.township_id, a.number): a.item.name
            for a in session.scalars(select(AuthorityItem).where(AuthorityItem.number.in_(common)))
        }
        seals = {s.township_id: s for s in session.scalars(select(Seal).where(Seal.status == "active"))}
        entries: list[LedgerEntry] = []
        for back in range(months, 0, -1):
            year, month = local.year, local.month - back
            while month < 1:
                year, month = year - 1, month + 12
            for k, township in enumerate(townships):
                for _ in range(rnd.randint(4, 9) + (k % 3) * 3 + (months - back) * 2):
                    item = rnd.choices(common, weights=(9, 7, 4, 3, 3, 5, 2, 2, 2, 1, 1, 1))[0]
                    day = rnd.randint(1, 28)
                    when = dt.datetime(year, month, day, rnd.randint(8, 17), rnd.randint(0, 59), tzinfo=CST)
                    doc = rnd.choice([DocumentType.ACCEPTANCE_NOTICE, DocumentType.APPROVAL_DECISION])
                    digest = hashlib.sha256(f"{seed}-{township.id}-{len(entries)}".encode()).hexdigest()
                    seal = seals[township.id]
                    entries.append(
                        LedgerEntry(
                            entry_id=new_entry_id(),
                            township_id=str(township.id),
                            township_name=township.name,
                            seal_id=str(seal.id),
                            cert_serial=(seal.cert_serial or "1").lstrip("0") or "1",
                            item_number=str(item),
                            item_name=items[(township.id, item)],
                            document_type=doc,
                            document_title=doc.value,
                            reason="受理申请" if doc is DocumentType.ACCEPTANCE_NOTICE else "作出决定",
                            user=f"{township.name}窗口",
                            approver=f"{township.name}批准人",
                            count=rnd.choice((1, 1, 1, 2)),
                            input_sha256=digest,
                            output_sha256=hashlib.sha256(digest.encode()).hexdigest(),
                            signed_at=when.astimezone(dt.UTC),
                        )
                    )
        entries.sort(key=lambda e: e.signed_at)
        for e in entries:
            append(session, e, at=at)
            added += 1
    return added


def populate(dep: Deployment, *, at: dt.datetime, history: bool = False) -> list[str]:
    """Everything above; returns the entry ids of the real stamps."""
    mark_civil_affairs(dep)
    if history:
        add_history(dep, at=at)
    ids = stamp_some(dep, at=at)
    refuse_some(dep, at=at)
    return ids
