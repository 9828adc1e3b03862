"""What only an online verifier does: live revocation fetching and the registry and ledger hooks.

Failing online checks never turn a cryptographic failure into a pass; they can only keep a document
from passing: a seal unknown to the registry or not active at the proven signing time, an item
outside the township's authority list, or a ledger that has no entry, a different hash, a different
seal or an invalid proof make the overall verdict INDETERMINATE/SIG_CONSTRAINTS_FAILURE (the
signature is sound, but not acceptable under the county's rules). A hook that raises is reported as
``unavailable`` and leaves the verdict as it was.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import replace

from asn1crypto import x509 as asn1_x509

from esign.verify.api import LedgerLookup, LedgerQuery, RegistryLookup, SealState
from esign.verify.findings import finding
from esign.verify.report import (
    CheckStatus,
    Finding,
    LedgerCheck,
    RegistryCheck,
    RevocationSource,
    SignatureReport,
    SubIndication,
)
from esign.verify.structure import RevisionLayout
from esign.verify.timestamps import RevocationData

__all__ = [
    "FETCH_TIMEOUT",
    "fetch_revocation",
    "ledger_check",
    "ledger_check_hashes",
    "online_findings",
    "online_subindications",
    "registry_check",
]

_log = logging.getLogger(__name__)

#: Upper bound for all live revocation fetching of one verification, in seconds.
FETCH_TIMEOUT = 15.0


async def fetch_revocation(certs: Sequence[asn1_x509.Certificate], have: RevocationData) -> RevocationData:
    """``have`` plus the CRLs fetched now from the certificates' CRL distribution points."""
    from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

    backend = AIOHttpFetcherBackend(per_request_timeout=FETCH_TIMEOUT / 2)
    fetched: list[tuple[bytes, RevocationSource]] = []
    try:
        fetchers = backend.get_fetchers()

        async def one(cert: asn1_x509.Certificate) -> None:
            try:
                for crl in await fetchers.crl_fetcher.fetch(cert, use_deltas=False):
                    fetched.append((crl.dump(), RevocationSource.LIVE))
            except Exception as e:  # network errors of every kind: the check then lacks live data
                _log.info("live CRL fetch failed: %s", e)

        await asyncio.wait_for(asyncio.gather(*(one(c) for c in certs)), FETCH_TIMEOUT)
    except (TimeoutError, Exception) as e:
        _log.info("live revocation fetching failed: %s", e)
    finally:
        try:
            await backend.close()
        except Exception as e:
            _log.debug("closing the fetcher failed: %s", e)
    return RevocationData(crls=have.crls + tuple(fetched), ocsps=have.ocsps)


async def registry_check(registry: RegistryLookup | None, report: SignatureReport, at: object) -> SignatureReport:
    """The report with its registry check filled in (unchanged when offline)."""
    if registry is None or report.signer is None:
        return report
    try:
        answer = registry.seal_status(
            cert_serial_hex=report.signer.serial_hex,
            sha256_fingerprint=report.signer.sha256_fingerprint,
            signed_at=report.trusted_signing_time,
            at=at,  # type: ignore[arg-type]
        )
    except Exception as e:
        _log.warning("registry lookup failed", exc_info=e)
        return replace(report, registry=RegistryCheck(CheckStatus.UNAVAILABLE, detail=str(e)[:200]))
    ok = (
        answer.known
        and answer.state_at_signing in (SealState.ACTIVE, SealState.UNKNOWN)
        and answer.item_authorized is not False
    )
    check = RegistryCheck(
        CheckStatus.PASSED if ok else CheckStatus.FAILED,
        seal_state_at_signing=answer.state_at_signing.value,
        seal_state_now=answer.state_now.value,
        item_authorized=answer.item_authorized,
        detail=answer.detail,
    )
    return replace(report, registry=check)


