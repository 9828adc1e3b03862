"""The test matrix: (scenario, PAdES level) -> a signed PDF, the moment and CRLs to verify it with,
and the expected indication. Documents are built once per session (cached)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

from cryptography import x509

from esign.pki import CountyInfo
from esign.verify import Indication, SubIndication
from tests.verify.docs import simple_pdf
from tests.verify.factory import T0, Level, Seal, TestPKI, self_signed_impostor

__all__ = ["EXPECTED", "SCENARIOS", "Case", "build"]

STAMPED = T0 + dt.timedelta(hours=1)
LATER = STAMPED + dt.timedelta(days=1)
FOREIGN = CountyInfo(province="山西省", city="临汾市", county="隰县", office="隰县行政审批服务局")

P = (Indication.TOTAL_PASSED, None)
TRY_LATER = (Indication.INDETERMINATE, SubIndication.TRY_LATER)
NO_POE = (Indication.INDETERMINATE, SubIndication.REVOKED_NO_POE)
REVOKED = (Indication.TOTAL_FAILED, SubIndication.REVOKED)
NO_CHAIN = (Indication.INDETERMINATE, SubIndication.NO_CERTIFICATE_CHAIN_FOUND)
B, T, LT, LTA = Level.B_B, Level.B_T, Level.B_LT, Level.B_LTA

#: scenario -> level -> (indication, sub-indication)
EXPECTED: dict[str, dict[Level, tuple[Indication, SubIndication | None]]] = {
    "fresh": {B: P, T: P, LT: P, LTA: P},
    "fresh_offline": {B: TRY_LATER, T: TRY_LATER, LT: P, LTA: P},
    "revoked_later": {B: NO_POE, T: P, LT: P, LTA: P},
    "revoked_before": {B: NO_POE, T: REVOKED, LT: REVOKED, LTA: REVOKED},
    "suspended_later": {B: TRY_LATER, T: P, LT: P, LTA: P},
    "suspended_before": {B: TRY_LATER, T: TRY_LATER, LT: TRY_LATER, LTA: TRY_LATER},
    "expired": {
        B: (Indication.INDETERMINATE, SubIndication.OUT_OF_BOUNDS_NO_POE),
        T: TRY_LATER,  # no revocation information issued before the certificate expired
        LT: P,
        LTA: P,
    },
    "foreign_root": {B: NO_CHAIN, T: NO_CHAIN, LT: NO_CHAIN, LTA: NO_CHAIN},
    "impostor": {B: NO_CHAIN, T: NO_CHAIN, LT: NO_CHAIN, LTA: NO_CHAIN},
    "second_seal": {B: P, T: P, LT: P, LTA: P},
    "doc_timestamp": {B: P, T: P, LT: P, LTA: P},
}
SCENARIOS = list(EXPECTED)


@dataclass(frozen=True)
class Case:
    """A built document and how to verify it."""

    pdf: bytes
    """The signed PDF."""
    at: dt.datetime
    """Validation time."""
    crls: tuple[bytes, ...]
    """CRLs the caller supplies (the service's current CRL), possibly none."""
    signatures: int
    """How many /Sig signatures it carries."""


@cache
def _county() -> TestPKI:
    return TestPKI.create()


@cache
def _foreign() -> TestPKI:
    return TestPKI.create(county=FOREIGN)


def _by_hand(pki: TestPKI, seal: Seal, level: Level, *, at: dt.datetime = STAMPED) -> bytes:
    """Sign without pyHanko's own validation (it refuses revoked or untrusted seals) and add
    the DSS and document time-stamp ourselves."""
    pdf = pki.sign(simple_pdf(), seal, at=at, level=B if level is B else T)
    if level in (LT, LTA):
        pdf = pki.add_dss(pdf, at=at + dt.timedelta(seconds=30), certs=[seal.cert])
    if level is LTA:
        pdf = pki.add_doc_timestamp(pdf, at=at + dt.timedelta(minutes=1))
    return pdf


@cache
def build(scenario: str, level: Level) -> Case:
    """The document for one cell of the matrix."""
    county = _county()
    crl_later = (county.crl(LATER),)
    if scenario in ("fresh", "fresh_offline"):
        seal = county.issue_seal()
        pdf = county.sign(simple_pdf(), seal, at=STAMPED, level=level)
        return Case(pdf, LATER, crl_later if scenario == "fresh" else (), 1)
    if scenario == "revoked_later":
        seal = county.issue_seal()
        pdf = county.sign(simple_pdf(), seal, at=STAMPED, level=level)
        county.revoke(seal, at=STAMPED + dt.timedelta(hours=12))
        return Case(pdf, LATER, (county.crl(LATER),), 1)
    if scenario == "revoked_before":
        seal = county.issue_seal(at=STAMPED - dt.timedelta(days=1))
        county.revoke(seal, at=STAMPED - dt.timedelta(minutes=30))
        return Case(_by_hand(county, seal, level), LATER, (county.crl(LATER),), 1)
    if scenario == "suspended_later":
        seal = county.issue_seal()
        pdf = county.sign(simple_pdf(), seal, at=STAMPED, level=level)
        county.hold(seal, at=STAMPED + dt.timedelta(hours=12))
        return Case(pdf, LATER, (county.crl(LATER),), 1)
    if scenario == "suspended_before":
        seal = county.issue_seal(at=STAMPED - dt.timedelta(days=1))
        county.hold(seal, at=STAMPED - dt.timedelta(minutes=30))
        return Case(_by_hand(county, seal, level), LATER, (county.crl(LATER),), 1)
    if scenario == "expired":
        seal = county.issue_seal(at=STAMPED - dt.timedelta(hours=1), validity=dt.timedelta(days=1))
        pdf = county.sign(simple_pdf(), seal, at=STAMPED, level=level)
        at = STAMPED + dt.timedelta(days=20)
        return Case(pdf, at, (county.crl(at),), 1)
    if scenario == "foreign_root":
        foreign = _foreign()
        seal = foreign.issue_seal()
        pdf = foreign.sign(simple_pdf(), seal, at=STAMPED, level=level)
        return Case(pdf, LATER, (foreign.crl(LATER), *crl_later), 1)
    if scenario == "impostor":
        real = county.issue_seal()
        return Case(_by_hand(county, self_signed_impostor(real.cert), level), LATER, crl_later, 1)
    if scenario == "second_seal":
        first = county.issue_seal()
        second = county.issue_seal(
            common_name="蒲县黑龙关镇人民政府行政审批服务专用章", organization="蒲县黑龙关镇人民政府"
        )
        pdf = county.sign(simple_pdf(), first, at=STAMPED, level=level, visible=True)
        pdf = county.sign(
            pdf, second, at=STAMPED + dt.timedelta(minutes=10), level=level, field_name="Seal2", visible=True
        )
        return Case(pdf, LATER, (county.crl(LATER),), 2)
    if scenario == "doc_timestamp":
        seal = county.issue_seal()
        pdf = county.sign(simple_pdf(), seal, at=STAMPED, level=level)
        pdf = county.add_doc_timestamp(pdf, at=STAMPED + dt.timedelta(minutes=5))
        return Case(pdf, LATER, (county.crl(LATER),), 1)
    raise KeyError(scenario)


def trust_root() -> x509.Certificate:
    """The root the verifier trusts in the matrix."""
    return _county().root
