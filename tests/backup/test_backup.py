"""Backup and restore of a data home: SQLite file copy, PostgreSQL logical dump, tampering, the ledger audit."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import secrets
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from typer.testing import CliRunner

from esign.backup import create_backup, restore_backup
from esign.cli.main import app as cli_app
from esign.config import Settings
from esign.deployment import Deployment
from esign.errors import ConflictError, InputError
from esign.hosts import BlobStore
from esign.ledger import DocumentType, LedgerEntry, append, make_checkpoint, new_entry_id
from esign.ledger.models import LedgerEntryRow
from esign.ledger.store import SqlLedger
from esign.registry import Role, add_person
from esign.registry.models import Person
from esign.setup import create_demo
from tests.conftest import PG_ADMIN_URL, _pg_available

T0 = dt.datetime(2024, 5, 6, 2, 0, tzinfo=dt.UTC)
PASS = "backup-test-passphrase"


def _entry(n: int) -> LedgerEntry:
    return LedgerEntry(
        entry_id=new_entry_id(),
        township_id="4",
        township_name="克城镇",
        seal_id="4",
        cert_serial="1f",
        item_number="1",
        item_name="老年人高龄补贴发放",
        document_type=DocumentType.ACCEPTANCE_NOTICE,
        document_title=f"受理通知书{n}",
        reason="受理申请",
        user="克城镇窗口",
        approver="克城镇批准人",
        count=1,
        input_sha256=hashlib.sha256(b"in%d" % n).hexdigest(),
        output_sha256=hashlib.sha256(b"out%d" % n).hexdigest(),
        signed_at=T0 + dt.timedelta(minutes=n),
    )


def _county(settings: Settings) -> Deployment:
    dep = Deployment.open(settings)
    assert create_demo(dep, at=T0) is not None
    with dep.transaction() as s:
        for n in range(5):
            append(s, _entry(n), at=T0)
        make_checkpoint(SqlLedger(s), signer=dep.ledger_signer, at=T0, force=True)
        append(s, _entry(5), at=T0)  # one entry after the last checkpoint
    BlobStore(settings.home / "documents").put(b"%PDF-1.7 stamped decision")
    return dep


@pytest.fixture
def sqlite_home(tmp_path: Path) -> Iterator[Deployment]:
    dep = _county(Settings(home=tmp_path / "src", key_passphrase=PASS))
    yield dep
    dep.close()


def _members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]


def _rewrite(archive: Path, out: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(out, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out


def test_sqlite_round_trip_restores_a_verifying_register(sqlite_home, tmp_path):
    archive = tmp_path / "b.tar.gz"
    report = create_backup(sqlite_home, archive, at=T0, with_documents=True)
    members = _members(archive)
    manifest = json.loads(members["manifest.json"])
    assert manifest["database"]["kind"] == "sqlite-file" and manifest["database"]["tables"]["ledger_entries"] == 6
    assert "keys/dev-passphrase" not in members and any(n.startswith("documents/") for n in members)
    src_keys = sqlite_home.settings.keys_dir
    for name in ("root", "ledger"):
        data = members[f"keys/{name}.key.pem"]
        assert data == (src_keys / f"{name}.key.pem").read_bytes() and b"ENCRYPTED" in data  # copied, never decrypted
    assert set(manifest["members"]) == set(members) - {"manifest.json"} == set(report.manifest.members)

    target = Settings(home=tmp_path / "new", key_passphrase=PASS)
    restored = restore_backup(archive, target)
    assert restored.ok and restored.audit.size == 6 and restored.audit.checkpoints_checked == 1
    dep = Deployment.open(target)
    try:
        assert dep.ledger_signer.verifier.vkey == sqlite_home.ledger_verifier.vkey  # keys open with the passphrase
        with dep.transaction() as s:
            assert s.scalar(select(func.count()).select_from(Person)) == 26
        assert BlobStore(target.home / "documents").get(hashlib.sha256(b"%PDF-1.7 stamped decision").hexdigest())
    finally:
        dep.close()
    assert oct((target.home / "keys" / "root.key.pem").stat().st_mode & 0o777) == "0o600"


def test_restore_refuses_a_non_empty_target_and_a_tampered_archive(sqlite_home, tmp_path):
    archive = tmp_path / "b.tar.gz"
    create_backup(sqlite_home, archive, at=T0)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "something").write_text("x")
    with pytest.raises(ConflictError) as exc:
        restore_backup(archive, Settings(home=busy, key_passphrase=PASS))
    assert exc.value.code == "restore_target_not_empty"

    members = _members(archive)
    cert = next(n for n in members if n.startswith("certs/"))
    bad = _rewrite(archive, tmp_path / "bad.tar.gz", {**members, cert: members[cert] + b"\n"})
    with pytest.raises(InputError) as exc:
        restore_backup(bad, Settings(home=tmp_path / "t1", key_passphrase=PASS))
    assert exc.value.code == "backup_tampered" and cert in exc.value.message_en
    assert not (tmp_path / "t1").exists()  # nothing is left behind
    extra = _rewrite(archive, tmp_path / "extra.tar.gz", {**members, "keys/evil.key.pem": b"x"})
    with pytest.raises(InputError, match="not in the manifest"):
        restore_backup(extra, Settings(home=tmp_path / "t2", key_passphrase=PASS))
    with pytest.raises(InputError) as exc:
        restore_backup(archive, Settings(home=tmp_path / "t3", key_passphrase=PASS), expected_vkey="other+key")
    assert exc.value.code == "backup_vkey_mismatch"


def test_a_consistently_rewritten_archive_restores_but_its_register_does_not_verify(sqlite_home, tmp_path):
    """Someone who rewrites the manifest too gets past the hashes, not past the register's audit."""
    archive = tmp_path / "b.tar.gz"
    create_backup(sqlite_home, archive, at=T0)
    members = _members(archive)
    db_path = tmp_path / "db.sqlite3"
    db_path.write_bytes(members["db/esign.sqlite3"])
    eng = create_engine(f"sqlite:///{db_path}")
    with eng.begin() as conn:
        conn.execute(text("UPDATE ledger_entries SET body = :b WHERE idx = 2"), {"b": _entry(9).to_bytes()})
    eng.dispose()
    data = db_path.read_bytes()
    manifest = json.loads(members["manifest.json"])
    manifest["members"]["db/esign.sqlite3"] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    forged = _rewrite(
        archive,
        tmp_path / "forged.tar.gz",
        {**members, "db/esign.sqlite3": data, "manifest.json": json.dumps(manifest).encode()},
    )
    runner = CliRunner(env={"ESIGN_KEY_PASSPHRASE": PASS})
    out = runner.invoke(cli_app, ["restore", str(forged), "--home", str(tmp_path / "t"), "--json"])
    assert out.exit_code == 1, out.output
    report = json.loads(out.stdout)
    assert report["ok"] is False and report["problems"]


