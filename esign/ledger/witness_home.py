"""A witness's data directory: its encrypted Ed25519 key, its name and its own store.

Layout: ``keys/witness.key.pem`` (encrypted PKCS#8 via :class:`esign.pki.keystore.file.FileKeyStore`,
never written in clear), ``witness.vkey`` (the published ``cosignature/v1`` key) and ``witness.db``
(:class:`esign.ledger.witness.WitnessStore`). It shares nothing with the county's data home: a
department runs it on its own machine, so the county's database administrator cannot reach it.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from esign.errors import ConfigError
from esign.ledger.cosign import CosignatureVerifier, Cosigner
from esign.ledger.witness import Witness, WitnessStore
from esign.pki.keystore.file import FileKeyStore

__all__ = ["init_witness", "open_witness"]

_KEY_ID = "witness"
_VKEY = "witness.vkey"


def _keystore(directory: Path, passphrase: bytes) -> FileKeyStore:
    return FileKeyStore(directory / "keys", passphrase=passphrase)


def init_witness(directory: Path, name: str, *, passphrase: bytes) -> CosignatureVerifier:
    """Create a witness in ``directory``: a new key, its vkey file and an empty store."""
    from esign.pki.keys import KeyAlgorithm

    directory.mkdir(parents=True, exist_ok=True)
    if (directory / _VKEY).exists():
        raise ConfigError("该目录已有见证人", f"{directory} already holds a witness", code="witness_exists")
    CosignatureVerifier(name, Ed25519PrivateKey.generate().public_key())  # checks the name first
    store = _keystore(directory, passphrase)
    store.generate(_KEY_ID, KeyAlgorithm.ED25519)
    key = store.load_private(_KEY_ID)
    assert isinstance(key, Ed25519PrivateKey)
    verifier = Cosigner(name, key).verifier
    (directory / _VKEY).write_text(verifier.vkey + "\n", encoding="utf-8")
    WitnessStore(directory / "witness.db")
    return verifier


def open_witness(directory: Path, *, passphrase: bytes) -> Witness:
    """Open the witness in ``directory`` (its key must match its published vkey)."""
    vkey_file = directory / _VKEY
    if not vkey_file.exists():
        raise ConfigError(
            "该目录没有见证人，请先运行 esign witness init", f"no witness in {directory}", code="no_witness"
        )
    verifier = CosignatureVerifier.from_vkey(vkey_file.read_text(encoding="utf-8"))
    key = _keystore(directory, passphrase).load_private(_KEY_ID)
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError("见证人密钥不是 Ed25519", "the witness key is not Ed25519", code="witness_key")
    cosigner = Cosigner(verifier.name, key)
    if cosigner.verifier.vkey != verifier.vkey:
        raise ConfigError(
            "见证人密钥与公布的公钥不符", "the witness key does not match witness.vkey", code="witness_key"
        )
    return Witness(cosigner, WitnessStore(directory / "witness.db"))
