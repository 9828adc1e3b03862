"""Migrations: the revisions on disk build exactly the schema the models declare, on SQLite and PostgreSQL.

A model change without its Alembic revision (or a revision that drifts from the models) fails here, because the
comparison is Alembic's own autogenerate diff between the migrated database and ``Base.metadata``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

import esign.models  # noqa: F401  (registers every table)
from esign.db.base import Base
from esign.db.engine import script_head

_MIGRATIONS = Path(__file__).resolve().parents[1] / "esign" / "db" / "migrations"


def _script() -> ScriptDirectory:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return ScriptDirectory.from_config(cfg)


def test_the_revisions_form_one_line_of_history():
    heads = _script().get_heads()
    assert len(heads) == 1, f"several Alembic heads: {heads}; point the newer revision's down_revision at the other"


def test_migrated_database_is_at_head_and_has_every_model_table(engine):
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
    assert set(current) == set(_script().get_heads())
    tables = set(inspect(engine).get_table_names())
    missing = {t.name for t in Base.metadata.sorted_tables} - tables
    assert not missing, f"tables declared by the models but not created by the migrations: {sorted(missing)}"


def test_migrations_match_the_models(engine):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"schema drift between migrations and models: {diff}"


def test_the_head_read_without_alembic_is_alembics_head():
    assert script_head() == _script().get_current_head()


def test_a_database_at_head_opens_without_loading_alembic(tmp_path):
    """``migrate`` on an up-to-date database only reads its version: a verifier opening a home does
    not pay for Alembic and the revision scripts; a new database still gets every revision."""
    code = """
import sys
from esign.db import make_engine, migrate
engine = make_engine(sys.argv[1])
migrate(engine)
fresh = "alembic" in sys.modules
for name in [m for m in sys.modules if m == "alembic" or m.startswith(("alembic.", "esign.db.migrations"))]:
    del sys.modules[name]
migrate(engine)
print(fresh, "alembic" in sys.modules)
"""
    url = f"sqlite:///{tmp_path / 'esign.db'}"
    got = subprocess.run([sys.executable, "-c", code, url], capture_output=True, text=True, timeout=300)
    assert got.returncode == 0, got.stderr
    assert got.stdout.split() == ["True", "False"]
