from __future__ import annotations

import datetime as dt
import itertools
import multiprocessing
import threading

import pytest
from sqlalchemy import Engine

from esign.db import make_session_factory, session_scope
from esign.errors import InputError, NotFoundError, StateError
from esign.pki import certificate_der, serial_hex, store
from esign.pki.status import CertKind, CertState, RevocationReason
from tests.pki._workers import tsa_serials
from tests.pki.conftest import PkiFiles

AT = dt.datetime(2025, 6, 1, 8, 0, tzinfo=dt.UTC)


def test_record_and_status(recorded, pki_files: PkiFiles) -> None:  # type: ignore[no-untyped-def]
    s = recorded
    seal = pki_files.seal
    st = store.status(s, seal.serial_number)
    assert st is not None and st.is_good and st.kind is CertKind.SEAL
    assert st.issuer_serial == pki_files.pki.issuing.serial_number
    assert st.not_after == seal.not_valid_after_utc
    assert store.status(s, serial_hex(seal)) == st  # hex keys work too
    root = store.status(s, pki_files.pki.root.serial_number)
    assert root is not None and root.kind is CertKind.ROOT and root.issuer_serial == pki_files.pki.root.serial_number
    assert store.status(s, 12345) is None
    row = s.get(store.PkiCertificate, serial_hex(seal))
    assert len(row.serial) == 40 and row.der == certificate_der(seal)
    assert "蒲县克城镇人民政府" in row.subject


def test_revoke(recorded, pki_files: PkiFiles) -> None:  # type: ignore[no-untyped-def]
    s, serial = recorded, pki_files.seal.serial_number
    assert store.revocation_epoch(s) == 0
    st = store.revoke(s, serial, RevocationReason.KEY_COMPROMISE, at=AT)
    assert st.state is CertState.REVOKED and st.reason is RevocationReason.KEY_COMPROMISE and st.revoked_at == AT
    assert store.status(s, serial) == st
    assert store.revocation_epoch(s) == 1
    with pytest.raises(StateError):
        store.revoke(s, serial, RevocationReason.SUPERSEDED, at=AT)
    with pytest.raises(StateError):
        store.hold(s, serial, at=AT)
    assert [e.serial for e in store.revoked_list(s, pki_files.pki.issuing)] == [serial]
    assert store.revoked_list(s, pki_files.pki.root) == []


def test_hold_and_release(recorded, pki_files: PkiFiles) -> None:  # type: ignore[no-untyped-def]
    s, serial = recorded, pki_files.seal.serial_number
    st = store.hold(s, serial, at=AT)
    assert st.state is CertState.ON_HOLD and st.reason is RevocationReason.CERTIFICATE_HOLD
    assert [e.serial for e in store.revoked_list(s, pki_files.pki.issuing)] == [serial]
    with pytest.raises(StateError):
        store.hold(s, serial, at=AT)
    st = store.release_hold(s, serial, at=AT + dt.timedelta(hours=1))
    assert st.is_good and st.revoked_at is None and st.reason is None
    assert store.revoked_list(s, pki_files.pki.issuing) == []
    with pytest.raises(StateError):
        store.release_hold(s, serial, at=AT)
    assert store.revocation_epoch(s) == 2
    # a hold can become a permanent revocation
    store.hold(s, serial, at=AT)
    st = store.revoke(s, serial, RevocationReason.CESSATION_OF_OPERATION, at=AT + dt.timedelta(days=1))
    assert st.state is CertState.REVOKED and st.reason is RevocationReason.CESSATION_OF_OPERATION
    assert store.revocation_epoch(s) == 4


@pytest.mark.parametrize("reason", [RevocationReason.CERTIFICATE_HOLD, RevocationReason.REMOVE_FROM_CRL])
def test_hold_reasons_are_not_revocations(recorded, pki_files: PkiFiles, reason) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError):
        store.revoke(recorded, pki_files.seal.serial_number, reason, at=AT)


def test_unknown_serial(recorded) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFoundError):
        store.revoke(recorded, 42, RevocationReason.UNSPECIFIED, at=AT)
    with pytest.raises(InputError):
        store.status(recorded, "not-hex")


def test_counters(session) -> None:  # type: ignore[no-untyped-def]
    assert [store.next_crl_number(session) for _ in range(3)] == [1, 2, 3]
    first = store.tsa_next(session, AT)
    assert first == (1, AT)
    # same or earlier clock reading: genTime still moves forward by at least 1 ms
    assert store.tsa_next(session, AT) == (2, AT + dt.timedelta(milliseconds=1))
    assert store.tsa_next(session, AT - dt.timedelta(seconds=5)) == (3, AT + dt.timedelta(milliseconds=2))
    later = AT + dt.timedelta(seconds=10)
    assert store.tsa_next(session, later) == (4, later)


def test_counters_survive_commit(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with session_scope(factory) as s:
        store.tsa_next(s, AT)
    with session_scope(factory) as s:
        assert store.tsa_next(s, AT)[0] == 2
    with session_scope(factory) as s:
        store.tsa_next(s, AT)
        s.rollback()
    with session_scope(factory) as s:
        assert store.tsa_next(s, AT)[0] == 3  # a rolled-back serial is reused: it was never handed out


def _check_monotonic(pairs: list[tuple[int, dt.datetime]]) -> None:
    serials = [p[0] for p in pairs]
    assert len(set(serials)) == len(serials)
    ordered = sorted(pairs)
    assert [p[0] for p in ordered] == list(range(1, len(pairs) + 1))
    times = [p[1] for p in ordered]
    assert all(a < b for a, b in itertools.pairwise(times)), "genTime must strictly increase with serial"


def test_tsa_next_concurrent_threads(engine: Engine) -> None:
    factory = make_session_factory(engine)
    results: list[tuple[int, dt.datetime]] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(15):
                with session_scope(factory) as s:
                    pair = store.tsa_next(s, AT)
                with lock:
                    results.append(pair)
        except BaseException as e:  # surfaced below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(results) == 90
    _check_monotonic(results)


def test_tsa_next_concurrent_processes(db_url: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        chunks = pool.map(tsa_serials, [(db_url, 10, AT.isoformat())] * 4)
    pairs = [(s, dt.datetime.fromisoformat(t)) for chunk in chunks for s, t in chunk]
    assert len(pairs) == 40
    _check_monotonic(pairs)
