"""The one error root of esign.

Every error a user can see carries a stable ``code`` plus a Chinese and an English message. The
CLI turns them into exit codes and the service into HTTP statuses, each in exactly one place
(``esign.cli.main`` and ``service.errors``). Third-party errors are wrapped where they enter
(``raise ... from e``).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AuthError",
    "ConfigError",
    "ConflictError",
    "EsignError",
    "ForbiddenError",
    "InputError",
    "NotFoundError",
    "StateError",
    "TooComplexError",
    "TooLargeError",
    "TooManyAttemptsError",
]


class EsignError(Exception):
    """Base class: a stable machine code, a Chinese and an English message, optional field/data."""

    #: HTTP status the service answers with; the CLI maps the class to an exit code.
    http_status: int = 400
    #: Default code for the class; an instance may carry a more precise one.
    default_code: str = "esign_error"

    def __init__(
        self,
        message_zh: str,
        message_en: str,
        *,
        code: str | None = None,
        field: str | None = None,
        **data: Any,
    ) -> None:
        super().__init__(message_en)
        self.code = code or self.default_code
        self.message_zh = message_zh
        self.message_en = message_en
        self.field = field
        self.data = data

    def to_dict(self) -> dict[str, Any]:
        """The structured error model shared by the CLI's --json output and the HTTP API."""
        out: dict[str, Any] = {"code": self.code, "message_zh": self.message_zh, "message_en": self.message_en}
        if self.field is not None:
            out["field"] = self.field
        if self.data:
            out["data"] = {k: v if isinstance(v, int | float | bool | None) else str(v) for k, v in self.data.items()}
        return out

    def __str__(self) -> str:
        return f"[{self.code}] {self.message_zh} / {self.message_en}"


class InputError(EsignError):
    """The caller's input is malformed or outside what is allowed."""

    http_status = 400
    default_code = "invalid_input"


class TooLargeError(InputError):
    """An upload or input exceeds the configured size limit."""

    http_status = 413
    default_code = "too_large"


class TooComplexError(InputError):
    """A document within the size limit needs more work or memory than its budget allows
    (:mod:`esign.budget`): 422, the upload itself was fine but its content cannot be processed."""

    http_status = 422
    default_code = "too_complex"


class AuthError(EsignError):
    """No or invalid credentials."""

    http_status = 401
    default_code = "unauthenticated"


class TooManyAttemptsError(AuthError):
    """Too many failed sign-ins for this account or from this address; ``retry_after`` (seconds) in data."""

    http_status = 429
    default_code = "too_many_attempts"


class ForbiddenError(EsignError):
    """Authenticated, but this actor may not do this (role, township, seal state)."""

    http_status = 403
    default_code = "forbidden"


class NotFoundError(EsignError):
    """The named object does not exist (or is not visible to this actor)."""

    http_status = 404
    default_code = "not_found"


class ConflictError(EsignError):
    """The object already exists or a concurrent change won."""

    http_status = 409
    default_code = "conflict"


class StateError(EsignError):
    """The operation is not allowed in the object's current state (e.g. an illegal seal transition)."""

    http_status = 409
    default_code = "invalid_state"


class ConfigError(EsignError):
    """The deployment is not set up correctly (missing passphrase, missing font, no PKI yet)."""

    http_status = 503
    default_code = "not_configured"
