"""The key store interface: where private keys live and how they are used.

Implementations: :class:`esign.pki.keystore.file.FileKeyStore` (encrypted PKCS#8 files),
:class:`esign.pki.keystore.memory.MemoryKeyStore` (in-process, for tests) and, for seal keys,
:class:`esign.pki.keystore.pkcs11.Pkcs11KeyStore` (a hardware module or SoftHSM2: a
:class:`TokenKeyStore`, whose keys sign where they are and are never exported).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from esign.errors import ConflictError, InputError
from esign.pki.keys import KeyAlgorithm, PrivateKey, PublicKey

if TYPE_CHECKING:
    from cryptography import x509
    from pyhanko.sign.signers import Signer

__all__ = ["KeyStore", "TokenKeyStore", "key_exists", "validate_key_id"]

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


def key_exists(key_id: str) -> ConflictError:
    """The error for a key id that is taken: keys are never overwritten."""
    return ConflictError(
        f"密钥 {key_id} 已存在，不会覆盖。",
        f"Key {key_id!r} already exists; keys are never overwritten.",
        code="key_exists",
        key_id=key_id,
    )


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

    def discard(self, key_id: str) -> None:
        """Remove a key that was just generated and never certified (its certificate could not be
        made); nothing happens if there is none. Never called for a key in use."""
        ...


@runtime_checkable
class TokenKeyStore(KeyStore, Protocol):
    """A key store whose private keys cannot leave it (a PKCS#11 token): it signs itself."""

    def signer(self, key_id: str, certificate: x509.Certificate, chain: tuple[x509.Certificate, ...]) -> Signer:
        """A pyHanko signer that signs with ``key_id`` for ``certificate`` (``chain``: issuing CA, root)."""
        ...
