"""The report: JSON keys, conclusions, article 13 conditions, and the online hooks."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import FrozenInstanceError

import pytest

from esign.verify import (
    CheckStatus,
    Indication,
    LedgerAnswer,
    LedgerLookup,
    LedgerQuery,
    RegistryAnswer,
    RegistryLookup,
    SealState,
    SubIndication,
    verify_pdf,
)
from tests.verify.factory import Level
from tests.verify.scenarios import build, trust_root

TOP_KEYS = {
    "indication",
    "subindication",
    "conclusion_zh",
    "conclusion_en",
    "validation_time",
    "document_sha256",
    "size",
    "revisions",
    "signatures",
    "document_timestamps",
    "problems",
    "conditions",
    "ledger",
}
SIG_KEYS = {
    "index",
    "field_name",
    "indication",
    "subindication",
    "reasons",
    "warnings",
    "signer",
    "chain",
    "trusted_signing_time",
    "claimed_signing_time",
    "timestamp",
    "level",
    "coverage",
    "changes",
    "intact",
    "crypto_valid",
    "revocation_at_signing",
    "revocation_now",
    "certification_level",
    "reason",
    "location",
    "registry",
    "seal",
}


def _verify(scenario: str = "fresh", level: Level = Level.B_LTA, **kw: object):
    case = build(scenario, level)
    return verify_pdf(case.pdf, trust_roots=[trust_root()], at=case.at, crls=case.crls, **kw)  # type: ignore[arg-type]


def test_json_shape() -> None:
    report = _verify()
    d = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    assert set(d) == TOP_KEYS
    assert d["indication"] == "TOTAL_PASSED" and d["subindication"] is None
    sig = d["signatures"][0]
    assert set(sig) == SIG_KEYS
    assert sig["level"] == "B-LTA"
    assert sig["signer"]["organization_identifier"] == "11141033MB12345676"
    assert sig["signer"]["common_name"] == "蒲县克城镇人民政府行政审批服务专用章"
    assert len(sig["signer"]["sha256_fingerprint"]) == 64
    assert sig["chain"][-1].startswith("CN=蒲县电子印章根CA")
    assert sig["trusted_signing_time"].endswith("Z")
    assert sig["changes"]["category"] == "signatures_timestamps_validation_data"
    assert sig["revocation_at_signing"]["source"] == "embedded"
    assert sig["registry"]["status"] == "not_checked" and d["ledger"]["status"] == "not_checked"
    assert sig["seal"] is None  # set only for GB/T 38540 seals and signatures
    assert [c["number"] for c in d["conditions"]] == [1, 2, 3, 4]
    assert d["conclusion_zh"] == "有效：该电子印章真实有效，文件自盖章后未被修改，与实物印章具有同等法律效力。"


def test_report_is_frozen() -> None:
    report = _verify()
    with pytest.raises(FrozenInstanceError):
        report.indication = Indication.TOTAL_FAILED


def test_revoked_conclusion_and_conditions() -> None:
    report = _verify("revoked_before", Level.B_T)
    assert report.conclusion_zh.startswith("无效：盖章时该印章证书已被吊销")
    states = [c.state.value for c in report.conditions]
    assert states[0] == "not_met" and states[1] == "not_met" and states[2] == "met" and states[3] == "met"


def test_modified_conclusion_names_the_change() -> None:
    from tests.verify.attacks import ATTACKS
    from tests.verify.scenarios import LATER, _county
    from tests.verify.test_attacks import base

    county = _county()
    report = verify_pdf(
        ATTACKS["isa_replace_content"](base("approval")), trust_roots=[county.root], at=LATER, crls=[county.crl(LATER)]
    )
    assert "文件在盖章后被修改" in report.conclusion_zh and "page 1" in report.conclusion_zh
    assert report.conditions[3].state.value == "not_met"


class FakeRegistry:
    def __init__(self, answer: RegistryAnswer | Exception) -> None:
        self.answer = answer
        self.asked: list[dict[str, object]] = []

    def seal_status(
        self, *, cert_serial_hex: str, sha256_fingerprint: str, signed_at: dt.datetime | None, at: dt.datetime
    ) -> RegistryAnswer:
        self.asked.append({"serial": cert_serial_hex, "signed_at": signed_at})
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


class FakeLedger:
    def __init__(self, make: Callable[[LedgerQuery], LedgerAnswer] | None) -> None:
        self.make = make
        self.queries: list[LedgerQuery] = []

    def lookup(self, query: LedgerQuery) -> LedgerAnswer:
        self.queries.append(query)
        assert self.make is not None
        return self.make(query)


def test_hooks_are_protocols() -> None:
    assert isinstance(FakeRegistry(RuntimeError()), RegistryLookup)
    assert isinstance(FakeLedger(None), LedgerLookup)


def test_registry_passed_and_failed() -> None:
    ok = FakeRegistry(RegistryAnswer(True, SealState.ACTIVE, SealState.ACTIVE, item_authorized=True))
    report = _verify(registry=ok)
    assert report.indication is Indication.TOTAL_PASSED
    assert report.signatures[0].registry.status is CheckStatus.PASSED
    assert ok.asked[0]["signed_at"] == report.signatures[0].trusted_signing_time

    bad = FakeRegistry(RegistryAnswer(True, SealState.ACTIVE, SealState.ACTIVE, item_authorized=False))
    report = _verify(registry=bad)
    assert (report.indication, report.subindication) == (
        Indication.INDETERMINATE,
        SubIndication.SIG_CONSTRAINTS_FAILURE,
    )
    assert report.problems[0].code == "registry_item_not_authorized"

    down = FakeRegistry(RuntimeError("db down"))
    report = _verify(registry=down)
    assert report.indication is Indication.TOTAL_PASSED
    assert report.signatures[0].registry.status is CheckStatus.UNAVAILABLE


def test_registry_never_rescues_a_failure() -> None:
    ok = FakeRegistry(RegistryAnswer(True, SealState.ACTIVE, SealState.ACTIVE, item_authorized=True))
    report = _verify("revoked_before", Level.B_T, registry=ok)
    assert report.subindication is SubIndication.REVOKED


def test_ledger_by_hash() -> None:
    def answer(q: LedgerQuery) -> LedgerAnswer:
        # the stamping pipeline records the hash of its output: here the first signed revision
        return LedgerAnswer(True, "e" * 22, q.revision_sha256s[0], q.cert_serials_hex[0], proof_valid=True)

    ledger = FakeLedger(answer)
    report = _verify(ledger=ledger, entry_id="abc")
    assert ledger.queries[0].entry_id == "abc"
    assert report.ledger.status is CheckStatus.PASSED and report.ledger.hash_matches
    assert report.indication is Indication.TOTAL_PASSED

    wrong = FakeLedger(lambda q: LedgerAnswer(True, "e" * 22, "0" * 64, q.cert_serials_hex[0], proof_valid=True))
    report = _verify(ledger=wrong)
    assert report.ledger.hash_matches is False
    assert report.subindication is SubIndication.SIG_CONSTRAINTS_FAILURE
    assert report.problems[0].code == "ledger_hash_mismatch"

    missing = FakeLedger(lambda q: LedgerAnswer(False))
    report = _verify(ledger=missing)
    assert report.problems[0].code == "ledger_not_found"


@pytest.mark.parametrize("tamper", [False, True])
def test_document_hash_and_signed_digest_read_together(tamper: bool) -> None:
    """The whole-file SHA-256 and the byte-range digest share one read of their common prefix: each must still be
    the hash of its own bytes (a byte changed inside the signed range breaks the signature, not the file hash)."""
    case = build("fresh", Level.B_LT)
    pdf = bytearray(case.pdf)
    if tamper:
        at = pdf.index(b"/MediaBox")
        pdf[at + 1 : at + 2] = b"N"  # inside the first signed range, far from /Contents
    report = verify_pdf(bytes(pdf), trust_roots=[trust_root()], at=case.at, crls=list(case.crls))
    assert report.document_sha256 == hashlib.sha256(bytes(pdf)).hexdigest()
    sig = report.signatures[0]
    if tamper:
        assert (report.subindication, sig.intact) == (SubIndication.HASH_FAILURE, False)
    else:
        assert (report.indication, sig.intact) == (Indication.TOTAL_PASSED, True)
