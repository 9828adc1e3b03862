"""The key store interface: where private keys live and how they are used.

Implementations: :class:`esign.pki.keystore.file.FileKeyStore` (encrypted PKCS#8 files) and
:class:`esign.pki.keystore.memory.MemoryKeyStore` (in-process, for tests). A PKCS#11 store (SoftHSM2,
a hardware module) fits the same protocol.
"""

from __future__ import annotations

import re
from typing import Protocol, runtime_checkable

from esign.errors import InputError
from esign.pki.keys import KeyAlgorithm, PrivateKey, PublicKey

__all__ = ["KeyStore", "validate_key_id"]

# Key ids become file names (and PKCS#11 labels): no separators, no leading dot, bounded length.
_KEY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def validate_key_id(key_id: str) -> str:
    """Return ``key_id`` if it is a safe name (letters, digits, ``.``, ``_``, ``-``; 1-128 chars)."""
    if not isinstance(key_id, str) or not _KEY_ID.fullmatch(key_id):
        raise InputError(
            "密钥标识只能包含字母、数字、点、下划线和连字符，且不能以符号开头。",
            "A key id may contain only letters, digits, '.', '_' and '-' and must start with a letter or digit.",
            code="invalid_key_id",
            field="key_id",
        )
    return key_id


@runtime_checkable
class KeyStore(Protocol):
    """Creates and hands out private keys by id. Ids are validated with :func:`validate_key_id`."""

    def generate(self, key_id: str, algorithm: KeyAlgorithm = KeyAlgorithm.EC_P256) -> PublicKey:
        """Create a new key under ``key_id`` and return its public key.

        Raises :class:`esign.errors.ConflictError` if ``key_id`` exists: keys are never overwritten.
        """
        ...

    def load_private(self, key_id: str) -> PrivateKey:
        """The private key ``key_id``; :class:`esign.errors.NotFoundError` if there is none."""
        ...

    def exists(self, key_id: str) -> bool:
        """Whether a key ``key_id`` exists."""
        ...
