"""Witness cosignatures: C2SP ``tlog-cosignature`` (``cosignature/v1``, Ed25519).

Followed: c2sp.org/tlog-cosignature (C2SP/C2SP@5ba5ee8, ``tlog-cosignature.md``). A cosignature is a
note signature line ``— <witness name> base64(key_id || timestamp || signature)`` where

* ``key_id = SHA-256(name || "\\n" || 0x04 || public_key)[:4]`` (algorithm byte 0x04, not the 0x01
  of a log's own Ed25519 note key),
* ``timestamp`` is a big-endian u64 of POSIX seconds (never zero), and
* the signature is Ed25519 over ``"cosignature/v1\\n" "time <timestamp>\\n" <checkpoint body>``.

The verifier key of a witness is published as ``name+hex(key_id)+base64(0x04 || public_key)``.
What a cosignature states: as of ``timestamp`` the witness had verified that the checkpoint is
consistent with every earlier checkpoint of that origin it had cosigned. It says nothing about the
entries themselves.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from esign.ledger.checkpoint import NoteSignature, SignedNote
from esign.ledger.errors import CheckpointError

__all__ = ["ALG_COSIGNATURE_V1", "Cosignature", "CosignatureVerifier", "Cosigner", "cosigned_by", "message"]

#: The signature-type byte of Ed25519 ``cosignature/v1`` keys.
ALG_COSIGNATURE_V1 = 0x04
_NAME = re.compile(r"[^\s+]+")


def _key_id(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([ALG_COSIGNATURE_V1]) + public_key).digest()[:4]


def message(body: str, timestamp: int) -> bytes:
    """The signed message of a ``cosignature/v1`` over the checkpoint note ``body``."""
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def _b64(s: str) -> bytes:
    try:
        out = base64.b64decode(s, validate=True)
    except ValueError as e:
        raise CheckpointError("base64 编码错误", "malformed base64") from e
    if base64.b64encode(out).decode() != s:
        raise CheckpointError("base64 编码不规范", "non-canonical base64")
    return out


@dataclass(frozen=True)
class Cosignature:
    """A verified cosignature: who, and when the witness made it."""

    witness: str
    """The witness's key name."""
    timestamp: int
    """POSIX seconds at which it cosigned."""

    @property
    def at(self) -> dt.datetime:
        """The timestamp as an aware UTC datetime."""
        return dt.datetime.fromtimestamp(self.timestamp, dt.UTC)


class CosignatureVerifier:
    """A witness's published ``cosignature/v1`` key."""

    def __init__(self, name: str, public_key: Ed25519PublicKey) -> None:
        if not _NAME.fullmatch(name):
            raise CheckpointError("见证人名称不合法", "witness name must be non-empty without spaces or '+'")
        self.name = name
        self.public_key = public_key
        self._raw = public_key.public_bytes_raw()
        self.key_id = _key_id(name, self._raw)

    @classmethod
    def from_vkey(cls, vkey: str) -> CosignatureVerifier:
        """Parse ``name+hash+base64(0x04 || pubkey)``; the hash must match."""
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3 or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
            raise CheckpointError("见证人公钥格式错误", "witness key must be name+hash+key")
        key = _b64(parts[2])
        if len(key) != 33 or key[0] != ALG_COSIGNATURE_V1:
            raise CheckpointError("不是 cosignature/v1 公钥", "not an Ed25519 cosignature/v1 key (type 0x04)")
        verifier = cls(parts[0], Ed25519PublicKey.from_public_bytes(key[1:]))
        if verifier.key_id.hex() != parts[1]:
            raise CheckpointError("见证人公钥哈希不符", "witness key hash does not match the key")
        return verifier

    @property
    def vkey(self) -> str:
        """The verifier key string, to publish."""
        raw = base64.b64encode(bytes([ALG_COSIGNATURE_V1]) + self._raw).decode()
        return f"{self.name}+{self.key_id.hex()}+{raw}"

    def verify(self, body: str, sig: NoteSignature) -> Cosignature | None:
        """The cosignature if ``sig`` is this witness's valid one over ``body``; None if not by this key.

        Raises :class:`CheckpointError` if it is by this key but does not verify.
        """
        if sig.name != self.name or sig.key_id != self.key_id:
            return None
        if len(sig.signature) != 8 + 64:
            raise CheckpointError("联署签名长度错误", f"cosignature by {self.name} has the wrong length")
        (timestamp,) = struct.unpack(">Q", sig.signature[:8])
        try:
            self.public_key.verify(sig.signature[8:], message(body, timestamp))
        except InvalidSignature as e:
            raise CheckpointError("见证人联署签名无效", f"invalid cosignature by {self.name}") from e
        if timestamp == 0 or timestamp >= 1 << 63:
            raise CheckpointError("联署时间不合法", f"cosignature by {self.name} has no valid timestamp")
        return Cosignature(self.name, timestamp)


class Cosigner:
    """A witness's signing side (its private key stays with the witness)."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.verifier = CosignatureVerifier(name, private_key.public_key())
        self.name = name

    def cosign(self, body: str, *, at: dt.datetime) -> NoteSignature:
        """The cosignature line over checkpoint note ``body`` at time ``at`` (aware)."""
        if at.tzinfo is None:
            raise ValueError("at must be an aware datetime")
        timestamp = int(at.timestamp())
        sig = self._key.sign(message(body, timestamp))
        return NoteSignature(self.name, self.verifier.key_id, struct.pack(">Q", timestamp) + sig)


def cosigned_by(note: bytes | SignedNote, verifiers: Iterable[CosignatureVerifier]) -> tuple[Cosignature, ...]:
    """The valid cosignatures on ``note`` by the given witnesses (others are ignored, as the spec asks).

    A line that claims to be by a known witness but does not verify raises :class:`CheckpointError`.
    """
    parsed = note if isinstance(note, SignedNote) else SignedNote.from_bytes(note)
    found: dict[str, Cosignature] = {}
    known: Sequence[CosignatureVerifier] = list(verifiers)
    for sig in parsed.signatures:
        for v in known:
            got = v.verify(parsed.text, sig)
            if got is not None:
                found[got.witness] = got
    return tuple(found.values())
