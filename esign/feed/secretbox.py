"""Webhook secrets at rest: AES-256-GCM under a key derived from the deployment's key passphrase.

Why encrypt and not hash: an HMAC secret must be usable to sign every delivery, so the service
needs the secret itself, not a digest of it. It is shown once when a subscription is made and
stored only as a sealed box: ``b"v1" || salt(16) || nonce(12) || ciphertext+tag``. The box key is
scrypt(passphrase, salt) (N=2^14, r=8, p=1), the same passphrase that protects the private keys in
``keys/``; so a copy of the database alone (a stolen backup, a read replica) reveals no secret,
and a backup restored with the same passphrase keeps working. The subscription id is bound in as
associated data, so a box cannot be moved to another subscription's row.

The alternative (Ed25519-signed webhooks with a published deployment key) would need no stored
secret, but departments asked for the usual shared-secret HMAC (what their gateways check).
"""

from __future__ import annotations

import functools
import secrets as _secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from esign.config import Settings
from esign.feed.errors import SecretBoxError

__all__ = ["SECRET_PREFIX", "SecretBox", "box_for", "new_webhook_secret"]

#: Printed in front of every webhook secret, so that one is recognisable in a config file.
SECRET_PREFIX = "whsec_"  # noqa: S105 - a public prefix, not a secret
_VERSION = b"v1"
_SALT, _NONCE = 16, 12


def new_webhook_secret() -> str:
    """A fresh webhook secret: 256 bits from :mod:`secrets`, URL-safe base64 with a prefix."""
    return SECRET_PREFIX + _secrets.token_urlsafe(32)


@functools.lru_cache(maxsize=256)
def _derive(passphrase: bytes, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=2**14, r=8, p=1).derive(passphrase)


class SecretBox:
    """Seals and opens webhook secrets with a passphrase-derived key."""

    def __init__(self, passphrase: bytes) -> None:
        if not passphrase:
            raise SecretBoxError("密钥口令不能为空。", "The key passphrase must not be empty.", code="no_passphrase")
        self._passphrase = passphrase

    def seal(self, secret: str, *, subscription_id: int) -> bytes:
        """Encrypt ``secret`` for the subscription ``subscription_id``."""
        salt, nonce = _secrets.token_bytes(_SALT), _secrets.token_bytes(_NONCE)
        key = _derive(self._passphrase, salt)
        return _VERSION + salt + nonce + AESGCM(key).encrypt(nonce, secret.encode(), _aad(subscription_id))

    def open(self, box: bytes, *, subscription_id: int) -> str:
        """Decrypt a box made by :meth:`seal` for the same subscription."""
        if not box.startswith(_VERSION) or len(box) < len(_VERSION) + _SALT + _NONCE + 16:
            raise SecretBoxError("订阅密钥记录已损坏。", "The stored webhook secret is damaged.")
        body = box[len(_VERSION) :]
        salt, nonce, sealed = body[:_SALT], body[_SALT : _SALT + _NONCE], body[_SALT + _NONCE :]
        try:
            plain = AESGCM(_derive(self._passphrase, salt)).decrypt(nonce, sealed, _aad(subscription_id))
        except InvalidTag as e:
            raise SecretBoxError(
                "无法解密订阅密钥（密钥口令不一致或记录被改动）。",
                "Cannot decrypt the webhook secret (different key passphrase or altered row).",
            ) from e
        return plain.decode()


def _aad(subscription_id: int) -> bytes:
    return f"esign-feed-secret/v1/subscription:{subscription_id}".encode()


def box_for(settings: Settings) -> SecretBox:
    """The secret box of a deployment: keyed by its key passphrase (``ESIGN_KEY_PASSPHRASE`` or the dev file)."""
    return SecretBox(settings.key_passphrase_bytes())
