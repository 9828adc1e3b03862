"""Verification as the deployment does it: the county root as trust anchor, the current CRLs, and
(online) the registry and the usage register consulted through :mod:`esign.workflow.lookups`.

A PDF is checked against the county's ECDSA root (:func:`esign.verify.verify_pdf`); an OFD (sniffed by
content, :func:`esign.ofd.is_ofd`) against its SM2 root and issuing CA with the SM2 CRLs
(:func:`esign.ofd.verify.verify_ofd`). Both give the same report.
"""

from __future__ import annotations

import datetime as dt

from esign.deployment import Deployment
from esign.ofd import is_ofd
from esign.pki.crl import current_crl, fresh_crl
from esign.verify import VerificationReport, verify_pdf
from esign.workflow.lookups import DatabaseLedgerLookup, DatabaseRegistryLookup

__all__ = ["verify_document"]


def verify_document(
    dep: Deployment,
    data: bytes,
    *,
    at: dt.datetime,
    entry_id: str | None = None,
    online: bool = True,
    password: str | None = None,
) -> VerificationReport:
    """Verify ``data`` against this county's root; online also checks registry, register and live CRL.
    ``password`` opens an encrypted document that does not open with the empty user password."""
    if is_ofd(data):
        return _verify_ofd(dep, data, at=at, entry_id=entry_id, online=online)
    pki = dep.pki
    crls: list[bytes] = []
    root_crl = dep.settings.certs_dir / "root.crl"
    if root_crl.exists():
        crls.append(root_crl.read_bytes())
    registry = ledger = None
    if online:
        with dep.reading() as session:  # the stored CRL; a new one (rarely due) in a writing transaction
            crl = fresh_crl(session, pki.issuing, at=at)
        if crl is None:
            with dep.transaction() as session:
                crl = current_crl(session, pki, at=at)
        crls.append(crl)
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
        password=password,
    )


def _verify_ofd(
    dep: Deployment, data: bytes, *, at: dt.datetime, entry_id: str | None, online: bool
) -> VerificationReport:
    from esign.ofd.verify import verify_ofd
    from esign.pki import county_sm2_trust
    from esign.ses import SesTrust, crl_lookup

    if dep.has_sm2_pki:  # the home's SM2 root, issuing CA and CRLs (the current one only online)
        home = county_sm2_trust(
            dep.sm2_pki, dep.settings.certs_dir, at=at, transaction=dep.transaction if online else None
        )
        trust = SesTrust.of(home.roots, home.intermediates, crl_lookup(home.crls) if home.crls else None)
    else:  # without an SM2 hierarchy nothing is trusted, and the report says so
        trust = SesTrust.of([], [], None)
    registry = ledger = None
    if online:
        registry, ledger = DatabaseRegistryLookup(dep), DatabaseLedgerLookup(dep)
    return verify_ofd(
        data,
        trust=trust,
        at=at,
        registry=registry,
        ledger=ledger,
        entry_id=entry_id,
        max_size=dep.settings.max_upload_bytes,
    )
