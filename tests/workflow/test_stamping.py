"""Stamping end to end: every PAdES level accepted by pdfsig, the seal and QR where asked, every
refusal with its own code, idempotency, and no partial state when a failure strikes before commit."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from esign.errors import EsignError
from esign.hosts import BlobStore
from esign.ledger import SqlLedger
from esign.ledger.models import LedgerEntryRow
from esign.registry import Actor, SealAction, find_person, find_seal
from esign.registry.seals import transition
from esign.stamp import placement_from_dict
from esign.workflow.models import StampRequestRow
from esign.workflow.requests import (
    StampRequestSpec,
    approve_request,
    stamp_directly,
    submit_request,
)
from tests.pdfgen import decision_pdf

from .conftest import now, pdfsig

CLERK, APPROVER = "克城镇窗口", "克城镇批准人"


def _spec(**kw) -> StampRequestSpec:
    base = {"seal": "克城镇", "item": "1", "reason": "受理最低生活保障申请", "title": "受理通知书（测试）"}
    if "placement" in kw:  # the JSON form, as the API takes it
        kw["placement"] = placement_from_dict(kw["placement"])
    return StampRequestSpec(**{**base, **kw})


def _stamp(county, data: bytes, **kw):
    return stamp_directly(county.dep, county.engine, data, _spec(**kw), user=CLERK, approver=APPROVER, at=now())


def _output(county, outcome) -> bytes:
    return BlobStore(county.home / "documents").get(outcome.output_sha256)


def _ledger_size(county) -> int:
    with county.dep.transaction() as session:
        return session.scalar(select(func.count()).select_from(LedgerEntryRow)) or 0


@pytest.fixture(scope="module")
def decision() -> bytes:
    return decision_pdf()


@pytest.mark.parametrize("level", ["B-B", "B-T", "B-LT", "B-LTA"])
def test_every_level_is_accepted_by_pdfsig(county, decision, level, tmp_path):
    outcome = _stamp(county, decision, level=level)
    path = tmp_path / f"{level}.pdf"
    path.write_bytes(_output(county, outcome))
    report = pdfsig(county, path)
    first = report.split("Signature #2")[0]
    assert "Signature Validation: Signature is Valid." in first, report
    assert "Certificate Validation: Certificate is Trusted." in first, report
    assert "蒲县克城镇人民政府行政审批服务专用章" in first
    if level == "B-LTA":
        # the document timestamp covers everything after the seal's signature
        assert "Signature #2" in report and "Total document signed" in report.split("Signature #2")[1]
    elif level == "B-LT":
        # the validation data is a revision of its own after the signature (ETSI EN 319 142-1 5.4)
        assert "Not total document signed" in first and "Signature #2" not in report
    else:
        assert "Total document signed" in first and "Signature #2" not in report


def test_the_register_entry_matches_the_files(county, decision):
    outcome = _stamp(county, decision)
    out = _output(county, outcome)
    with county.dep.transaction() as session:
        stored = SqlLedger(session).entry_by_id(outcome.entry_id)
    entry = stored.entry
    assert entry.input_sha256 == hashlib.sha256(decision).hexdigest()
    assert entry.output_sha256 == hashlib.sha256(out).hexdigest() == outcome.output_sha256
    assert (entry.user, entry.approver, entry.township_name) == (CLERK, APPROVER, "克城镇")
    assert entry.reason == "受理最低生活保障申请" and entry.count == 1
    assert entry.signed_at == outcome.signed_at
    assert decision == decision_pdf(), "the input must not be modified"


def _red_centre_mm(png: Path, dpi: int) -> tuple[float, float]:
    img = Image.open(png).convert("RGB")
    w, h = img.size
    px = img.load()
    xs, ys = [], []
    for y in range(0, h):
        for x in range(0, w):
            r, g, b = px[x, y]
            if r > 180 and g < 90 and b < 90:
                xs.append(x)
                ys.append(y)
    assert xs, "no red seal on the page"
    to_mm = 25.4 / dpi
    return (min(xs) + max(xs)) / 2 * to_mm, (min(ys) + max(ys)) / 2 * to_mm


@pytest.mark.skipif(not shutil.which("pdftoppm") or not shutil.which("zbarimg"), reason="poppler-utils/zbar-tools")
def test_seal_lands_where_asked_and_the_qr_decodes_to_the_entry_url(county, decision, tmp_path):
    outcome = _stamp(county, decision, placement={"mode": "position", "page": 1, "x_mm": 60, "y_mm": 200})
    path = tmp_path / "out.pdf"
    path.write_bytes(_output(county, outcome))
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(path), str(tmp_path / "page")], check=True)
    cx, cy = _red_centre_mm(tmp_path / "page.png", 150)
    assert abs(cx - 60) < 1.0 and abs(cy - 200) < 1.0, (cx, cy)
    qr = subprocess.run(["zbarimg", "-q", "--raw", str(tmp_path / "page.png")], capture_output=True, text=True)
    assert qr.stdout.strip() == outcome.verify_url
    assert re.fullmatch(r"https://esign\.puxian\.example/v/[A-Za-z0-9_-]{22}", outcome.verify_url)


def test_keyword_placement_puts_the_seal_on_the_signature_line(county, decision, tmp_path):
    outcome = _stamp(county, decision)  # default: the township's name / （盖章） on the last page
    path = tmp_path / "kw.pdf"
    path.write_bytes(_output(county, outcome))
    subprocess.run(["pdftoppm", "-r", "100", "-png", "-singlefile", str(path), str(tmp_path / "kw")], check=True)
    cx, cy = _red_centre_mm(tmp_path / "kw.png", 100)
    # decision_pdf prints "蒲县克城镇人民政府（盖章）" right-aligned near the bottom of the page
    assert 120 < cx < 200 and 200 < cy < 280, (cx, cy)


def test_riding_seal_and_repeated_seals_are_signed_content(county, tmp_path):
    from tests.pdfgen import long_pdf

    data = long_pdf(3)
    outcome = _stamp(county, data, placement={"mode": "keyword", "riding_seal": True, "also_on_pages": [1]})
    path = tmp_path / "multi.pdf"
    path.write_bytes(_output(county, outcome))
    assert "Signature is Valid." in pdfsig(county, path)
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(path), str(tmp_path / "p")], check=True)
    for n in (1, 2, 3):
        img = Image.open(tmp_path / f"p-{n}.png").convert("RGB")
        reds = sum(1 for r, g, b in img.get_flattened_data() if r > 180 and g < 90 and b < 90)
        assert reds > 20, f"page {n} has no seal"
    with county.dep.transaction() as session:
        assert SqlLedger(session).entry_by_id(outcome.entry_id).entry.count == 3


# -- refusals --------------------------------------------------------------------------------------


def _refused(county, data: bytes, code: str, *, user=CLERK, approver=APPROVER, **kw) -> None:
    before = _ledger_size(county)
    with pytest.raises(EsignError) as err:
        stamp_directly(county.dep, county.engine, data, _spec(**kw), user=user, approver=approver, at=now())
    assert err.value.code == code, err.value
    assert err.value.message_zh and err.value.message_en
    assert _ledger_size(county) == before


def test_item_outside_the_authority_list_is_refused(county, decision):
    _refused(county, decision, "item_not_in_authority_list", item="颁发采矿许可证")


def test_another_townships_clerk_or_approver_is_refused(county, decision):
    _refused(county, decision, "wrong_township", user="古县乡窗口")
    _refused(county, decision, "wrong_township", approver="古县乡批准人")


def test_user_must_be_a_clerk_and_approver_an_approver(county, decision):
    _refused(county, decision, "role_not_allowed", user=APPROVER)
    _refused(county, decision, "approver_required", approver="克城镇保管人")


def test_bad_documents_are_refused(county):
    from tests.pdfgen import Page, Text, build_pdf

    _refused(county, b"", "empty_input")
    _refused(county, b"GIF89a not a pdf", "not_pdf")
    _refused(county, b"%PDF-1.7\n1 0 obj <<", "pdf_malformed")
    encrypted = build_pdf([Page(texts=(Text(20, 20, "蒲县"),))], user_password="secret")
    _refused(county, encrypted, "pdf_encrypted")


def test_missing_keyword_is_refused(county, decision):
    _refused(county, decision, "keyword_not_found", placement={"mode": "keyword", "text": "不存在的文字"})


def test_suspended_seal_cannot_stamp(county, decision):
    with county.dep.transaction() as session:
        seal = find_seal(session, "克城镇")
        transition(session, seal, SealAction.SUSPEND, actor="t", reason="暂停", at=now(), ca=county.dep.seal_ca)
    try:
        _refused(county, decision, "seal_not_active")
    finally:
        with county.dep.transaction() as session:
            seal = find_seal(session, "克城镇")
            transition(session, seal, SealAction.RESUME, actor="t", reason="恢复", at=now(), ca=county.dep.seal_ca)


# -- atomicity and idempotency --------------------------------------------------------------------


def test_failure_after_signing_before_commit_records_nothing(county, decision, monkeypatch):
    import esign.workflow.commit as flow

    def broken_append(*_a, **_k):
        raise RuntimeError("disk full while writing the register")

    with county.dep.transaction() as session:
        clerk = Actor.from_person(find_person(session, CLERK))
        approver = Actor.from_person(find_person(session, APPROVER))
    row = submit_request(county.dep, clerk, decision, _spec(idempotency_key="fail-1"), at=now())
    documents = county.home / "documents"
    files_before = set(documents.rglob("*.pdf"))
    size_before = _ledger_size(county)
    monkeypatch.setattr(flow, "append", broken_append)
    with pytest.raises(RuntimeError):
        approve_request(county.dep, county.engine, approver, row.id, at=now())
    assert _ledger_size(county) == size_before
    assert set(documents.rglob("*.pdf")) == files_before, "no stamped file may be left behind"
    assert not list(documents.rglob(".tmp-*")), "no half-written file may be left behind"
    with county.dep.transaction() as session:
        again = session.get(StampRequestRow, row.id)
        assert again.status == "pending" and again.entry_id is None
    monkeypatch.undo()
    outcome = approve_request(county.dep, county.engine, approver, row.id, at=now())
    assert _ledger_size(county) == size_before + 1 and outcome.entry_id


def test_a_failure_while_writing_the_stamped_file_leaves_nothing(county, decision, monkeypatch):
    import esign.workflow.commit as flow

    real_sign = flow.sign_pdf

    def fails_halfway(*args, **kwargs):
        real_sign(*args, **kwargs)  # the whole signed file is written ...
        kwargs["output"].write(b"...")
        raise OSError("no space left on device")  # ... and then the disk fills up

    with county.dep.transaction() as session:
        clerk = Actor.from_person(find_person(session, CLERK))
        approver = Actor.from_person(find_person(session, APPROVER))
    row = submit_request(county.dep, clerk, decision, _spec(idempotency_key="disk-full-1"), at=now())
    documents = county.home / "documents"
    files_before, size_before = set(documents.rglob("*.pdf")), _ledger_size(county)
    monkeypatch.setattr(flow, "sign_pdf", fails_halfway)
    with pytest.raises(OSError):
        approve_request(county.dep, county.engine, approver, row.id, at=now())
    assert set(documents.rglob("*.pdf")) == files_before and not list(documents.rglob(".tmp-*"))
    assert _ledger_size(county) == size_before


def test_a_stored_input_changed_on_disk_is_not_stamped(county, decision):
    with county.dep.transaction() as session:
        clerk = Actor.from_person(find_person(session, CLERK))
        approver = Actor.from_person(find_person(session, APPROVER))
    data = decision_pdf(number="克政审受字〔2025〕第777号")
    row = submit_request(county.dep, clerk, data, _spec(idempotency_key="altered-1"), at=now())
    stored = BlobStore(county.home / "documents").path(row.input_sha256)
    stored.write_bytes(data + b"\n% changed behind the service's back")
    size_before = _ledger_size(county)
    with pytest.raises(EsignError) as err:
        approve_request(county.dep, county.engine, approver, row.id, at=now())
    assert err.value.code == "document_altered"
    assert _ledger_size(county) == size_before


def test_retries_with_the_same_key_do_not_stamp_twice(county, decision):
    with county.dep.transaction() as session:
        clerk = Actor.from_person(find_person(session, CLERK))
        approver = Actor.from_person(find_person(session, APPROVER))
    first = submit_request(county.dep, clerk, decision, _spec(idempotency_key="retry-1"), at=now())
    second = submit_request(county.dep, clerk, decision, _spec(idempotency_key="retry-1"), at=now())
    assert first.id == second.id
    size = _ledger_size(county)
    a = approve_request(county.dep, county.engine, approver, first.id, at=now())
    b = approve_request(county.dep, county.engine, approver, first.id, at=now())
    assert a == b and _ledger_size(county) == size + 1
    with pytest.raises(EsignError) as err:
        submit_request(county.dep, clerk, decision + b"\n%", _spec(idempotency_key="retry-1"), at=now())
    assert err.value.code == "idempotency_conflict"


def test_the_operator_stamping_again_with_the_same_key_gets_the_first_outcome(county):
    data = decision_pdf(number="克政审受字〔2025〕第611号")
    size = _ledger_size(county)
    first = _stamp(county, data, idempotency_key="direct-1")
    again = _stamp(county, data, idempotency_key="direct-1")
    assert (again.request_id, again.entry_id, again.output_sha256, again.signed_at) == (
        first.request_id,
        first.entry_id,
        first.output_sha256,
        first.signed_at,
    )
    assert _ledger_size(county) == size + 1
    with pytest.raises(EsignError) as err:
        _stamp(county, data + b"\n%", idempotency_key="direct-1")
    assert err.value.code == "idempotency_conflict"
    assert _ledger_size(county) == size + 1


@pytest.mark.parametrize("flow_name", ["approve", "operator"])
def test_a_seal_suspended_while_signing_is_refused_when_recording(any_county, monkeypatch, flow_name):
    # The decision saw an active seal; signing then takes a while, during which the office suspends it.
    # The record transaction reads the seal again: nothing is registered, the refusal is recorded once.
    import esign.workflow.commit as flow
    from esign.feed.models import FeedEventRow
    from esign.registry.audit import list_audit

    county = any_county
    real_sign_job = flow.sign_job

    def sign_then_suspend(*args, **kwargs):
        result = real_sign_job(*args, **kwargs)
        with county.dep.transaction() as session:
            seal = find_seal(session, "克城镇")
            ca = county.dep.seal_ca
            transition(session, seal, SealAction.SUSPEND, actor="t", reason="保管人调岗", at=now(), ca=ca)
        return result

    data = decision_pdf(number="克政审受字〔2025〕第612号")
    documents = county.home / "documents"
    files_before, size_before = set(documents.rglob("*.pdf")), _ledger_size(county)
    with county.dep.transaction() as session:
        events_before = session.scalar(select(func.count()).select_from(FeedEventRow))
    monkeypatch.setattr(flow, "sign_job", sign_then_suspend)
    with pytest.raises(EsignError) as err:
        if flow_name == "approve":
            with county.dep.transaction() as session:
                clerk = Actor.from_person(find_person(session, CLERK))
                approver = Actor.from_person(find_person(session, APPROVER))
            row = submit_request(county.dep, clerk, data, _spec(level="B-B"), at=now())
            approve_request(county.dep, county.engine, approver, row.id, at=now())
        else:
            _stamp(county, data, level="B-B")
    assert err.value.code == "seal_not_active"
    assert _ledger_size(county) == size_before
    with county.dep.transaction() as session:
        assert session.scalar(select(func.count()).select_from(FeedEventRow)) == events_before
        request = session.scalars(select(StampRequestRow).order_by(StampRequestRow.id.desc())).first()
        assert request.status == "pending" and request.entry_id is None
        refused = [(r.action, r.code, r.target) for r in list_audit(session, outcome="refused", limit=20)]
    assert refused.count(("stamp.approve", "seal_not_active", f"stamp_request:{request.id}")) == 1
    kept = set(documents.rglob("*.pdf")) - files_before
    assert [p.stem for p in kept] == [request.input_sha256], "the input is kept, the stamped file is not"


def test_approver_cannot_approve_own_request(county, decision):
    # a person who is both is impossible by roles; the rule still stands on its own
    with county.dep.transaction() as session:
        clerk = Actor.from_person(find_person(session, CLERK))
    row = submit_request(county.dep, clerk, decision, _spec(idempotency_key="self-1"), at=now())
    as_approver = Actor(clerk.person_id, clerk.name, approver_role(), clerk.township_id)
    with pytest.raises(EsignError) as err:
        approve_request(county.dep, county.engine, as_approver, row.id, at=now())
    assert err.value.code == "approver_is_user"


def approver_role():
    from esign.registry import Role

    return Role.APPROVER


def test_input_file_is_kept_and_output_downloadable(county, decision):
    outcome = _stamp(county, decision)
    blobs = BlobStore(county.home / "documents")
    assert blobs.get(hashlib.sha256(decision).hexdigest()) == decision
    assert _output(county, outcome).startswith(b"%PDF")
    assert Path(county.home / "documents").exists()


def test_every_refusal_is_recorded_as_an_audit_event(county, decision):
    from esign.registry.audit import list_audit

    with pytest.raises(EsignError):
        stamp_directly(
            county.dep, county.engine, decision, _spec(item="颁发采矿许可证"), user=CLERK, approver=APPROVER, at=now()
        )
    with pytest.raises(EsignError):
        stamp_directly(county.dep, county.engine, b"not a pdf", _spec(), user=CLERK, approver=APPROVER, at=now())
    with county.dep.transaction() as session:
        refused = list_audit(session, outcome="refused", limit=10)
    codes = [(r.actor, r.action, r.code) for r in refused]
    assert (CLERK, "stamp.request", "not_pdf") in codes
    assert (CLERK, "stamp.request", "item_not_in_authority_list") in codes


def test_a_request_that_fails_to_record_keeps_no_file(county, monkeypatch):
    import esign.workflow.requests as requests

    def broken(*_a, **_k):
        raise RuntimeError("database went away")

    data = decision_pdf(number="克政审受字〔2025〕第888号")
    documents = county.home / "documents"
    before = set(documents.rglob("*.pdf"))
    with county.dep.transaction() as session:
        clerk = Actor.from_person(find_person(session, CLERK))
    monkeypatch.setattr(requests, "record_event", broken)
    with pytest.raises(RuntimeError):
        submit_request(county.dep, clerk, data, _spec(idempotency_key="lost-1"), at=now())
    assert set(documents.rglob("*.pdf")) == before


def test_two_approvals_at_the_same_moment_stamp_once(any_county, monkeypatch):
    # A double click, or two approvers: both sign, then both try to record. The request row is locked,
    # so the second finds the request stamped, returns the same outcome and keeps no file of its own.
    import threading

    import esign.workflow.commit as flow

    county = any_county
    with county.dep.transaction() as session:
        clerk = Actor.from_person(find_person(session, CLERK))
        approver = Actor.from_person(find_person(session, APPROVER))
    row = submit_request(county.dep, clerk, decision_pdf(), _spec(level="B-B"), at=now())
    both_signed = threading.Barrier(2, timeout=60)
    real_sign_job = flow.sign_job

    def sign_then_meet(*args, **kwargs):
        result = real_sign_job(*args, **kwargs)
        both_signed.wait()  # neither records before both have signed
        return result

    monkeypatch.setattr(flow, "sign_job", sign_then_meet)
    size_before = _ledger_size(county)
    outcomes: list = []
    errors: list = []

    def approve() -> None:
        try:
            outcomes.append(approve_request(county.dep, county.engine, approver, row.id, at=now()))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=approve) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert len(outcomes) == 2 and outcomes[0] == outcomes[1]
    assert _ledger_size(county) == size_before + 1
    stamped = {p.stem for p in (county.home / "documents").rglob("*.pdf")}
    assert outcomes[0].output_sha256 in stamped
    assert len(stamped) == 2, "the input and one stamped file; the losing approval's file is discarded"


def test_an_approval_and_a_verification_that_need_a_new_crl_publish_it(any_county):
    # The decision and the verifier's lookups run in reading transactions; a CRL that is due is a write,
    # which SQLite refuses there: the approval's decision is taken again in a writing transaction, the
    # verification publishes the CRL in one of its own. On PostgreSQL the read simply writes it.
    from sqlalchemy import delete

    from esign.pki.store import PkiCrl
    from esign.workflow.verification import verify_document

    county = any_county
    with county.dep.transaction() as session:
        clerk = Actor.from_person(find_person(session, CLERK))
        approver = Actor.from_person(find_person(session, APPROVER))
    row = submit_request(county.dep, clerk, decision_pdf(), _spec(level="B-LT"), at=now())

    def drop_crls() -> None:
        with county.dep.transaction() as session:
            session.execute(delete(PkiCrl))

    def crls() -> int:
        with county.dep.reading() as session:
            return session.scalar(select(func.count()).select_from(PkiCrl)) or 0

    drop_crls()
    outcome = approve_request(county.dep, county.engine, approver, row.id, at=now())
    assert outcome.entry_id and crls() == 1
    drop_crls()
    report = verify_document(county.dep, _output(county, outcome), at=now())
    assert report.to_dict()["indication"] == "TOTAL_PASSED", report.to_dict()
    assert crls() == 1
