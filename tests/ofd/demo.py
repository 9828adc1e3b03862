"""Whether a demo home's seals carry GB/T 38540 seal data (what stamping an OFD signs with)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from esign.deployment import Deployment
from esign.registry.models import SealData

__all__ = ["require_seal_data"]


def require_seal_data(dep: Deployment) -> None:
    """Skip when the seal lifecycle of this tree makes no seal data (issue 16's .esl not landed yet)."""
    with dep.transaction() as session:
        if not session.scalar(select(func.count()).select_from(SealData)):
            pytest.skip("this tree's seal lifecycle makes no GB/T 38540 seal data (.esl) yet")
