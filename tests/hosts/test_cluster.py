"""Two hosts behind HAProxy on one PostgreSQL, and one of them ``kill -9``-ed in the middle of the load.

Real parts: ``esign serve`` processes in their own network namespaces (loopback ports when this
machine allows none), Debian's HAProxy, the PostgreSQL server, ``esign ledger verify``. A client
thread submits and approves single requests with an ``Idempotency-Key`` and retries every failure
with the same key, as a county's clients are told to; a batch stamps in the background meanwhile.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from esign.hosts.cluster import Cluster, cluster
from esign.hosts.docstore import DbBlobStore
from esign.hosts.models import StoredDocumentRow
from esign.ledger.models import LedgerEntryRow
from esign.workflow.models import StampRequestRow
from tests.conftest import _pg_available
from tests.pdfgen import decision_pdf

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CLERK, APPROVER = "克城镇窗口", "克城镇批准人"
SINGLES, BATCH = 10, 8
DEADLINE = 240.0  # seconds for the whole load after the cluster is up


@dataclass
class Outcome:
    """Every 2xx answer one logical request (one Idempotency-Key) received, and its failures."""

    key: str
    submits: list[dict[str, Any]] = field(default_factory=list)
    approvals: list[dict[str, Any]] = field(default_factory=list)
    verified: bool = False
    failures: int = 0


def _retrying(client: httpx.Client, outcome: Outcome, method: str, url: str, stop: float, **kw: Any) -> dict[str, Any]:
    """Send until a 2xx (kept) or a 4xx (a test failure); connection errors and 5xx are retried."""
    while True:
        assert time.monotonic() < stop, f"{outcome.key}: {method} {url} never succeeded"
        try:
            r = client.request(method, url, **kw)
        except httpx.HTTPError:
            outcome.failures += 1
            time.sleep(0.3)
            continue
        if r.status_code >= 500:
            outcome.failures += 1
            time.sleep(0.3)
            continue
        assert r.status_code < 300, f"{outcome.key}: {url} -> {r.status_code} {r.text}"
        return dict(r.json())


def _client_load(c: Cluster, outcomes: list[Outcome], stop: float) -> None:
    clerk = {"Authorization": f"Bearer {c.tokens[CLERK]}"}
    approver = {"Authorization": f"Bearer {c.tokens[APPROVER]}"}
    with httpx.Client(base_url=c.url, timeout=60) as client:
        for outcome in outcomes:
            pdf = decision_pdf(number=f"克政审受字〔2026〕第{outcome.key}号")
            form = {"seal": "克城镇", "item": "1", "reason": "多主机演练"}
            files = {"file": ("d.pdf", pdf, "application/pdf")}
            keyed = {**clerk, "Idempotency-Key": outcome.key}
            sub = _retrying(
                client, outcome, "POST", "/api/v1/stamp-requests", stop, data=form, files=files, headers=keyed
            )
            outcome.submits.append(sub)
            # The client retries once more on purpose, as one that lost the answer would: same request.
            outcome.submits.append(
                _retrying(
                    client, outcome, "POST", "/api/v1/stamp-requests", stop, data=form, files=files, headers=keyed
                )
            )
            url = f"/api/v1/stamp-requests/{sub['id']}/approve"
            outcome.approvals.append(_retrying(client, outcome, "POST", url, stop, headers=approver))
            outcome.approvals.append(_retrying(client, outcome, "POST", url, stop, headers=approver))
            result = client.get(f"/api/v1/stamp-requests/{sub['id']}/result.pdf", headers=approver)
            while result.status_code >= 500:
                result = client.get(f"/api/v1/stamp-requests/{sub['id']}/result.pdf", headers=approver)
            assert result.status_code == 200, result.text
            check = _retrying(
                client,
                outcome,
                "POST",
                "/api/v1/verify",
                stop,
                files={"file": ("r.pdf", result.content, "application/pdf")},
            )
            ledger = check["ledger"]
            outcome.verified = check["indication"] == "TOTAL_PASSED" and ledger["found"]
            outcome.verified &= ledger["entry_id"] == outcome.approvals[0]["entry_id"]


@pytest.fixture(scope="module")
def running():
    reason = _pg_available()
    if reason:
        pytest.skip(reason)
    if shutil.which("haproxy") is None:
        pytest.skip("haproxy is not installed: run bash dev.sh (it installs it)")
    with cluster(2, extra_env={"ESIGN_PUBLIC_RATE_PER_MINUTE": "1000"}) as c:
        yield c


def test_a_host_killed_mid_load_loses_nothing_and_doubles_nothing(running: Cluster):
    c = running
    print(f"topology: two hosts in {'network namespaces' if c.netns else 'loopback ports (no netns allowed here)'}")
    stop = time.monotonic() + DEADLINE
    clerk = {"Authorization": f"Bearer {c.tokens[CLERK]}"}
    approver = {"Authorization": f"Bearer {c.tokens[APPROVER]}"}
    with httpx.Client(base_url=c.url, timeout=60) as client:
        files = [
            ("files", (f"b{i}.pdf", decision_pdf(number=f"克政审受字〔2026〕第B{i}号"), "application/pdf"))
            for i in range(BATCH)
        ]
        r = client.post(
            "/api/v1/stamp-batches",
            data={"seal": "克城镇", "item": "1", "reason": "批量多主机演练"},
            files=files,
            headers={**clerk, "Idempotency-Key": "batch-1"},
        )
        assert r.status_code == 201, r.text
        batch_id = r.json()["id"]
        outcomes = [Outcome(f"S{i}") for i in range(SINGLES)]
        load = threading.Thread(target=_client_load, args=(c, outcomes, stop))
        load.start()
        r = client.post(f"/api/v1/stamp-batches/{batch_id}/approve", headers=approver)
        assert r.status_code == 202, r.text
        # Kill a host while the batch is being stamped and single requests are in flight.
        while sum(1 for o in outcomes if o.approvals) < 2 and load.is_alive():
            time.sleep(0.1)
        victim = c.hosts[0]
        victim.kill()
        killed_at = time.monotonic()
        load.join(max(1.0, stop - time.monotonic()))
        assert not load.is_alive(), "the client load did not finish in time"
        while True:
            body = client.get(f"/api/v1/stamp-batches/{batch_id}", headers=clerk).json()
            if body["status"] == "done":
                break
            assert time.monotonic() < stop, f"batch not finished: {body}"
            time.sleep(0.5)
        print(f"batch done {time.monotonic() - killed_at:.1f} s after the kill")

    assert body["stamped"] == BATCH and body["failed"] == 0, body
    print(f"client retries after the kill: {sum(o.failures for o in outcomes)}")
    for o in outcomes:
        assert len({s["id"] for s in o.submits}) == 1, f"{o.key}: one key, one request"
        entries = {a["entry_id"] for a in o.approvals}
        assert len(entries) == 1 and None not in entries, f"{o.key}: retried approvals must give one entry"
        assert o.verified, f"{o.key}: the stamped PDF did not verify"

    engine = create_engine(c.db_url)
    try:
        with engine.connect() as conn:
            stamped = set(conn.scalars(select(StampRequestRow.entry_id).where(StampRequestRow.entry_id.is_not(None))))
            logged = list(conn.scalars(select(LedgerEntryRow.entry_id)))
            documents = set(conn.scalars(select(StoredDocumentRow.sha256)))
            referenced = set(conn.scalars(select(StampRequestRow.input_sha256))) | set(
                conn.scalars(select(StampRequestRow.output_sha256).where(StampRequestRow.output_sha256.is_not(None)))
            )
            requests = conn.scalar(select(func.count()).select_from(StampRequestRow))
    finally:
        engine.dispose()
    assert requests == SINGLES + BATCH, "a retried submission made a second request"
    assert len(stamped) == SINGLES + BATCH and sorted(logged) == sorted(stamped), "register == stamped requests"
    for o in outcomes:  # every 2xx approval is in the register, once
        assert logged.count(o.approvals[0]["entry_id"]) == 1
    assert documents == referenced, "no orphan document, none missing"

    verify = subprocess.run(
        [sys.executable, "-m", "esign", "ledger", "verify"],
        env=c.cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr

    survivor = c.hosts[1]
    assert not list((c.home.parent / f"cache-{survivor.name}").rglob(".tmp-*")), "the live host left temp files"
    # The killed host's cache may hold a half-written temporary file; its next start removes it.
    cache = DbBlobStore(None, c.home.parent / f"cache-{victim.name}")  # type: ignore[arg-type]
    cache.purge_stale_temp(at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=2))
    assert not list(cache.root.rglob(".tmp-*"))