async def ledger_check(
    ledger: LedgerLookup | None,
    data: bytes,
    layout: RevisionLayout,
    reports: Sequence[SignatureReport],
    entry_id: str | None,
    document_sha256: str | None = None,
) -> LedgerCheck:
    """Ask the ledger about this document (``not_checked`` when offline); ``document_sha256`` is the SHA-256 of
    ``data`` when the caller already has it."""
    if ledger is None:
        return LedgerCheck()
    revs = []
    for r in reports:
        rev = r.coverage.signed_revision
        if rev is not None:
            for end in {layout.eof_ends[rev], layout.line_ends[rev]}:
                if end is not None:
                    revs.append(hashlib.sha256(data[:end]).hexdigest())
    doc = document_sha256 or hashlib.sha256(data).hexdigest()
    return await ledger_check_hashes(ledger, doc, tuple(revs), reports, entry_id)


async def ledger_check_hashes(
    ledger: LedgerLookup | None,
    doc: str,
    revision_sha256s: tuple[str, ...],
    reports: Sequence[SignatureReport],
    entry_id: str | None,
) -> LedgerCheck:
    """:func:`ledger_check` for a document whose hashes are known (an OFD has no revisions)."""
    if ledger is None:
        return LedgerCheck()
    serials = tuple(r.signer.serial_hex for r in reports if r.signer is not None)
    query = LedgerQuery(doc, tuple(dict.fromkeys(revision_sha256s)), entry_id, serials)
    try:
        answer = ledger.lookup(query)
    except Exception as e:
        _log.warning("ledger lookup failed", exc_info=e)
        return LedgerCheck(CheckStatus.UNAVAILABLE, detail=str(e)[:200])
    if not answer.found:
        return LedgerCheck(CheckStatus.FAILED, found=False, detail=answer.detail)
    hash_ok = answer.output_sha256 in (doc, *query.revision_sha256s)
    seal_ok = answer.cert_serial_hex in serials if answer.cert_serial_hex is not None else None
    ok = hash_ok and seal_ok is not False and answer.proof_valid is not False
    return LedgerCheck(
        CheckStatus.PASSED if ok else CheckStatus.FAILED,
        found=True,
        entry_id=answer.entry_id,
        hash_matches=hash_ok,
        seal_matches=seal_ok,
        proof_valid=answer.proof_valid,
        detail=answer.detail,
        cosignatures=answer.cosignatures,
        witnesses=answer.witnesses,
        witness_quorum=answer.witness_quorum,
    )


def online_findings(reports: Sequence[SignatureReport], ledger: LedgerCheck) -> list[Finding]:
    """Why the online checks failed, in order."""
    out: list[Finding] = []
    for r in reports:
        reg = r.registry
        if reg.status is not CheckStatus.FAILED:
            continue
        if reg.seal_state_at_signing is None:
            out.append(finding("registry_unknown_seal"))
        elif reg.seal_state_at_signing not in ("active", "unknown"):
            out.append(finding("registry_not_active", state=reg.seal_state_at_signing))
        if reg.item_authorized is False:
            out.append(finding("registry_item_not_authorized"))
    if ledger.status is CheckStatus.FAILED:
        if ledger.found is False:
            out.append(finding("ledger_not_found"))
        elif ledger.hash_matches is False:
            out.append(finding("ledger_hash_mismatch"))
        elif ledger.seal_matches is False:
            out.append(finding("ledger_seal_mismatch"))
        elif ledger.proof_valid is False:
            out.append(finding("ledger_proof_invalid"))
    return out


def online_subindications(reports: Sequence[SignatureReport], ledger: LedgerCheck) -> list[SubIndication]:
    """SIG_CONSTRAINTS_FAILURE once per failed online check (empty when all passed or offline)."""
    failed = sum(1 for r in reports if r.registry.status is CheckStatus.FAILED)
    failed += 1 if ledger.status is CheckStatus.FAILED else 0
    return [SubIndication.SIG_CONSTRAINTS_FAILURE] * failed
