"""Alembic environment: runs on the connection esign.db.migrate hands over."""

from alembic import context

import esign.models  # noqa: F401
from esign.db.base import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only used via esign.db.migrate
    raise RuntimeError("run migrations through esign.db.migrate(engine)")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