def test_cli_backup_and_restore(sqlite_home, tmp_path):
    runner = CliRunner(env={"ESIGN_KEY_PASSPHRASE": PASS})
    archive = tmp_path / "cli.tar.gz"
    home = str(sqlite_home.settings.home)
    made = runner.invoke(cli_app, ["backup", str(archive), "--with-documents", "--home", home, "--json"])
    assert made.exit_code == 0, made.output
    assert json.loads(made.stdout)["database"]["backend"] == "sqlite"
    again = runner.invoke(cli_app, ["backup", str(archive), "--home", home])
    assert again.exit_code != 0 and again.exception.code == "backup_exists"
    vkey = sqlite_home.settings.certs_dir / "ledger.vkey"
    done = runner.invoke(
        cli_app, ["restore", str(archive), "--home", str(tmp_path / "r"), "--ledger-vkey", str(vkey), "--json"]
    )
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) | {"home": ""} == {
        "home": "",
        "ok": True,
        "ledger_size": 6,
        "checkpoints_checked": 1,
        "problems": [],
    }


def _pg_schema_url() -> tuple[str, str]:
    schema = "t_" + secrets.token_hex(6)
    admin = create_engine(PG_ADMIN_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return schema, f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"


def _drop(schema: str) -> None:
    admin = create_engine(PG_ADMIN_URL)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.mark.postgres
def test_postgresql_logical_dump_restores_into_a_fresh_schema(tmp_path):
    reason = _pg_available()
    if reason:
        pytest.skip(reason)
    source_schema, db_url = _pg_schema_url()
    cleanup = [source_schema]
    try:
        _pg_round_trip(db_url, tmp_path, cleanup)
    finally:
        for schema in cleanup:
            _drop(schema)


def _pg_round_trip(db_url: str, tmp_path: Path, cleanup: list[str]) -> None:
    src = _county(Settings(home=tmp_path / "src", database_url=db_url, key_passphrase=PASS))
    archive = tmp_path / "pg.tar.gz"
    try:
        create_backup(src, archive, at=T0)
    finally:
        src.close()
    members = _members(archive)
    assert "db/ledger_entries.jsonl" in members and len(members["db/ledger_entries.jsonl"].splitlines()) == 6
    schema, url = _pg_schema_url()
    cleanup.append(schema)
    target = Settings(home=tmp_path / "new", database_url=url, key_passphrase=PASS)
    report = restore_backup(archive, target)
    assert report.ok and report.audit.size == 6
    with pytest.raises(ConflictError):  # the database is in use now, even with an empty home
        restore_backup(archive, Settings(home=tmp_path / "again", database_url=url, key_passphrase=PASS))
    dep = Deployment.open(target)
    try:
        with dep.transaction() as s:  # sequences were moved past the restored ids
            person = add_person(s, "新来的管理员", Role.REFORM_ADMIN, at=T0)
            assert person.id == 27
            append(s, _entry(6), at=T0)
            assert s.scalar(select(func.count()).select_from(LedgerEntryRow)) == 7
    finally:
        dep.close()
    # And the same PostgreSQL dump loads into an embedded SQLite home.
    lite = restore_backup(archive, Settings(home=tmp_path / "lite", key_passphrase=PASS))
    assert lite.ok and lite.audit.size == 6
