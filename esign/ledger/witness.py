"""The witness side: remember the latest checkpoint of each watched log and cosign only extensions.

Followed: c2sp.org/tlog-witness (C2SP/C2SP@5ba5ee8, ``tlog-witness.md``, ``add-checkpoint``).
:meth:`Witness.add_checkpoint` takes the request body exactly as the spec gives it::

    old <size>\\n
    <base64 consistency proof hash>\\n   (0 to 63 lines)
    \\n
    <signed checkpoint note>

and answers the cosignature line(s) (:mod:`esign.ledger.cosign`) or raises
:class:`~esign.ledger.errors.WitnessRefusal` with the spec's status: 404 unknown origin, 403 no
valid signature by the log's key, 400 old size above the new one or a malformed body, 409 the old
size is not the size this witness last cosigned (the answer carries that size), 422 the
consistency proof fails, the same size comes with another root, or the empty tree's root is wrong.

The witness's memory is :class:`WitnessStore`, a SQLite file of its own (never the county's
database). The check of the old size and the write of the new checkpoint happen in one
``BEGIN IMMEDIATE`` transaction, so two concurrent requests cannot roll the stored size back (the
race the spec describes). Refusals are kept in the same file, as evidence of what the log sent.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from esign.ledger.checkpoint import Checkpoint, NoteVerifier, SignedNote
from esign.ledger.cosign import Cosigner
from esign.ledger.errors import CheckpointError, InvalidProofError, WitnessRefusal
from esign.ledger.merkle import EMPTY_ROOT, HASH_SIZE, verify_consistency

__all__ = ["AddCheckpoint", "Witness", "WitnessState", "WitnessStore", "add_checkpoint_body"]

_log = logging.getLogger("esign.witness")
_MAX_PROOF = 63
_SIZE = re.compile(r"0|[1-9][0-9]{0,18}")


@dataclass(frozen=True)
class AddCheckpoint:
    """A parsed ``add-checkpoint`` request."""

    old_size: int
    """Size of the checkpoint the log believes this witness cosigned last."""
    proof: tuple[bytes, ...]
    """Consistency proof from ``old_size`` to the new checkpoint."""
    note: bytes
    """The signed checkpoint note."""

    @classmethod
    def from_bytes(cls, body: bytes) -> AddCheckpoint:
        """Parse a request body; :class:`WitnessRefusal` 400 if it is not well formed."""
        head, sep, note = body.partition(b"\n\n")
        lines = head.split(b"\n")
        if not sep or not lines[0].startswith(b"old "):
            raise WitnessRefusal(400, "请求格式错误", "body must start with 'old <size>' and a blank line")
        size = lines[0][4:].decode("ascii", "replace")
        if not _SIZE.fullmatch(size) or len(lines) - 1 > _MAX_PROOF:
            raise WitnessRefusal(400, "旧大小或证明行数不合法", "bad old size or more than 63 proof lines")
        proof = []
        for line in lines[1:]:
            try:
                h = base64.b64decode(line, validate=True)
            except ValueError as e:
                raise WitnessRefusal(400, "证明行不是 base64", "a proof line is not base64") from e
            if len(h) != HASH_SIZE:
                raise WitnessRefusal(400, "证明哈希长度错误", "a proof line is not a 32-byte hash")
            proof.append(h)
        return cls(int(size), tuple(proof), note)


def add_checkpoint_body(old_size: int, proof: tuple[bytes, ...] | list[bytes], note: bytes) -> bytes:
    """The ``add-checkpoint`` request body (the client side)."""
    lines = [f"old {old_size}\n".encode()] + [base64.b64encode(h) + b"\n" for h in proof]
    return b"".join(lines) + b"\n" + note


@dataclass(frozen=True)
class WitnessState:
    """What a witness remembers of one log."""

    origin: str
    """The log's origin line."""
    vkey: str
    """The log's note verifier key."""
    size: int
    """Size of the latest checkpoint cosigned (0: none yet)."""
    root_hash: bytes
    """Its root."""
    note: bytes
    """The signed note as received (empty before the first)."""
    updated_at: str
    """When it was cosigned (ISO 8601, UTC); empty before the first."""


