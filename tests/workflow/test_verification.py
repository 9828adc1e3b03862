"""Verification of our own pipeline's output, online: registry and register answers, revocation later."""

from __future__ import annotations

import datetime as dt

from esign.hosts import BlobStore
from esign.registry import SealAction, find_seal
from esign.registry.seals import transition
from esign.workflow.requests import StampRequestSpec, stamp_directly
from esign.workflow.verification import verify_document
from tests.pdfgen import decision_pdf

from .conftest import now


def _stamp(county, township: str, level: str = "B-LT") -> bytes:
    spec = StampRequestSpec(seal=township, item="1", reason="受理", title="受理通知书", level=level)
    outcome = stamp_directly(
        county.dep, county.engine, decision_pdf(organisation=f"蒲县{township}人民政府"), spec,
        user=f"{township}窗口", approver=f"{township}批准人", at=now(),
    )
    return BlobStore(county.home / "documents").get(outcome.output_sha256)


def test_a_document_stamped_before_revocation_stays_valid(county):
    data = _stamp(county, "红道乡")
    with county.dep.transaction() as session:
        seal = find_seal(session, "红道乡")
        transition(session, seal, SealAction.REVOKE, actor="改革办", reason="注销", at=now() + dt.timedelta(seconds=1),
                   ca=county.dep.seal_ca)
    report = verify_document(county.dep, data, at=now() + dt.timedelta(seconds=2))
    assert report.passed, report.conclusion_zh
    sig = report.signatures[0]
    assert sig.registry.seal_state_at_signing == "active"
    assert sig.registry.seal_state_now == "revoked"
    assert report.ledger.found and report.ledger.hash_matches


def test_every_level_of_our_output_passes_online(county):
    for level in ("B-B", "B-T", "B-LT", "B-LTA"):
        report = verify_document(county.dep, _stamp(county, "蒲城镇", level), at=now())
        assert report.passed, (level, report.conclusion_zh)
        assert report.signatures[0].level.value == level


def test_offline_b_lt_passes_with_only_the_root(county):
    from esign.verify import verify_pdf

    data = _stamp(county, "薛关镇")
    root = (county.home / "certs" / "root.crt").read_bytes()
    crl = (county.home / "certs" / "root.crl").read_bytes()
    report = verify_pdf(data, trust_roots=root, at=now(), crls=[crl])
    assert report.passed and report.ledger.status.value == "not_checked"
