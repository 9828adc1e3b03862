"""The database part of a backup: a SQLite file copy, or a logical dump as JSON lines per table.

SQLite is copied with the online backup API (:meth:`sqlite3.Connection.backup`): a consistent
page copy while the service keeps running. Other backends (PostgreSQL) are dumped through
SQLAlchemy, one ``TABLE.jsonl`` per table in dependency order, all read in one REPEATABLE READ
transaction (one snapshot), so no ``pg_dump`` is needed and the dump loads into any backend.

A JSON line is one row: column name to value, where bytes are ``{"$b64": ...}`` and datetimes
``{"$dt": ISO-8601}``; everything else is plain JSON.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Integer, Table, inspect, select, text

from esign.db import Base, make_engine
from esign.errors import InputError

__all__ = [
    "copy_sqlite",
    "database_in_use",
    "decode_row",
    "dump_tables",
    "encode_row",
    "esign_tables",
    "load_rows",
    "migrate_to",
    "read_jsonl",
    "reset_sequences",
    "revision_of",
    "sqlite_rows",
]

_BATCH = 500


def esign_tables() -> list[Table]:
    """Every esign table, parents before children."""
    import esign.models  # noqa: F401  (registers every table)

    return list(Base.metadata.sorted_tables)


def encode_row(row: dict[str, Any]) -> str:
    """One row as a JSON line (without the newline)."""

    def enc(value: Any) -> Any:
        if isinstance(value, bytes | bytearray | memoryview):
            return {"$b64": base64.b64encode(bytes(value)).decode()}
        if isinstance(value, dt.datetime):
            return {"$dt": value.isoformat()}
        return value

    return json.dumps({k: enc(v) for k, v in row.items()}, ensure_ascii=False, sort_keys=True)


def decode_row(line: str) -> dict[str, Any]:
    """The inverse of :func:`encode_row`."""

    def dec(value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            if "$b64" in value:
                return base64.b64decode(value["$b64"])
            if "$dt" in value:
                return dt.datetime.fromisoformat(value["$dt"])
        return value

    obj = json.loads(line)
    if not isinstance(obj, dict):
        raise InputError("备份中的数据行无效。", "A row in the backup is not an object.", code="backup_invalid")
    return {k: dec(v) for k, v in obj.items()}


def revision_of(engine: Engine) -> str | None:
    """The Alembic revision of a database, None when it has none."""
    if not inspect(engine).has_table("alembic_version"):
        return None
    with engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def copy_sqlite(engine: Engine, dest: Path) -> None:
    """Copy a live SQLite database to ``dest`` with the online backup API and check the copy."""
    raw = engine.raw_connection()
    try:
        source = raw.driver_connection
        assert isinstance(source, sqlite3.Connection)
        target = sqlite3.connect(dest)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file in the archive
            ok = target.execute("PRAGMA integrity_check").fetchone()
        finally:
            target.close()
    finally:
        raw.close()
    if not ok or ok[0] != "ok":
        raise InputError(
            "数据库副本校验失败。", f"The database copy failed its integrity check: {ok}", code="backup_db"
        )


def dump_tables(engine: Engine, dest: Path) -> dict[str, int]:
    """Write ``dest/TABLE.jsonl`` for every esign table from one snapshot; returns rows per table."""
    counts: dict[str, int] = {}
    existing = set(inspect(engine).get_table_names())
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
        for table in esign_tables():
            if table.name not in existing:
                continue
            n = 0
            with (dest / f"{table.name}.jsonl").open("w", encoding="utf-8") as fh:
                query = select(table).order_by(*table.primary_key.columns)
                for row in conn.execution_options(yield_per=1000).execute(query).mappings():
                    fh.write(encode_row(dict(row)) + "\n")
                    n += 1
            counts[table.name] = n
    return counts


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """The rows of one ``TABLE.jsonl``."""
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield decode_row(line)


def sqlite_rows(path: Path, table: Table) -> Iterator[dict[str, Any]]:
    """The rows of ``table`` in a SQLite file (for loading a SQLite backup into another backend)."""
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            yield from (dict(r) for r in conn.execute(select(table).order_by(*table.primary_key.columns)).mappings())
    finally:
        engine.dispose()


def database_in_use(engine: Engine) -> bool:
    """Whether a database already holds esign tables (a restore never writes over them)."""
    names = set(inspect(engine).get_table_names())
    return "alembic_version" in names or any(t.name in names for t in esign_tables())


def migrate_to(engine: Engine, revision: str) -> None:
    """Bring an empty database to the schema of ``revision`` (the dump's), before loading rows."""
    from alembic import command
    from alembic.config import Config

    import esign.db

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(esign.db.__file__).parent / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def load_rows(engine: Engine, rows_of: dict[str, Iterator[dict[str, Any]]]) -> dict[str, int]:
    """Insert rows table by table in dependency order, in one transaction; returns rows per table."""
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        for table in esign_tables():
            source = rows_of.get(table.name)
            if source is None:
                continue
            n, batch = 0, []
            for row in source:
                batch.append(row)
                if len(batch) >= _BATCH:
                    conn.execute(table.insert(), batch)
                    n, batch = n + len(batch), []
            if batch:
                conn.execute(table.insert(), batch)
                n += len(batch)
            counts[table.name] = n
    return counts


def reset_sequences(engine: Engine) -> None:
    """PostgreSQL: move each serial primary key's sequence past the rows loaded with explicit ids."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in esign_tables():
            pk = list(table.primary_key.columns)
            if len(pk) != 1 or not isinstance(pk[0].type, Integer):
                continue
            col = pk[0].name
            conn.execute(
                text(
                    f'SELECT setval(pg_get_serial_sequence(:t, :c), COALESCE(MAX("{col}"), 1), '  # noqa: S608
                    f'MAX("{col}") IS NOT NULL) FROM "{table.name}"'
                ),
                {"t": table.name, "c": col},
            )
