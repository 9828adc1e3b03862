"""The county's side of witnessing: ask each configured witness to cosign the latest checkpoint.

Followed: c2sp.org/tlog-witness (the client side of ``add-checkpoint``) and c2sp.org/tlog-cosignature.
For each witness, the old size is the largest size it has cosigned for us (from
``ledger_cosignatures``; 0 for a new witness); the proof is the consistency proof from there to the
checkpoint, computed from the stored tree. A ``409`` answer carries the size the witness really
holds: the request is retried once from that size. A ``422`` means the witness saw a history this
log no longer extends: it is logged at CRITICAL level and reported, never retried.

HTTP happens outside any database transaction; :func:`plan_cosigning` and
:func:`store_cosignature` are the two short transactions around it. Several worker processes may
run this at once: a witness answers the second request with 409 and the stored row is unique per
(size, witness), so nothing is cosigned or stored twice.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from esign.ledger.checkpoint import SignedNote
from esign.ledger.cosign import Cosignature, CosignatureVerifier, cosigned_by
from esign.ledger.errors import CheckpointError
from esign.ledger.merkle import consistency_proof
from esign.ledger.models import LedgerCheckpointRow, LedgerCosignatureRow
from esign.ledger.store import SqlLedger
from esign.ledger.witness import add_checkpoint_body

__all__ = [
    "CosignOutcome",
    "CosignRequest",
    "Transport",
    "WitnessConfig",
    "collect_cosignatures",
    "cosigned_note",
    "http_transport",
    "plan_cosigning",
    "request_cosignature",
    "store_cosignature",
]

_log = logging.getLogger("esign.ledger.witnessing")

#: POSTs ``body`` to ``url`` and returns ``(status, response body)``.
Transport = Callable[[str, bytes], tuple[int, bytes]]


@dataclass(frozen=True)
class WitnessConfig:
    """A witness the county asks: where it listens and its published cosignature key."""

    url: str
    """Its submission prefix (``add-checkpoint`` is appended)."""
    verifier: CosignatureVerifier
    """Its ``cosignature/v1`` verifier key."""

    @classmethod
    def parse(cls, text: str) -> WitnessConfig:
        """``"<url> <vkey>"`` as written in ``ESIGN_LEDGER_WITNESSES`` (entries separated by ``;`` there)."""
        parts = text.split()
        if len(parts) != 2:
            raise CheckpointError("见证人配置格式错误", "a witness is configured as '<url> <vkey>'")
        return cls(parts[0].rstrip("/"), CosignatureVerifier.from_vkey(parts[1]))


@dataclass(frozen=True)
class CosignRequest:
    """One witness to ask, from which size, with which proof."""

    witness: WitnessConfig
    """The witness."""
    old_size: int
    """The size it last cosigned for us, as far as our records go."""
    size: int
    """The checkpoint's size."""
    note: bytes
    """The log-signed checkpoint."""
    proof: tuple[bytes, ...]
    """Consistency proof from ``old_size`` to ``size``."""


@dataclass(frozen=True)
class CosignOutcome:
    """What one witness answered."""

    witness: str
    """Its name."""
    cosignature: Cosignature | None
    """The verified cosignature; None if refused or unreachable."""
    status: int
    """HTTP status of the last answer (0: unreachable)."""
    message: str
    """Why not, when refused."""
    line: str = ""
    """The cosignature line to keep (without newline), when cosigned."""
    witness_size: int | None = None
    """The size the witness says it last cosigned (from a 409 answer)."""


def http_transport(timeout: float = 10.0) -> Transport:
    """A :data:`Transport` over HTTP(S) with the standard library."""

    def post(url: str, body: bytes) -> tuple[int, bytes]:
        req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "text/plain"})  # noqa: S310
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - configured witness URLs
                return int(resp.status), resp.read()
        except urllib.error.HTTPError as e:
            return int(e.code), e.read()

    return post


