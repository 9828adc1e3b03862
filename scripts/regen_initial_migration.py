"""Development helper: regenerate the initial Alembic revision from the models.

Only for the time before the first release, while the schema is still one revision. After a
release, add new revisions with ``alembic revision --autogenerate`` instead.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine

import esign.models  # noqa: F401

VERSIONS = Path(__file__).resolve().parent.parent / "esign" / "db" / "migrations" / "versions"


def main() -> None:
    for old in VERSIONS.glob("0001_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{tmp}/empty.db")
        cfg = Config()
        cfg.set_main_option("script_location", str(VERSIONS.parent))
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
    for new in VERSIONS.glob("0001_*.py"):
        new.rename(VERSIONS / "0001_initial.py")
    print("wrote", VERSIONS / "0001_initial.py")


if __name__ == "__main__":
    main()
