"""Signed checkpoints: C2SP signed notes (c2sp.org/signed-note) over tlog checkpoints.

A checkpoint body is ``origin\\nsize\\nbase64(root)\\n`` (c2sp.org/tlog-checkpoint); the signed
note appends a blank line and one line per signature, ``— name base64(key_id || signature)``,
where for Ed25519 ``key_id = SHA-256(name || 0x0A || 0x01 || public_key)[:4]``. Verifier keys are
exchanged as ``name+hex(key_id)+base64(0x01 || public_key)``, the format of Go's
``golang.org/x/mod/sumdb/note``, so the checkpoints can be checked with standard tooling.

:func:`open_checkpoint` verifies; it ignores signatures by unknown keys (as the spec requires),
refuses the note if a signature by the known key fails, and refuses it if none verifies.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from esign.ledger.errors import CheckpointError
from esign.ledger.merkle import HASH_SIZE

__all__ = [
    "Checkpoint",
    "Ed25519NoteSigner",
    "NoteSignature",
    "NoteVerifier",
    "SignedNote",
    "open_checkpoint",
    "sign_checkpoint",
]

_ALG_ED25519 = 0x01
_MAX_SIGNATURES = 100
_DASH = "\u2014 "
_NAME = re.compile(r"[^\s+]+")


def _b64decode(s: str) -> bytes:
    try:
        out = base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError) as e:
        raise CheckpointError("base64 编码错误", "malformed base64") from e
    if base64.b64encode(out).decode() != s:
        raise CheckpointError("base64 编码不规范", "non-canonical base64")
    return out


def _key_id(name: str, alg: int, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public_key).digest()[:4]


def _check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise CheckpointError("密钥名称不合法", "key name must be non-empty without spaces or '+'")
    return name


class NoteVerifier:
    """An Ed25519 note verifier key: a name and a public key."""

    def __init__(self, name: str, public_key: Ed25519PublicKey) -> None:
        self.name = _check_name(name)
        self.public_key = public_key
        self._raw = public_key.public_bytes_raw()
        self.key_id = _key_id(name, _ALG_ED25519, self._raw)

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteVerifier:
        """Parse ``name+hash+base64(0x01 || pubkey)``; the hash must match the key."""
        parts = vkey.split("+", 2)
        if len(parts) != 3 or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
            raise CheckpointError("验证密钥格式错误", "verifier key must be name+hash+key")
        name, key_hash, key_b64 = parts
        key = _b64decode(key_b64)
        if len(key) != 33 or key[0] != _ALG_ED25519:
            raise CheckpointError("验证密钥不是 Ed25519 密钥", "verifier key is not an Ed25519 key")
        verifier = cls(name, Ed25519PublicKey.from_public_bytes(key[1:]))
        if verifier.key_id.hex() != key_hash:
            raise CheckpointError("验证密钥哈希不符", "verifier key hash does not match the key")
        return verifier

    @property
    def vkey(self) -> str:
        """The verifier key string, to publish."""
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(bytes([_ALG_ED25519]) + self._raw).decode()}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        """True when ``signature`` is this key's Ed25519 signature of ``message``."""
        try:
            self.public_key.verify(signature, message)
        except InvalidSignature:
            return False
        return True


class Ed25519NoteSigner:
    """Signs notes with an Ed25519 private key under a key name (the log's origin)."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.verifier = NoteVerifier(name, private_key.public_key())
        self.name = self.verifier.name
        self.key_id = self.verifier.key_id

    @classmethod
    def from_skey(cls, skey: str) -> Ed25519NoteSigner:
        """Parse Go's ``PRIVATE+KEY+name+hash+base64(0x01 || seed)`` (for interoperability tests)."""
        parts = skey.split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise CheckpointError("签名密钥格式错误", "signer key must be PRIVATE+KEY+name+hash+key")
        key = _b64decode(parts[4])
        if len(key) != 33 or key[0] != _ALG_ED25519:
            raise CheckpointError("签名密钥不是 Ed25519 密钥", "signer key is not an Ed25519 key")
        signer = cls(parts[2], Ed25519PrivateKey.from_private_bytes(key[1:]))
        if signer.key_id.hex() != parts[3]:
            raise CheckpointError("签名密钥哈希不符", "signer key hash does not match the key")
        return signer

    def sign(self, message: bytes) -> bytes:
        """The raw Ed25519 signature of ``message``."""
        return self._key.sign(message)


@dataclass(frozen=True)
class NoteSignature:
    """One signature line of a signed note."""

    name: str
    """Key name."""
    key_id: bytes
    """The 4-byte key ID."""
    signature: bytes
    """The signature bytes after the key ID."""

    def line(self) -> str:
        """The signature line without its newline."""
        return f"{_DASH}{self.name} {base64.b64encode(self.key_id + self.signature).decode()}"


