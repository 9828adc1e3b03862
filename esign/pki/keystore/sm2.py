"""Where SM2 private keys live: the :class:`Sm2KeyStore` interface and its file implementation.

SoftHSM2 and python-pkcs11 have no SM2, and Chinese cryptographic modules do not speak PKCS#11 for
it: they offer the SDF interface (GM/T 0018, 密码设备应用接口, e.g. ``SDF_InternalSign_ECC`` with
an internal key index) or SKF (GM/T 0016, smart keys). So the interface here never hands a private
key out: a store creates a key under an id, returns its public key, and signs with it
(:meth:`Sm2KeyStore.signer`). An SDF/SKF adapter fills the same four methods: ``generate`` maps to
``SDF_GenerateKeyPair_ECC`` + storing at a key index (or importing under the device's key
management), ``public_key`` to ``SDF_ExportSignPublicKey_ECC``, ``signer(...).sign`` to computing
Z||M with SM3 (GB/T 32918.2 §6.1, user ID ``1234567812345678`` per GB/T 35276) and
``SDF_InternalSign_ECC`` on the digest.

:class:`FileSm2KeyStore` keeps each key as encrypted PKCS#8 (readable by ``openssl pkey``) in
``HOME/keys/sm2/<id>.key.pem``, mode 0600, with the deployment's key passphrase, exactly like the
ECDSA keys in :class:`esign.pki.keystore.file.FileKeyStore`: never unencrypted, never overwritten.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Protocol, runtime_checkable

from esign.errors import ConfigError, NotFoundError
from esign.pki.keystore.api import validate_key_id
from esign.pki.keystore.file import write_secret_file
from esign.pki.sm2 import DEFAULT_USER_ID, Sm2PrivateKey, Sm2PublicKey

__all__ = ["FileSm2KeyStore", "Sm2KeyStore", "Sm2Signer"]

_SUFFIX = ".key.pem"


@runtime_checkable
class Sm2Signer(Protocol):
    """One SM2 key that signs where it lives (:class:`esign.pki.sm2.Sm2PrivateKey` is one)."""

    def public_key(self) -> Sm2PublicKey:
        """Its public key."""
        ...

    def sign(self, data: bytes, *, user_id: bytes = DEFAULT_USER_ID) -> bytes:
        """SM2 signature (with SM3 over Z||data, GB/T 32918.2) as DER SEQUENCE {r, s}."""
        ...


@runtime_checkable
class Sm2KeyStore(Protocol):
    """Creates SM2 keys by id and signs with them; private keys never leave it."""

    def generate(self, key_id: str) -> Sm2PublicKey:
        """Create a key under ``key_id``; :class:`esign.errors.ConflictError` if the id exists."""
        ...

    def exists(self, key_id: str) -> bool:
        """Whether ``key_id`` exists."""
        ...

    def discard(self, key_id: str) -> None:
        """Remove a key just generated for a certificate that could not be made (no-op if absent)."""
        ...

    def public_key(self, key_id: str) -> Sm2PublicKey:
        """The public key of ``key_id``; :class:`esign.errors.NotFoundError` if there is none."""
        ...

    def signer(self, key_id: str) -> Sm2Signer:
        """A signer for ``key_id`` (may be kept and used from several threads)."""
        ...


class FileSm2KeyStore:
    """SM2 keys as passphrase-encrypted PKCS#8 files in ``directory`` (``HOME/keys/sm2``), mode 0600.

    Decrypted keys are cached per store object (decryption is deliberately slow).
    """

    def __init__(self, directory: str | os.PathLike[str], *, passphrase: bytes) -> None:
        if not isinstance(passphrase, bytes) or not passphrase:
            raise ConfigError("密钥口令不能为空。", "The key passphrase must be non-empty bytes.", code="no_passphrase")
        self._dir = Path(directory)
        self._passphrase = passphrase
        self._cache: dict[str, Sm2PrivateKey] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"FileSm2KeyStore({str(self._dir)!r})"

    @property
    def directory(self) -> Path:
        """Where the key files are."""
        return self._dir

    def _path(self, key_id: str) -> Path:
        return self._dir / (validate_key_id(key_id) + _SUFFIX)

    def exists(self, key_id: str) -> bool:
        """Whether ``key_id`` has a key file."""
        return self._path(key_id).exists()

    def generate(self, key_id: str) -> Sm2PublicKey:
        """Create, encrypt and store a new key; refuses an existing ``key_id``."""
        key = Sm2PrivateKey.generate()
        write_secret_file(self._dir, key_id, self._path(key_id), key.pkcs8_pem(self._passphrase))
        with self._lock:
            self._cache[key_id] = key
        return key.public_key()

    def discard(self, key_id: str) -> None:
        """Remove the key file ``key_id`` (a key generated for a certificate that was never made)."""
        with self._lock:
            self._cache.pop(key_id, None)
        self._path(key_id).unlink(missing_ok=True)

    def public_key(self, key_id: str) -> Sm2PublicKey:
        """The public key of ``key_id``."""
        return self.signer(key_id).public_key()

    def signer(self, key_id: str) -> Sm2Signer:
        """Decrypt ``key_id`` once and sign with it."""
        with self._lock:
            hit = self._cache.get(key_id)
        if hit is not None:
            return hit
        path = self._path(key_id)
        try:
            pem = path.read_bytes()
        except FileNotFoundError:
            raise NotFoundError(
                f"未找到密钥 {key_id}。", f"No SM2 key {key_id!r} in {self._dir}.", code="key_not_found", key_id=key_id
            ) from None
        if b"ENCRYPTED" not in pem.split(b"\n", 1)[0]:
            raise ConfigError(
                f"密钥文件 {key_id} 未加密，拒绝使用。",
                f"Key file {path} is not encrypted; refusing to use it.",
                code="unencrypted_key",
                key_id=key_id,
            )
        try:
            key = Sm2PrivateKey.from_pkcs8_pem(pem, self._passphrase)
        except ConfigError:
            raise
        except Exception as e:  # the primitive raises its own error class on a wrong passphrase
            raise ConfigError(
                f"无法解密密钥 {key_id}：口令错误或文件已损坏。",
                f"Cannot decrypt SM2 key {key_id!r}: wrong passphrase or damaged file.",
                code="wrong_passphrase",
                key_id=key_id,
            ) from e
        with self._lock:
            self._cache[key_id] = key
        return key
