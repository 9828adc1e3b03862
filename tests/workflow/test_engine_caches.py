"""What the stamping engine and the signing layer keep between stamps never outlives what it stands for.

Between two stamps of one engine: a revocation elsewhere in the county puts the new CRL (and a fresh
OCSP answer) into the next document's DSS; a seal replaced by one of the same name signs with its own
certificate, whose chain, signer identifier and DSS entries are the new ones. The expectations are read
from the database and the files, not from the caches under test.
"""

from __future__ import annotations

import io

from asn1crypto import cms, ocsp, tsp
from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader

from esign.hosts import BlobStore
from esign.registry import SealAction, find_seal
from esign.registry.seals import transition
from esign.stamp import AtPosition
from esign.workflow.requests import StampRequestSpec, stamp_directly
from tests.pdfgen import decision_pdf

from .conftest import now

CLERK, APPROVER = "克城镇窗口", "克城镇批准人"
POSITION = AtPosition(page=-1, x_mm=150, y_mm=240)


def _stamp(county) -> bytes:  # type: ignore[no-untyped-def]
    spec = StampRequestSpec(seal="克城镇", item="1", reason="受理", title="受理通知书", placement=POSITION)
    outcome = stamp_directly(county.dep, county.engine, decision_pdf(), spec, user=CLERK, approver=APPROVER, at=now())
    return BlobStore(county.home / "documents").get(outcome.output_sha256)


def _dss(data: bytes) -> dict[str, list[bytes]]:
    dss = PdfFileReader(io.BytesIO(data)).root["/DSS"]
    return {key: [ref.get_object().data for ref in dss[key]] for key in ("/Certs", "/OCSPs", "/CRLs")}


def _revoked(crl_der: bytes) -> set[int]:
    crl = asn1_crl.CertificateList.load(crl_der)
    return {entry["user_certificate"].native for entry in crl["tbs_cert_list"]["revoked_certificates"]}


def _signature(data: bytes) -> cms.SignedData:
    return PdfFileReader(io.BytesIO(data)).embedded_signatures[0].signed_data


def _serial(county, township: str) -> int:  # type: ignore[no-untyped-def]
    with county.dep.transaction() as session:
        serial = find_seal(session, township).cert_serial
    assert serial is not None
    return int(serial, 16)


def _ocsp_answer(der: bytes) -> tuple[int, str, object]:
    basic = ocsp.OCSPResponse.load(der).basic_ocsp_response["tbs_response_data"]
    (single,) = basic["responses"]
    return single["cert_id"]["serial_number"].native, single["cert_status"].name, single["this_update"].native


def _tst_time(data: bytes) -> object:
    signer = _signature(data)["signer_infos"][0]
    token = signer["unsigned_attrs"][0]["values"][0]
    info = token["content"]["encap_content_info"]["content"].parsed
    assert isinstance(info, tsp.TSTInfo)
    return info["gen_time"].native


def test_a_revocation_between_two_stamps_reaches_the_next_dss(county) -> None:  # type: ignore[no-untyped-def]
    first = _stamp(county)
    other = _serial(county, "乔家湾乡")
    assert all(other not in _revoked(c) for c in _dss(first)["/CRLs"])

    with county.dep.transaction() as session:
        seal = find_seal(session, "乔家湾乡")
        transition(session, seal, SealAction.REVOKE, actor="t", reason="注销", at=now(), ca=county.dep.seal_ca)

    second = _stamp(county)
    crls = _dss(second)["/CRLs"]
    assert any(other in _revoked(c) for c in crls), "the new CRL is in the DSS"
    assert set(crls) != set(_dss(first)["/CRLs"])
    # the seal's own OCSP answer is made for this document, after its time-stamp
    for data in (first, second):
        (answer,) = _dss(data)["/OCSPs"]
        serial, status, this_update = _ocsp_answer(answer)
        assert serial == _serial(county, "克城镇") and status == "good"
        assert this_update >= _tst_time(data)  # type: ignore[operator]


def test_a_replaced_seal_of_the_same_name_signs_with_its_own_certificate(county) -> None:  # type: ignore[no-untyped-def]
    before = _stamp(county)
    old = _serial(county, "克城镇")
    with county.dep.transaction() as session:
        seal = find_seal(session, "克城镇")
        name = seal.name
        new_seal = transition(
            session, seal, SealAction.REPLACE, actor="t", reason="变更", at=now(), ca=county.dep.seal_ca
        )
        assert new_seal.name == name and new_seal.id != seal.id
    new = _serial(county, "克城镇")
    assert new != old

    after = _stamp(county)
    for data, serial in ((before, old), (after, new)):
        signed = _signature(data)
        sid = signed["signer_infos"][0]["sid"].chosen
        assert sid["serial_number"].native == serial
        certs = {c.chosen["tbs_certificate"]["serial_number"].native for c in signed["certificates"]}
        assert serial in certs and ({old, new} - {serial}).isdisjoint(certs)
        dss_certs = {asn1_x509.Certificate.load(c).serial_number for c in _dss(data)["/Certs"]}
        assert serial in dss_certs and ({old, new} - {serial}).isdisjoint(dss_certs)
        (answer,) = _dss(data)["/OCSPs"]
        assert _ocsp_answer(answer)[:2] == (serial, "good")