@dataclass(frozen=True)
class SignedNote:
    """A note text (ending in a newline) and its signatures. Parsing checks syntax, not signatures."""

    text: str
    """The signed text, including its final newline."""
    signatures: tuple[NoteSignature, ...]
    """Signature lines, in order."""

    def __post_init__(self) -> None:
        if not self.text.endswith("\n") or any(ch < " " and ch != "\n" for ch in self.text):
            raise CheckpointError("签名注记格式错误", "note text must end in a newline and have no controls")
        if not 1 <= len(self.signatures) <= _MAX_SIGNATURES:
            raise CheckpointError("签名数量不合法", "a note carries 1 to 100 signatures")

    def to_bytes(self) -> bytes:
        """The note as transmitted."""
        return (self.text + "\n" + "".join(s.line() + "\n" for s in self.signatures)).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> SignedNote:
        """Parse a signed note (syntax only)."""
        try:
            s = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise CheckpointError("签名注记不是 UTF-8", "note is not UTF-8") from e
        split = s.rfind("\n\n")
        if split < 0 or not s.endswith("\n"):
            raise CheckpointError("签名注记格式错误", "malformed note")
        text, sig_block = s[: split + 1], s[split + 2 :]
        sigs = []
        for line in sig_block[:-1].split("\n"):
            if not line.startswith(_DASH):
                raise CheckpointError("签名行格式错误", "malformed signature line")
            name, sep, b64 = line[len(_DASH) :].partition(" ")
            if not sep or " " in b64:
                raise CheckpointError("签名行格式错误", "malformed signature line")
            raw = _b64decode(b64)
            if len(raw) < 5:
                raise CheckpointError("签名过短", "signature too short")
            sigs.append(NoteSignature(_check_name(name), raw[:4], raw[4:]))
        return cls(text, tuple(sigs))

    @classmethod
    def sign(cls, text: str, signer: Ed25519NoteSigner) -> SignedNote:
        """Sign ``text`` with ``signer``."""
        sig = NoteSignature(signer.name, signer.key_id, signer.sign(text.encode()))
        return cls(text, (sig,))

    def verified_text(self, verifier: NoteVerifier) -> str:
        """The text, if a signature by ``verifier`` is present and every one by it verifies."""
        mine = [s for s in self.signatures if s.name == verifier.name and s.key_id == verifier.key_id]
        if not mine:
            raise CheckpointError("没有可验证的签名", f"no signature by {verifier.name}")
        for s in mine:
            if not verifier.verify(self.text.encode(), s.signature):
                raise CheckpointError("签名无效", f"invalid signature by {verifier.name}")
        return self.text


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: which log, how many entries, and the Merkle root."""

    origin: str
    """The log's identity, e.g. ``esign.example.gov.cn/ledger``."""
    size: int
    """Number of entries covered."""
    root_hash: bytes
    """RFC 6962 root of the first ``size`` entries."""

    def __post_init__(self) -> None:
        if not self.origin or any(ch.isspace() or ch == "+" for ch in self.origin):
            raise CheckpointError("日志标识不合法", "origin must be non-empty without spaces or '+'")
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 0:
            raise CheckpointError("日志大小不合法", "size must be a non-negative integer")
        if len(self.root_hash) != HASH_SIZE:
            raise CheckpointError("根哈希长度错误", "root hash must be 32 bytes")

    def body(self) -> str:
        """The note text ``origin\\nsize\\nbase64(root)\\n``."""
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root_hash).decode()}\n"

    @classmethod
    def from_body(cls, text: str) -> Checkpoint:
        """Parse a checkpoint note text. Extension lines are refused (esign never writes any)."""
        lines = text.split("\n")
        if len(lines) != 4 or lines[3] != "":
            raise CheckpointError("检查点格式错误", "checkpoint must be exactly origin, size and root")
        origin, size, root = lines[:3]
        if not re.fullmatch(r"0|[1-9][0-9]{0,18}", size):
            raise CheckpointError("检查点大小格式错误", "checkpoint size is not a canonical decimal")
        return cls(origin, int(size), _b64decode(root))


def sign_checkpoint(checkpoint: Checkpoint, signer: Ed25519NoteSigner) -> bytes:
    """The signed note of ``checkpoint``. The key name must be the origin (as c2sp recommends)."""
    if signer.name != checkpoint.origin:
        raise CheckpointError("签名密钥名称须与日志标识一致", "signer name must equal the checkpoint origin")
    return SignedNote.sign(checkpoint.body(), signer).to_bytes()


def open_checkpoint(note: bytes, verifier: NoteVerifier, *, origin: str | None = None) -> Checkpoint:
    """Verify a signed checkpoint and return it.

    Checks the note syntax, the signature by ``verifier`` and that the origin is ``origin``
    (default: the verifier's name). Does not check the root against any log: use
    :func:`esign.ledger.merkle.verify_inclusion` / ``verify_consistency`` for that.
    """
    cp = Checkpoint.from_body(SignedNote.from_bytes(note).verified_text(verifier))
    want = verifier.name if origin is None else origin
    if cp.origin != want:
        raise CheckpointError("检查点来自其他日志", f"checkpoint origin {cp.origin!r} is not {want!r}")
    return cp
