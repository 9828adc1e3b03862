"""Verification as the deployment does it: the county root as trust anchor, the current CRLs, and
(online) the registry and the usage register consulted through :mod:`esign.workflow.lookups`."""

from __future__ import annotations

import datetime as dt

from esign.deployment import Deployment
from esign.pki.crl import current_crl
from esign.verify import VerificationReport, verify_pdf
from esign.workflow.lookups import DatabaseLedgerLookup, DatabaseRegistryLookup

__all__ = ["verify_document"]


def verify_document(
    dep: Deployment, data: bytes, *, at: dt.datetime, entry_id: str | None = None, online: bool = True
) -> VerificationReport:
    """Verify ``data`` against this county's root; online also checks registry, register and live CRL."""
    pki = dep.pki
    crls: list[bytes] = []
    root_crl = dep.settings.certs_dir / "root.crl"
    if root_crl.exists():
        crls.append(root_crl.read_bytes())
    registry = ledger = None
    if online:
        with dep.transaction() as session:
            crls.append(current_crl(session, pki, at=at))
        registry, ledger = DatabaseRegistryLookup(dep), DatabaseLedgerLookup(dep)
    return verify_pdf(
        data,
        trust_roots=[pki.root],
        at=at,
        registry=registry,
        ledger=ledger,
        crls=crls,
        entry_id=entry_id,
        max_size=dep.settings.max_upload_bytes,
    )
