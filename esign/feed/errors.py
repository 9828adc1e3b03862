"""Errors of the department feed; each carries a code, a Chinese and an English message."""

from __future__ import annotations

from esign.errors import AuthError, ConfigError

__all__ = ["SecretBoxError", "WebhookSignatureError"]


class WebhookSignatureError(AuthError):
    """A received webhook's signature is missing, wrong, or its timestamp is stale (replay)."""

    default_code = "webhook_signature_invalid"


class SecretBoxError(ConfigError):
    """A stored webhook secret cannot be decrypted (wrong key passphrase or damaged row)."""

    default_code = "feed_secret_unreadable"
