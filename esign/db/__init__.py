"""Database plumbing shared by every package: the declarative base, engines, sessions, migrations."""

from esign.db.base import Base
from esign.db.engine import (
    Transactions,
    make_engine,
    make_read_session_factory,
    make_session_factory,
    migrate,
    one_statement_read,
    session_scope,
)

__all__ = [
    "Base",
    "Transactions",
    "make_engine",
    "make_read_session_factory",
    "make_session_factory",
    "migrate",
    "one_statement_read",
    "session_scope",
]
