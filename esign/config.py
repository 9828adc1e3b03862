"""Deployment settings (pydantic-settings): the data home, the database, the public URL, secrets.

Every setting can come from the environment with the ``ESIGN_`` prefix (``ESIGN_HOME``,
``ESIGN_DATABASE_URL``, ``ESIGN_KEY_PASSPHRASE`` ...). Secrets have no default in production mode:
:meth:`Settings.key_passphrase_bytes` refuses to run without one.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from esign.errors import ConfigError

__all__ = ["Settings"]

_log = logging.getLogger(__name__)

_DEV_PASSPHRASE_FILE = "dev-passphrase"  # noqa: S105 - a file name, not a secret


class Settings(BaseSettings):
    """Where esign keeps its data and how it presents itself."""

    model_config = SettingsConfigDict(env_prefix="ESIGN_", frozen=True, extra="ignore")

    home: Path = Field(default=Path("."), description="Data home: keys/, certs/, esign.db, stamped/.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default SQLite at HOME/esign.db. postgresql://... for PostgreSQL."
    )
    mode: Literal["development", "production"] = Field(
        default="development", description="production: no secret has a default."
    )
    key_passphrase: SecretStr | None = Field(
        default=None, description="Passphrase of the encrypted private keys in keys/."
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Base URL printed in certificates (CRL, OCSP, caIssuers) and QR codes.",
    )
    max_upload_bytes: int = Field(default=50 * 1024 * 1024, description="Largest PDF accepted, in bytes.")
    retention_days: int = Field(
        default=365, description="Days stamped and submitted files are kept for download (the register keeps hashes)."
    )
    public_rate_per_minute: int = Field(
        default=30,
        description="Public verification requests per client address and minute (counted in the database on "
        "PostgreSQL, so across hosts).",
    )
    document_store: Literal["auto", "folder", "database"] = Field(
        default="auto",
        description="Where stored PDFs live: the database (shared by several hosts), a folder "
        "(ESIGN_DOCUMENTS_DIR, may be a shared folder); auto: the database on PostgreSQL, else the folder.",
    )
    documents_dir: Path | None = Field(
        default=None, description="The documents folder (default HOME/documents); with the database store, its cache."
    )
    batch_threads: int = Field(
        default=2, ge=1, le=32, description="Threads per service process that stamp approved batches."
    )
    batch_lease_seconds: float = Field(
        default=300.0,
        gt=0,
        description="Seconds a batch document stays claimed by the host stamping it; a dead host's claims "
        "pass to another host after this.",
    )
    seal_keystore: Literal["file", "pkcs11"] = Field(
        default="file", description="Where new seal keys are made and used: keys/ (file) or a PKCS#11 token."
    )
    pkcs11_module: str = Field(
        default="/usr/lib/softhsm/libsofthsm2.so", description="The PKCS#11 library (the HSM vendor's, or SoftHSM2)."
    )
    pkcs11_token: str = Field(default="esign", description="Label of the PKCS#11 token that holds the seal keys.")
    pkcs11_pin: SecretStr | None = Field(default=None, description="User PIN of the token; no default.")
    timezone: str = Field(
        default="Asia/Shanghai",
        description="IANA zone of the times people read (pages, CLI), Beijing time by default; JSON keeps ISO 8601.",
    )
    checkpoint_interval: float = Field(
        default=5.0,
        ge=0,
        description="Seconds: the service signs a checkpoint of the usage register at most this long after "
        "an append, idle or not (0: no timer).",
    )
    work_threads: int = Field(
        default=0,
        ge=0,
        le=16,
        description="Documents in work at once per service process (verifying, stamping); 0: 1 on SQLite, 2 on "
        "a database server (PostgreSQL), whose round trips and commits leave a process waiting, when the service "
        "runs as one process; 1 in each of several (esign serve --workers N), where the processes overlap each "
        "other's waits and a second thread would only share the interpreter lock.",
    )
    ledger_witnesses: str = Field(
        default="",
        description="Witnesses that cosign the register's checkpoints: '<url> <vkey>' entries separated by ';'.",
    )
    witness_quorum: int = Field(
        default=1, ge=0, description="Cosignatures (k of the n witnesses) a checkpoint needs to count as witnessed."
    )

    @property
    def keys_dir(self) -> Path:
        """Private keys (encrypted PKCS#8, mode 0600)."""
        return self.home / "keys"

    @property
    def certs_dir(self) -> Path:
        """Published certificates and CRLs."""
        return self.home / "certs"

    @property
    def db_url(self) -> str:
        """The effective database URL."""
        if self.database_url:
            url = self.database_url
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url[len("postgresql://") :]
            return url
        return f"sqlite:///{(self.home / 'esign.db').resolve()}"

    @property
    def work_places(self) -> int:
        """Documents in work at once per service process: ``work_threads``, or by default 1 on SQLite and 2
        on a database server (see :mod:`service.work`)."""
        return self.work_threads or (1 if self.db_url.startswith("sqlite") else 2)

    @property
    def base_url(self) -> str:
        """``public_base_url`` without a trailing slash."""
        return self.public_base_url.rstrip("/")

    def key_passphrase_bytes(self, *, create: bool = False) -> bytes:
        """The key passphrase.

        In production mode it must be set (``ESIGN_KEY_PASSPHRASE``). In development mode, when it is
        not set, a random passphrase is kept in ``keys/dev-passphrase`` (0600) so that a demo works out
        of the box while keys are still never written unencrypted.
        """
        if self.key_passphrase is not None:
            value = self.key_passphrase.get_secret_value()
            if not value:
                raise ConfigError("密钥口令不能为空。", "The key passphrase must not be empty.", code="no_passphrase")
            return value.encode()
        if self.mode == "production":
            raise ConfigError(
                "生产模式下必须设置密钥口令 ESIGN_KEY_PASSPHRASE。",
                "ESIGN_KEY_PASSPHRASE must be set in production mode.",
                code="no_passphrase",
            )
        path = self.keys_dir / _DEV_PASSPHRASE_FILE
        if path.exists():
            return path.read_bytes().strip()
        if not create:
            raise ConfigError(
                "未找到密钥口令；请先运行 esign init 或设置 ESIGN_KEY_PASSPHRASE。",
                "No key passphrase: run `esign init` first or set ESIGN_KEY_PASSPHRASE.",
                code="no_passphrase",
            )
        _log.warning("development mode: keeping a random key passphrase in %s", path)
        self.keys_dir.mkdir(parents=True, exist_ok=True)
        value_b = secrets.token_urlsafe(32).encode()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(value_b)
        return value_b
