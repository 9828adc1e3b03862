"""Back up a data home to one archive, and restore it into a new, empty home.

What goes in: the database (:mod:`esign.backup.database`), the private keys of ``keys/`` as the
encrypted PKCS#8 files they are (never decrypted; the key passphrase is not in the archive), the
published certificates and keys of ``certs/``, and, with ``with_documents``, the stored PDFs of
``documents/``. In development mode the random passphrase file ``keys/dev-passphrase`` is left
out unless ``unsafe_include_dev_passphrase`` is given (it would make the keys readable to anyone
holding the archive).

A restore refuses a target home that is not empty and a target database that already has
tables, checks every member against the manifest before using any of them, loads the database,
migrates it to the current schema, then audits the usage register with the restored verifier key
and reports the result: a restore whose register does not verify is not a good restore.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, inspect, select

from esign import __version__
from esign.backup import database as db
from esign.backup.archive import ArchiveWriter, Manifest, extract_verified
from esign.config import Settings
from esign.db import make_engine
from esign.deployment import Deployment
from esign.errors import ConflictError, InputError
from esign.ledger import AuditReport, verify_log

__all__ = ["BackupReport", "RestoreReport", "create_backup", "restore_backup"]

_log = logging.getLogger(__name__)
_DEV_PASSPHRASE = "dev-passphrase"  # noqa: S105 - a file name
_SQLITE_MEMBER = "db/esign.sqlite3"


@dataclass(frozen=True)
class BackupReport:
    """A finished backup."""

    path: Path
    """The archive written."""
    manifest: Manifest
    """Its manifest."""


@dataclass(frozen=True)
class RestoreReport:
    """A finished restore."""

    home: Path
    """The new data home."""
    manifest: Manifest
    """The manifest of the archive restored."""
    audit: AuditReport
    """The usage register's audit on the restored database."""

    @property
    def ok(self) -> bool:
        """Whether the restored register verifies."""
        return self.audit.ok


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []


def create_backup(
    dep: Deployment,
    out: Path,
    *,
    at: dt.datetime,
    with_documents: bool = False,
    unsafe_include_dev_passphrase: bool = False,
) -> BackupReport:
    """Write a backup of ``dep``'s data home to ``out`` (refuses to overwrite a file)."""
    if out.exists():
        raise ConflictError(f"文件已存在：{out}", f"{out} already exists.", code="backup_exists")
    home = dep.settings.home
    writer = ArchiveWriter(out)
    try:
        with tempfile.TemporaryDirectory(prefix="esign-backup-") as tmp:
            database = _dump_database(dep, Path(tmp), writer)
        included_dev = False
        for path in _files(dep.settings.keys_dir):
            if path.name == _DEV_PASSPHRASE:
                if not unsafe_include_dev_passphrase:
                    continue
                _log.warning("unsafe: the development key passphrase file is included in %s", out)
                included_dev = True
            writer.add_file(f"keys/{path.relative_to(dep.settings.keys_dir).as_posix()}", path, mode=0o600)
        for path in _files(dep.settings.certs_dir):
            writer.add_file(f"certs/{path.relative_to(dep.settings.certs_dir).as_posix()}", path)
        if with_documents:
            for path in _files(home / "documents"):
                writer.add_file(f"documents/{path.relative_to(home / 'documents').as_posix()}", path)
        manifest = Manifest(
            created_at=at.astimezone(dt.UTC).isoformat(),
            database=database,
            members=dict(writer.members),
            with_documents=with_documents,
            extra={"esign_version": __version__, "dev_passphrase_included": included_dev},
        )
        writer.close(manifest)
    except BaseException:
        writer.abort()
        out.unlink(missing_ok=True)
        raise
    return BackupReport(out, manifest)


def _dump_database(dep: Deployment, tmp: Path, writer: ArchiveWriter) -> dict[str, object]:
    engine = dep.engine
    revision = db.revision_of(engine)
    if engine.dialect.name == "sqlite":
        copy = tmp / "esign.sqlite3"
        db.copy_sqlite(engine, copy)
        tables = _counts_in_sqlite(copy)
        writer.add_file(_SQLITE_MEMBER, copy, mode=0o600)
        return {"backend": "sqlite", "kind": "sqlite-file", "revision": revision, "tables": tables}
    tables = db.dump_tables(engine, tmp)
    for name in tables:
        writer.add_file(f"db/{name}.jsonl", tmp / f"{name}.jsonl", mode=0o600)
    return {"backend": engine.dialect.name, "kind": "jsonl", "revision": revision, "tables": tables}


