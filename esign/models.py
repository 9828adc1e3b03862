"""Imports every package's tables so that ``Base.metadata`` is complete (Alembic, migrations)."""

import esign.feed.models
import esign.hosts.models
import esign.ledger.models
import esign.oversight.models
import esign.pki.store
import esign.registry.models
import esign.workflow.models

__all__ = ["esign"]
