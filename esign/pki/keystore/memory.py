"""An in-process key store: keys live in a dict. For tests and throw-away demos only."""

from __future__ import annotations

import threading

from esign.errors import NotFoundError
from esign.pki.keys import KeyAlgorithm, PrivateKey, PublicKey, algorithm_of, generate_private_key
from esign.pki.keystore.api import key_exists, validate_key_id

__all__ = ["MemoryKeyStore"]


class MemoryKeyStore:
    """A :class:`esign.pki.keystore.api.KeyStore` that keeps keys in memory (lost when the process ends)."""

    def __init__(self) -> None:
        self._keys: dict[str, PrivateKey] = {}
        self._lock = threading.Lock()

    def exists(self, key_id: str) -> bool:
        """Whether ``key_id`` is held."""
        return validate_key_id(key_id) in self._keys

    def generate(self, key_id: str, algorithm: KeyAlgorithm = KeyAlgorithm.EC_P256) -> PublicKey:
        """Create a key under ``key_id``; refuses an existing id."""
        key = generate_private_key(algorithm)
        self.import_private(key_id, key)
        return key.public_key()

    def import_private(self, key_id: str, key: PrivateKey) -> None:
        """Hold an existing key under ``key_id``; refuses an existing id."""
        algorithm_of(key)
        with self._lock:
            if validate_key_id(key_id) in self._keys:
                raise key_exists(key_id)
            self._keys[key_id] = key

    def discard(self, key_id: str) -> None:
        """Forget ``key_id`` (if held)."""
        with self._lock:
            self._keys.pop(validate_key_id(key_id), None)

    def load_private(self, key_id: str) -> PrivateKey:
        """The key ``key_id``."""
        try:
            return self._keys[validate_key_id(key_id)]
        except KeyError:
            raise NotFoundError(
                f"未找到密钥 {key_id}。", f"No key {key_id!r}.", code="key_not_found", key_id=key_id
            ) from None
