"""The operator's batch (``esign stamp-batch``) on the API's engine: batches checked and stamped by
:class:`BatchPool` in worker processes, grouped by what is asked, and run again without stamping twice."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from sqlalchemy import func, select

from esign.errors import InputError
from esign.ledger import SqlLedger
from esign.ledger.models import LedgerEntryRow
from esign.registry import Actor, find_person
from esign.stamp import AtKeyword, AtPosition
from esign.workflow import (
    BatchPool,
    BatchProgress,
    LocalFile,
    StampRequestSpec,
    Upload,
    approve_batch,
    close_batch,
    files_in_folder,
    files_in_manifest,
    open_batch,
    show_batch,
    stamp_files,
    submit_request,
)
from esign.workflow.models import StampRequestRow
from tests.pdfgen import decision_pdf
from tests.workflow.conftest import County, now

CLERK, APPROVER = "克城镇窗口", "克城镇批准人"


def _entries(county: County) -> int:
    with county.dep.transaction() as session:
        return session.scalar(select(func.count()).select_from(LedgerEntryRow)) or 0


def _actor(county: County, name: str) -> Actor:
    with county.dep.transaction() as session:
        return Actor.from_person(find_person(session, name))


def _entry(county: County, entry_id: str | None):
    assert entry_id is not None
    with county.dep.transaction() as session:
        return SqlLedger(session).entry_by_id(entry_id).entry


def _request_of(county: County, entry_id: str | None) -> int:
    with county.dep.transaction() as session:
        return session.scalar(select(StampRequestRow.id).where(StampRequestRow.entry_id == entry_id))


def _folder(tmp_path: Path, tag: str, n: int) -> Path:
    folder = tmp_path / tag
    folder.mkdir()
    for i in range(n):
        (folder / f"{tag}-{i}.pdf").write_bytes(decision_pdf(number=f"克政审受字〔2025〕第{tag}{i:02d}号"))
    return folder


def _stamp(county: County, files: list[LocalFile], *, workers: int = 2, **kw: str):
    progress: list[BatchProgress] = []
    accounts = {"user": CLERK, "approver": APPROVER, **kw}
    results = stamp_files(
        county.dep, files, seal="克城镇", level="B-T", workers=workers, clock=now, progress=progress.append, **accounts
    )
    return results, progress


@pytest.mark.parametrize("workers", [1, 2])
def test_the_pool_checks_and_stamps_a_batch_on_its_workers(county, workers):
    clerk, boss = _actor(county, CLERK), _actor(county, APPROVER)
    batch = open_batch(
        county.dep, clerk, StampRequestSpec(seal="克城镇", item="1", reason="批量", level="B-T"), at=now()
    )
    before = _entries(county)
    progress: list[BatchProgress] = []
    docs = [decision_pdf(number=f"克政审受字〔2025〕第6{workers}{i}号") for i in range(4)]
    with BatchPool(county.dep, workers=workers, clock=now) as pool:
        uploads = [Upload(batch.id, i + 1, f"{i}.pdf", functools.partial(bytes, d)) for i, d in enumerate(docs)]
        pool.add_files(clerk, uploads, progress.append)
        close_batch(county.dep, clerk, batch.id, at=now())
        assert approve_batch(county.dep, boss, batch.id, at=now())
        pool.run([batch.id], progress.append)
    view = show_batch(county.dep, boss, batch.id, at=now())
    assert (view.status, view.stamped, view.failed, view.pending) == ("done", 4, 0, 0)
    assert _entries(county) == before + 4 and len({i.entry_id for i in view.items}) == 4
    assert progress[0] == BatchProgress("checking", 0, 4) and BatchProgress("checking", 4, 4) in progress
    assert progress[-1] == BatchProgress("stamping", 4, 4)
    assert [p.done for p in progress if p.phase == "stamping"] == [0, 1, 2, 3, 4]


def test_a_folder_run_again_is_answered_from_the_register(county, tmp_path):
    files = files_in_folder(_folder(tmp_path, "7", 3), item="1", reason="批量受理")
    before = _entries(county)
    first, _ = _stamp(county, files)
    assert [r.error for r in first] == [None] * 3 and _entries(county) == before + 3
    assert [r.output.read_bytes()[:5] for r in first if r.output] == [b"%PDF-"] * 3
    again, progress = _stamp(county, files)
    assert _entries(county) == before + 3  # nothing stamped twice
    assert [r.entry_id for r in again] == [r.entry_id for r in first]
    assert [r.output_sha256 for r in again] == [r.output_sha256 for r in first]
    assert BatchProgress("stamping", 0, 0) in progress


def test_a_request_left_pending_by_an_interrupted_run_is_stamped_by_the_next(county, tmp_path):
    files = files_in_folder(_folder(tmp_path, "8", 2), item="1", reason="批量受理")
    clerk = _actor(county, CLERK)
    spec = StampRequestSpec(seal="克城镇", item="1", reason="批量受理", title="8-0", idempotency_key=files[0].key)
    left = submit_request(county.dep, clerk, files[0].load(), spec, at=now())  # the run stopped before approving
    before = _entries(county)
    results, _ = _stamp(county, files)
    assert [r.error for r in results] == [None, None] and _entries(county) == before + 2
    assert _entry(county, results[0].entry_id).input_sha256 == left.input_sha256
    assert _request_of(county, results[0].entry_id) == left.id  # the request of the first run, not a second one


def test_a_manifest_groups_its_rows_into_batches_and_refuses_per_file(county, tmp_path):
    folder = _folder(tmp_path, "9", 3)
    (folder / "not.pdf").write_bytes(b"%PDF-1.7 not really")
    manifest = folder / "list.csv"
    manifest.write_text(
        "file,item,reason,title,keyword,page,x_mm,y_mm\n"
        "9-0.pdf,1,受理甲,第一份,,1,60,200\n"
        "9-1.pdf,1,受理甲,,（盖章）,,,\n"
        "9-2.pdf,999,受理乙,,,,,\n"
        "not.pdf,1,受理甲,,,,,\n",
        encoding="utf-8",
    )
    files = files_in_manifest(manifest, item=None, reason=None)
    assert [(f.name, f.title, f.reason) for f in files] == [
        ("9-0.pdf", "第一份", "受理甲"),
        ("9-1.pdf", "9-1", "受理甲"),
        ("9-2.pdf", "9-2", "受理乙"),
        ("not.pdf", "not", "受理甲"),
    ]
    assert [f.placement for f in files] == [
        AtPosition(page=1, x_mm=60, y_mm=200),
        AtKeyword("（盖章）"),
        AtKeyword(),
        AtKeyword(),
    ]
    results, _ = _stamp(county, files)
    assert [r.error.code if r.error else None for r in results] == [
        None,
        None,
        "item_not_in_authority_list",
        "pdf_malformed",
    ]
    assert sorted(_entry(county, r.entry_id).document_title for r in results if r.entry_id) == ["9-1", "第一份"]


def test_a_malformed_manifest_row_refuses_the_manifest(tmp_path):
    manifest = tmp_path / "list.csv"
    manifest.write_text("file,page,x_mm,y_mm\na.pdf,0,10,10\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        files_in_manifest(manifest, item="1", reason="受理")
    assert caught.value.code == "page_out_of_range" and "第 2 行" in caught.value.message_zh


@pytest.mark.parametrize(
    ("accounts", "code"),
    [
        ({"approver": "没有这个人"}, "user_not_found"),
        ({"approver": "克城镇窗口"}, "approver_required"),
        ({"approver": "古县乡批准人"}, "wrong_township"),
    ],
)
def test_accounts_that_do_not_qualify_refuse_every_file(county, tmp_path, accounts, code):
    files = files_in_folder(_folder(tmp_path, "5", 2), item="1", reason="批量受理")
    before = _entries(county)
    results, _ = _stamp(county, files, workers=1, **accounts)
    assert [r.error.code if r.error else None for r in results] == [code, code]
    assert _entries(county) == before
