"""Private keys as passphrase-encrypted PKCS#8 PEM files, one per key id, mode 0600."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from esign.errors import ConfigError, InputError, NotFoundError
from esign.pki.keys import KeyAlgorithm, PrivateKey, PublicKey, algorithm_of, generate_private_key
from esign.pki.keystore.api import key_exists, validate_key_id

__all__ = ["FileKeyStore", "write_secret_file"]

_SUFFIX = ".key.pem"


class FileKeyStore:
    """Keys in ``directory/<key_id>.key.pem``, encrypted with ``passphrase`` (PKCS#8, best available cipher).

    Guarantees: a key is never written unencrypted, never overwritten, and its file is created with
    mode 0600 (no window in which another user could read it). Loading refuses unencrypted files.
    """

    def __init__(self, directory: str | os.PathLike[str], *, passphrase: bytes) -> None:
        if not isinstance(passphrase, bytes) or not passphrase:
            raise ConfigError("密钥口令不能为空。", "The key passphrase must be non-empty bytes.", code="no_passphrase")
        self._dir = Path(directory)
        self._passphrase = passphrase

    @property
    def directory(self) -> Path:
        """Where the key files are."""
        return self._dir

    def __repr__(self) -> str:
        return f"FileKeyStore({str(self._dir)!r})"

    def _path(self, key_id: str) -> Path:
        return self._dir / (validate_key_id(key_id) + _SUFFIX)

    def exists(self, key_id: str) -> bool:
        """Whether ``key_id`` has a key file."""
        return self._path(key_id).exists()

    def generate(self, key_id: str, algorithm: KeyAlgorithm = KeyAlgorithm.EC_P256) -> PublicKey:
        """Create, encrypt and store a new key; refuses an existing ``key_id``."""
        key = generate_private_key(algorithm)
        self.import_private(key_id, key)
        return key.public_key()

    def import_private(self, key_id: str, key: PrivateKey) -> None:
        """Store an existing private key under ``key_id`` (encrypted, 0600); refuses an existing id."""
        algorithm_of(key)  # refuse key types esign cannot sign with
        path = self._path(key_id)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self._passphrase),
        )
        write_secret_file(self._dir, key_id, path, pem)

    def discard(self, key_id: str) -> None:
        """Remove the key file ``key_id`` (a key generated for a certificate that was never made)."""
        self._path(key_id).unlink(missing_ok=True)
        _fsync_dir(self._dir)

    def load_private(self, key_id: str) -> PrivateKey:
        """Decrypt and return the key; a wrong passphrase raises :class:`esign.errors.ConfigError`."""
        path = self._path(key_id)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise NotFoundError(
                f"未找到密钥 {key_id}。", f"No key {key_id!r} in {self._dir}.", code="key_not_found", key_id=key_id
            ) from None
        try:
            key = serialization.load_pem_private_key(data, password=self._passphrase)
        except TypeError as e:
            # cryptography raises TypeError for a key file that is not encrypted at all.
            raise ConfigError(
                f"密钥文件 {key_id} 未加密，拒绝使用。",
                f"Key file {path} is not encrypted; refusing to use it.",
                code="unencrypted_key",
                key_id=key_id,
            ) from e
        except ValueError as e:
            raise ConfigError(
                f"无法解密密钥 {key_id}：口令错误或文件已损坏。",
                f"Cannot decrypt key {key_id!r}: wrong passphrase or damaged file.",
                code="wrong_passphrase",
                key_id=key_id,
            ) from e
        try:
            algorithm_of(key)  # type: ignore[arg-type]
        except InputError as e:
            raise ConfigError(
                f"密钥 {key_id} 的类型不受支持。", f"Key {key_id!r} has an unsupported type.", code="bad_key"
            ) from e
        return key  # type: ignore[return-value]


def write_secret_file(directory: Path, key_id: str, path: Path, data: bytes) -> None:
    """Create ``path`` (in ``directory``) holding ``data``, mode 0600, atomically; refuses an existing file."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.exists():
        raise key_exists(key_id)
    tmp = directory / f".{key_id}.{secrets.token_hex(8)}.tmp"
    # O_EXCL + 0600 at creation: the file is never readable by others, not even briefly.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        # link() fails if the target exists, unlike rename(): two concurrent generators
        # cannot overwrite each other's key.
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise key_exists(key_id) from None
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(directory)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