def _counts_in_sqlite(path: Path) -> dict[str, int]:
    engine = make_engine(f"sqlite:///{path}")
    try:
        return _counts(engine)
    finally:
        engine.dispose()


def _counts(engine: Engine) -> dict[str, int]:
    names = set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        return {
            t.name: int(conn.execute(select(func.count()).select_from(t)).scalar() or 0)
            for t in db.esign_tables()
            if t.name in names
        }


def restore_backup(archive: Path, settings: Settings, *, expected_vkey: str | None = None) -> RestoreReport:
    """Restore ``archive`` into the empty data home (and database) of ``settings``; audits the register.

    ``expected_vkey``: the usage register's verifier key as the county published it; when given,
    the restore is refused unless the archive's ``certs/ledger.vkey`` is that key.
    """
    home = settings.home
    if home.exists() and (not home.is_dir() or any(home.iterdir())):
        raise ConflictError(
            f"目标数据目录不是空目录：{home}", f"The target home {home} is not empty.", code="restore_target_not_empty"
        )
    target = make_engine(settings.db_url)
    created = not home.exists()
    try:
        if _database_exists(target) and db.database_in_use(target):
            raise ConflictError(
                "目标数据库已有 esign 数据表，不会覆盖。",
                "The target database already has esign tables; a restore never writes over them.",
                code="restore_target_not_empty",
            )
        home.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".esign-restore-", dir=home.parent))
        try:
            manifest = extract_verified(archive, staging)
            if expected_vkey is not None:
                _check_vkey(staging / "certs" / "ledger.vkey", expected_vkey)
            _load_database(manifest, staging, target, home)
            for part in ("keys", "certs", "documents"):
                if (staging / part).is_dir():
                    shutil.move(str(staging / part), str(home / part))
            if (home / "keys").is_dir():
                os.chmod(home / "keys", 0o700)
                for path in _files(home / "keys"):
                    os.chmod(path, 0o600)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        if created:
            shutil.rmtree(home, ignore_errors=True)
        else:
            for child in home.iterdir() if home.exists() else ():
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        raise
    finally:
        target.dispose()
    dep = Deployment.open(settings)  # runs the migrations up to this version's schema
    try:
        counts = _counts(dep.engine)
        wrong = {k: (v, counts.get(k)) for k, v in manifest.database.get("tables", {}).items() if counts.get(k) != v}
        if wrong:
            raise InputError(
                "恢复后的数据行数与备份清单不一致。",
                f"Row counts after the restore differ from the manifest: {wrong}",
                code="restore_incomplete",
            )
        with dep.transaction() as session:
            audit = verify_log(session, verifier=dep.ledger_verifier)
    finally:
        dep.close()
    return RestoreReport(home, manifest, audit)


def _database_exists(engine: Engine) -> bool:
    if engine.dialect.name != "sqlite":
        return True
    path = engine.url.database
    return path is not None and path not in ("", ":memory:") and Path(path).exists()


def _check_vkey(path: Path, expected: str) -> None:
    found = path.read_text(encoding="utf-8").strip() if path.exists() else ""
    if found != expected.strip():
        raise InputError(
            "备份中的台账验证公钥与公布的不一致。",
            "The register's verifier key in the backup is not the published one.",
            code="backup_vkey_mismatch",
        )


def _load_database(manifest: Manifest, staging: Path, target: Engine, home: Path) -> None:
    info = manifest.database
    kind, revision = info.get("kind"), info.get("revision")
    if kind == "sqlite-file" and target.dialect.name == "sqlite":
        url = target.url.database
        if not url or Path(url).resolve() != (home / "esign.db").resolve():
            raise InputError(
                "SQLite 备份只能恢复到目标数据目录中的 esign.db。",
                "A SQLite backup restores into HOME/esign.db only.",
                code="restore_target_unsupported",
            )
        shutil.copyfile(staging / _SQLITE_MEMBER, home / "esign.db")
        return
    if kind not in ("sqlite-file", "jsonl") or not isinstance(revision, str):
        raise InputError(
            "备份中的数据库格式未知。", f"Unknown database kind {kind!r} in the backup.", code="backup_invalid"
        )
    db.migrate_to(target, revision)
    tables = db.esign_tables()
    if kind == "sqlite-file":
        source = staging / _SQLITE_MEMBER
        rows_of = {t.name: db.sqlite_rows(source, t) for t in tables if t.name in info.get("tables", {})}
    else:
        rows_of = {
            t.name: db.read_jsonl(staging / "db" / f"{t.name}.jsonl")
            for t in tables
            if (staging / "db" / f"{t.name}.jsonl").exists()
        }
    db.load_rows(target, rows_of)
    db.reset_sequences(target)