class WitnessStore:
    """The witness's own SQLite file: one row per watched log, and the refusals it answered."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with self._tx() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS logs (origin TEXT PRIMARY KEY, vkey TEXT NOT NULL,"
                " size INTEGER NOT NULL, root BLOB NOT NULL, note BLOB NOT NULL, updated_at TEXT NOT NULL)"
            )
            db.execute(
                "CREATE TABLE IF NOT EXISTS refusals (id INTEGER PRIMARY KEY, origin TEXT, status INTEGER,"
                " reason TEXT, request BLOB, at TEXT)"
            )

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    def watch(self, vkey: str) -> str:
        """Start watching the log whose note key is ``vkey`` (its name is the origin); returns the origin."""
        vkey = vkey.strip()
        origin = NoteVerifier.from_vkey(vkey).name
        with self._tx() as db:
            db.execute(
                "INSERT INTO logs VALUES (?, ?, 0, ?, x'', '') ON CONFLICT(origin) DO UPDATE SET vkey = excluded.vkey",
                (origin, vkey.strip(), EMPTY_ROOT),
            )
        return origin

    def states(self) -> list[WitnessState]:
        """Every watched log."""
        with self._tx() as db:
            rows = db.execute("SELECT origin, vkey, size, root, note, updated_at FROM logs ORDER BY origin").fetchall()
        return [WitnessState(o, v, int(s), bytes(r), bytes(n), u) for o, v, s, r, n, u in rows]

    def refusals(self) -> list[tuple[str, int, str]]:
        """``(origin, status, reason)`` of every refused request, oldest first."""
        with self._tx() as db:
            return [(o, int(s), r) for o, s, r in db.execute("SELECT origin, status, reason FROM refusals ORDER BY id")]


class Witness:
    """A witness: a cosigning key and a store."""

    def __init__(self, cosigner: Cosigner, store: WitnessStore) -> None:
        self.cosigner = cosigner
        self.store = store

    def add_checkpoint(self, body: bytes, *, at: dt.datetime) -> bytes:
        """Handle one ``add-checkpoint`` request; returns the cosignature line(s) to answer with."""
        req = AddCheckpoint.from_bytes(body)
        try:
            note = SignedNote.from_bytes(req.note)
            cp_origin = note.text.split("\n", 1)[0]
        except CheckpointError as e:
            raise WitnessRefusal(400, "检查点格式错误", f"malformed checkpoint: {e.message_en}") from e
        try:
            with self.store._tx() as db:
                row = db.execute("SELECT vkey, size, root FROM logs WHERE origin = ?", (cp_origin,)).fetchone()
                if row is None:
                    raise WitnessRefusal(404, "本见证人不认识该日志", f"unknown log origin {cp_origin!r}")
                cp = self._open(note, NoteVerifier.from_vkey(row[0]))
                self._check(req, cp, int(row[1]), bytes(row[2]))
                line = self.cosigner.cosign(note.text, at=at).line() + "\n"
                db.execute(
                    "UPDATE logs SET size = ?, root = ?, note = ?, updated_at = ? WHERE origin = ?",
                    (cp.size, cp.root_hash, req.note, at.astimezone(dt.UTC).isoformat(), cp.origin),
                )
        except WitnessRefusal as e:
            self._refused(cp_origin, e, body, at)
            raise
        return line.encode()

    def cosign_from(self, log_url: str, *, at: dt.datetime, get: Callable[[str], bytes] | None = None) -> bytes:
        """Fetch the county's latest checkpoint from the service at ``log_url`` (``/ledger/checkpoint``),
        with the consistency proof from the size this witness holds (``/api/v1/ledger/proof/consistency``),
        and cosign it as :meth:`add_checkpoint` would a request; returns the cosignature line(s).

        Nothing fetched is trusted: the note and the proof are checked exactly as a request's are.
        ``get`` reads a URL (by default :func:`esign.ledger.mirror.http_get`).
        """
        if get is None:
            from esign.ledger.mirror import http_get

            get = http_get
        base = log_url.rstrip("/")
        note = get(base + "/ledger/checkpoint")
        cp = Checkpoint.from_body(SignedNote.from_bytes(note).text)
        known = {s.origin: s.size for s in self.store.states()}.get(cp.origin, 0)
        proof: list[bytes] = []
        if 0 < known <= cp.size:
            data = json.loads(get(f"{base}/api/v1/ledger/proof/consistency?from={known}&to={cp.size}"))
            proof = [base64.b64decode(h) for h in data["proof"]]
        return self.add_checkpoint(add_checkpoint_body(known, proof, note), at=at)

    @staticmethod
    def _open(note: SignedNote, verifier: NoteVerifier) -> Checkpoint:
        try:
            return Checkpoint.from_body(note.verified_text(verifier))
        except CheckpointError as e:
            raise WitnessRefusal(403, "检查点没有该日志的有效签名", f"no valid log signature: {e.message_en}") from e

    @staticmethod
    def _check(req: AddCheckpoint, cp: Checkpoint, known: int, known_root: bytes) -> None:
        if req.old_size > cp.size:
            raise WitnessRefusal(400, "旧大小大于新检查点", "old size is above the checkpoint size")
        if req.old_size != known:
            raise WitnessRefusal(
                409, f"旧大小不符：本见证人上次联署的大小是 {known}", f"old size is not {known}", size=known
            )
        if cp.size == 0 and cp.root_hash != EMPTY_ROOT:
            raise WitnessRefusal(422, "空日志的根哈希错误", "a checkpoint of size 0 needs the empty root")
        if req.old_size == 0 and req.proof:
            raise WitnessRefusal(422, "从空树出发的证明必须为空", "the proof from size 0 must be empty")
        try:
            verify_consistency(known, cp.size, known_root, cp.root_hash, req.proof)
        except InvalidProofError as e:
            raise WitnessRefusal(
                422,
                f"日志分叉：大小 {cp.size} 的检查点不是本见证人已联署的大小 {known} 的延续，拒绝联署",
                f"fork: checkpoint {cp.size} does not extend the cosigned size {known} ({e.message_en})",
                size=known,
            ) from e

    def _refused(self, origin: str, e: WitnessRefusal, body: bytes, at: dt.datetime) -> None:
        level = logging.ERROR if e.http_status == 422 else logging.WARNING
        _log.log(level, "witness refused %s (%s): %s / %s", origin, e.http_status, e.message_zh, e.message_en)
        with self.store._tx() as db:
            db.execute(
                "INSERT INTO refusals (origin, status, reason, request, at) VALUES (?, ?, ?, ?, ?)",
                (origin, e.http_status, e.message_en, body, at.astimezone(dt.UTC).isoformat()),
            )
