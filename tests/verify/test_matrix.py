"""The verification matrix: every PAdES level x every scenario gives the DSS-style verdict."""

from __future__ import annotations

import json

import pytest

from esign.verify import ChangeCategory, ConditionState, Indication, PadesLevel, verify_pdf
from tests.verify.factory import Level
from tests.verify.scenarios import EXPECTED, SCENARIOS, build, trust_root

CELLS = [(s, lv) for s in SCENARIOS for lv in Level]


@pytest.mark.parametrize(("scenario", "level"), CELLS, ids=[f"{s}-{lv.value}" for s, lv in CELLS])
def test_matrix(scenario: str, level: Level) -> None:
    case = build(scenario, level)
    report = verify_pdf(case.pdf, trust_roots=[trust_root()], at=case.at, crls=case.crls)
    expected = EXPECTED[scenario][level]
    got = (report.indication, report.subindication)
    assert got == expected, json.dumps(report.to_dict(), ensure_ascii=False, indent=1)[:3000]
    assert len(report.signatures) == case.signatures
    for sig in report.signatures:
        # Nothing in the matrix changes the document: only seals, time-stamps and DSS are added.
        assert sig.changes.category is not ChangeCategory.OTHER, sig.changes
        assert sig.coverage.whole_revision
        if scenario not in ("impostor",):
            assert sig.intact and sig.crypto_valid
    if report.indication is Indication.TOTAL_PASSED:
        assert report.conclusion_zh.startswith("有效")
        c1, c2, c3, c4 = report.conditions
        assert c1.state is c3.state is c4.state is ConditionState.MET
        proven = all(s.trusted_signing_time is not None for s in report.signatures)
        assert c2.state is (ConditionState.MET if proven else ConditionState.CANNOT_TELL)
    else:
        assert not report.conclusion_zh.startswith("有效")
        assert report.signatures[0].reasons


@pytest.mark.parametrize("level", list(Level))
def test_level_detected(level: Level) -> None:
    case = build("fresh", level)
    report = verify_pdf(case.pdf, trust_roots=[trust_root()], at=case.at, crls=case.crls)
    assert report.signatures[0].level is PadesLevel(level.value)


def test_doc_timestamp_lifts_b_b_to_b_t() -> None:
    case = build("doc_timestamp", Level.B_B)
    report = verify_pdf(case.pdf, trust_roots=[trust_root()], at=case.at, crls=case.crls)
    sig = report.signatures[0]
    assert sig.level is PadesLevel.B_T
    assert sig.trusted_signing_time is not None and sig.timestamp is None
    assert sig.changes.category is ChangeCategory.SIGNATURES_AND_VALIDATION_DATA
    assert len(sig.changes.document_timestamps) == 1
    assert report.document_timestamps[0].trusted


def test_second_seal_reported_as_later_signature() -> None:
    case = build("second_seal", Level.B_LTA)
    report = verify_pdf(case.pdf, trust_roots=[trust_root()], at=case.at, crls=case.crls)
    first, second = report.signatures
    assert first.changes.later_signatures == ("Seal2",)
    assert first.changes.category is ChangeCategory.SIGNATURES_AND_VALIDATION_DATA
    assert second.signer is not None and second.signer.organization == "蒲县黑龙关镇人民政府"
    assert "2 枚电子印章均真实有效" in report.conclusion_zh


def test_revoked_later_reports_both_statuses() -> None:
    case = build("revoked_later", Level.B_T)
    report = verify_pdf(case.pdf, trust_roots=[trust_root()], at=case.at, crls=case.crls)
    sig = report.signatures[0]
    assert sig.revocation_now.state.value == "revoked" and sig.revocation_now.source.value == "supplied"
    assert sig.revocation_at_signing.state.value == "good"
    assert [w.code for w in sig.warnings] == ["revoked_after_signing"]


def test_signed_after_expiry_fails_expired() -> None:
    from tests.verify.docs import simple_pdf
    from tests.verify.scenarios import STAMPED, _county

    county = _county()
    seal = county.issue_seal(at=STAMPED - dt_days(3), validity=dt_days(1))
    pdf = county.sign(simple_pdf(), seal, at=STAMPED, level=Level.B_T)
    report = verify_pdf(pdf, trust_roots=[county.root], at=STAMPED + dt_days(1), crls=[county.crl(STAMPED)])
    assert (report.indication, report.subindication.value if report.subindication else None) == (
        Indication.TOTAL_FAILED,
        "EXPIRED",
    )


def dt_days(n: int):
    import datetime as dt

    return dt.timedelta(days=n)