def plan_cosigning(
    session: Session, witnesses: Sequence[WitnessConfig], *, known: Mapping[str, int] | None = None
) -> list[CosignRequest]:
    """Requests for every witness that has not cosigned the latest checkpoint yet (reads only).

    ``known`` overrides the old size of a witness (what its 409 answer said).
    """
    ledger = SqlLedger(session)
    latest = ledger.latest_checkpoint()
    if latest is None or not witnesses:
        return []
    c = LedgerCosignatureRow
    out = []
    for w in witnesses:
        old = session.scalar(select(func.max(c.size)).where(c.witness == w.verifier.name))
        old = 0 if old is None else int(old)
        told = known is not None and w.verifier.name in known
        if told and known is not None:
            old = known[w.verifier.name]
        if old > latest.size:
            _log.critical(
                "witness %s has cosigned %d entries but the log has only %d: entries were removed",
                w.verifier.name,
                old,
                latest.size,
            )
            continue
        if old == latest.size and not told:
            continue
        proof = tuple(consistency_proof(old, latest.size, ledger.read_nodes))
        out.append(CosignRequest(w, old, latest.size, latest.note, proof))
    return out


def request_cosignature(req: CosignRequest, transport: Transport) -> CosignOutcome:
    """Send ``req`` and verify the answer (a 409 answer's size is returned for a second try)."""
    name = req.witness.verifier.name
    body = add_checkpoint_body(req.old_size, req.proof, req.note)
    try:
        status, answer = transport(req.witness.url + "/add-checkpoint", body)
    except OSError as e:
        _log.warning("witness %s unreachable: %s", name, e)
        return CosignOutcome(name, None, 0, f"unreachable: {e}")
    if status == 409 and answer.strip().isdigit():
        size = int(answer.strip())
        return CosignOutcome(name, None, status, f"the witness last cosigned size {size}", witness_size=size)
    if status != 200:
        text = answer.decode("utf-8", "replace")[:300]
        level = logging.CRITICAL if status == 422 else logging.WARNING
        _log.log(level, "witness %s refused checkpoint %d (HTTP %d): %s", name, req.size, status, text)
        return CosignOutcome(name, None, status, text)
    try:
        note = SignedNote.from_bytes(req.note + answer)
        found = cosigned_by(note, [req.witness.verifier])
    except CheckpointError as e:
        return CosignOutcome(name, None, status, f"bad cosignature: {e.message_en}")
    if not found:
        return CosignOutcome(name, None, status, "no cosignature by the configured key")
    v = req.witness.verifier
    line = next(s.line() for s in note.signatures if s.name == v.name and s.key_id == v.key_id)
    return CosignOutcome(name, found[0], status, "", line=line)


def store_cosignature(session: Session, size: int, outcome: CosignOutcome) -> None:
    """Keep a verified cosignature line (ignored if this witness's line for ``size`` is already kept)."""
    if outcome.cosignature is None:
        raise ValueError("nothing to store")
    values = {
        "size": size,
        "witness": outcome.witness,
        "line": outcome.line,
        "timestamp": outcome.cosignature.timestamp,
    }
    dialect = session.get_bind().dialect.name
    ins = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(ins(LedgerCosignatureRow).values(values).on_conflict_do_nothing())


def cosigned_note(session: Session, size: int | None = None) -> bytes | None:
    """The checkpoint of ``size`` (default: the latest) with every kept cosignature line appended."""
    cp = LedgerCheckpointRow
    stmt = select(cp.size, cp.note)
    stmt = stmt.where(cp.size == size) if size is not None else stmt.order_by(cp.size.desc()).limit(1)
    row = session.execute(stmt).first()
    if row is None:
        return None
    lines = session.scalars(
        select(LedgerCosignatureRow.line)
        .where(LedgerCosignatureRow.size == row[0])
        .order_by(LedgerCosignatureRow.witness)
    ).all()
    return row[1].encode() + "".join(line + "\n" for line in lines).encode()


def collect_cosignatures(
    transaction: Callable[[], AbstractContextManager[Session]],
    witnesses: Sequence[WitnessConfig],
    transport: Transport,
) -> list[CosignOutcome]:
    """Ask every witness that lacks it to cosign the latest checkpoint; keep what they return.

    ``transaction()`` opens one short transaction (the deployment's). Returns one outcome per
    witness asked; a witness whose 409 names another size is asked once more from that size.
    """
    with transaction() as session:
        plan = plan_cosigning(session, witnesses)
    out: list[CosignOutcome] = []
    for req in plan:
        got = request_cosignature(req, transport)
        if got.status == 409 and got.witness_size is not None and got.witness_size != req.old_size:
            with transaction() as session:
                again = plan_cosigning(session, [req.witness], known={got.witness: got.witness_size})
            for retry in again:
                got = request_cosignature(retry, transport) if retry.old_size <= retry.size else got
        if got.cosignature is not None:
            with transaction() as session:
                store_cosignature(session, req.size, got)
        out.append(got)
    return out
