"""The online verifier's view of the registry and the usage register (``esign.verify.api`` hooks).

They answer from the database only; the verifier compares their answers with what the document
proves, so a wrong or missing answer can keep a document from passing, never make it pass.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from esign.deployment import Deployment
from esign.errors import EsignError
from esign.ledger import SqlLedger, prove_entry
from esign.ledger.cosign import cosigned_by
from esign.ledger.cosigning import cosigned_note
from esign.pki import store as pki_store
from esign.registry.lifecycle import SealStatus
from esign.registry.models import Seal, SealEvent
from esign.verify.api import LedgerAnswer, LedgerQuery, RegistryAnswer, SealState
from esign.workflow.models import StampRequestRow

__all__ = ["DatabaseLedgerLookup", "DatabaseRegistryLookup"]


def _serial_key(serial_hex: str) -> str:
    return f"{int(serial_hex, 16):040x}"


class DatabaseRegistryLookup:
    """Seal states from the registry's lifecycle history."""

    def __init__(self, dep: Deployment) -> None:
        self.dep = dep

    def seal_status(
        self, *, cert_serial_hex: str, sha256_fingerprint: str, signed_at: dt.datetime | None, at: dt.datetime
    ) -> RegistryAnswer:
        key = _serial_key(cert_serial_hex)
        with self.dep.reading() as session:
            # a seal signs PDFs with its ECDSA certificate and OFDs (GB/T 38540) with its SM2 one
            seal = session.scalar(select(Seal).where(or_(Seal.cert_serial == key, Seal.sm2_cert_serial == key)))
            cert = session.get(pki_store.PkiCertificate, key)
            if seal is None or cert is None or hashlib.sha256(cert.der).hexdigest() != sha256_fingerprint.lower():
                return RegistryAnswer(False, SealState.UNKNOWN, SealState.UNKNOWN, detail="登记簿中没有该印章证书")
            events = list(session.scalars(select(SealEvent).where(SealEvent.seal_id == seal.id).order_by(SealEvent.id)))

            def state(t: dt.datetime | None) -> SealState:
                if t is None:
                    return SealState.UNKNOWN
                current = None
                for event in events:
                    if event.at <= t:
                        current = event.to_status
                return SealStatus(current).seal_state if current else SealState.UNKNOWN

            return RegistryAnswer(
                True, state(signed_at), state(at), detail=f"{seal.name}（{SealStatus(seal.status).zh}）"
            )


def _signing_serial(session: Session, seal_id: str, recorded: str, document: tuple[str, ...]) -> str:
    """The serial of the entry's seal that signed the document: the one recorded, or the seal's other
    certificate (ECDSA for PDF, SM2 for OFD) when that is the one the document carries."""
    if recorded in document or not seal_id.isdigit():
        return recorded
    seal = session.get(Seal, int(seal_id))
    for serial in (seal.cert_serial, seal.sm2_cert_serial) if seal is not None else ():
        short = (serial or "0").lstrip("0") or "0"
        if serial and short in document:
            return short
    return recorded


class DatabaseLedgerLookup:
    """Entries of the usage register, by entry id or by the stamped file's hash, with their proof."""

    def __init__(self, dep: Deployment) -> None:
        self.dep = dep

    def lookup(self, query: LedgerQuery) -> LedgerAnswer:
        with self.dep.reading() as session:
            entry_id = query.entry_id
            if entry_id is None:
                hashes = {query.document_sha256, *query.revision_sha256s}
                entry_id = session.scalar(
                    select(StampRequestRow.entry_id).where(StampRequestRow.output_sha256.in_(hashes)).limit(1)
                )
            if entry_id is None:
                return LedgerAnswer(False, detail="用印登记台账中没有与该文件对应的记录")
            try:
                proof = prove_entry(SqlLedger(session), entry_id)
            except EsignError:
                return LedgerAnswer(False, entry_id=entry_id, detail="用印登记台账中没有该登记编号")
            note = cosigned_note(session, proof.checkpoint.size) if proof.checkpoint and not proof.pending else None
            entry = proof.stored.entry
            serial = _signing_serial(session, entry.seal_id, entry.cert_serial, query.cert_serials_hex)
        witnesses = self.dep.witnesses
        cosigs: int | None = None
        if note is not None:
            try:
                cosigs = len(cosigned_by(note, [w.verifier for w in witnesses]))
            except EsignError:
                cosigs = 0
        valid: bool | None
        if proof.pending:
            valid = None
        else:
            try:
                proof.verify(self.dep.ledger_verifier)
                valid = True
            except EsignError:
                valid = False
        return LedgerAnswer(
            True,
            entry_id=entry.entry_id,
            output_sha256=entry.output_sha256,
            cert_serial_hex=serial,
            proof_valid=valid,
            detail=f"{entry.township_name} · {entry.item_name} · {entry.document_title}",
            cosignatures=cosigs,
            witnesses=len(witnesses),
            witness_quorum=self.dep.settings.witness_quorum if witnesses else 0,
        )
