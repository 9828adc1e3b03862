"""One deployment's open resources: settings, database, key store and county PKI.

The CLI and the service both start from :class:`Deployment`; nothing here reads the clock.
Keys are read-only after ``esign init`` and shared by every worker through the data home;
everything that changes lives in the database, so several workers (and hosts) can serve at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from esign.config import Settings
from esign.db import (
    make_engine,
    make_read_session_factory,
    make_session_factory,
    migrate,
    one_statement_read,
    session_scope,
)
from esign.errors import ConfigError

if TYPE_CHECKING:
    from esign.ledger import Ed25519NoteSigner, NoteVerifier
    from esign.ledger.cosigning import WitnessConfig
    from esign.pki.ca import CountyPKI
    from esign.pki.keystore.api import KeyStore
    from esign.pki.keystore.file import FileKeyStore
    from esign.pki.keystore.sm2 import Sm2KeyStore
    from esign.pki.seal_issuer import SealDataMaker, SealIssuer
    from esign.pki.sm2_ca import Sm2CountyPKI
    from esign.pki.sm2_tsa import Sm2TimeStamper

__all__ = ["Deployment"]


class Deployment:
    """Lazily opened resources of one data home. Create one per process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @classmethod
    def open(cls, settings: Settings | None = None, *, migrate_db: bool = True) -> Deployment:
        """Open the deployment described by ``settings`` (environment by default), migrating the schema."""
        dep = cls(settings or Settings())
        if migrate_db:
            dep.settings.home.mkdir(parents=True, exist_ok=True)
            migrate(dep.engine)
        return dep

    @cached_property
    def engine(self) -> Engine:
        """The database engine."""
        return make_engine(self.settings.db_url)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        """Session factory."""
        return make_session_factory(self.engine)

    @cached_property
    def read_sessions(self) -> sessionmaker[Session]:
        """Session factory for transactions that only read (:func:`esign.db.make_read_session_factory`)."""
        return make_read_session_factory(self.engine)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One database transaction, committed on success and rolled back on error."""
        with session_scope(self.sessions) as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """One transaction that only reads: on SQLite it sees the last commit without waiting for a
        writer or holding one off, and a write in it fails (``PRAGMA query_only``)."""
        with session_scope(self.read_sessions) as session:
            yield session

    @contextmanager
    def one_read(self) -> Iterator[Session]:
        """:meth:`reading` for a read of one statement: on PostgreSQL it runs outside any transaction, one
        round trip where BEGIN, the statement and COMMIT are three (:func:`esign.db.one_statement_read`)."""
        with one_statement_read(self.engine) as conn, Session(bind=conn, expire_on_commit=False) as session:
            yield session

    @cached_property
    def keystore(self) -> FileKeyStore:
        """The file key store in ``HOME/keys`` (encrypted PKCS#8)."""
        from esign.pki.keystore.file import FileKeyStore

        return FileKeyStore(self.settings.keys_dir, passphrase=self.settings.key_passphrase_bytes())

    @cached_property
    def seal_keys(self) -> KeyStore:
        """Where seal keys are made and used: the file store, or a PKCS#11 token
        (``ESIGN_SEAL_KEYSTORE=pkcs11``, with ``ESIGN_PKCS11_MODULE``, ``_TOKEN`` and ``_PIN``)."""
        if self.settings.seal_keystore == "file":
            return self.keystore
        try:
            from esign.pki.keystore.pkcs11 import Pkcs11KeyStore
        except ImportError as exc:  # pragma: no cover - dev.sh installs the extra
            raise ConfigError(
                "使用 PKCS#11 需要安装 python-pkcs11（pip install 'esign[pkcs11]'）。",
                "PKCS#11 needs python-pkcs11: pip install 'esign[pkcs11]'.",
                code="pkcs11_unavailable",
            ) from exc
        pin = self.settings.pkcs11_pin.get_secret_value() if self.settings.pkcs11_pin is not None else ""
        return Pkcs11KeyStore(self.settings.pkcs11_module, self.settings.pkcs11_token, pin)

    @property
    def has_pki(self) -> bool:
        """Whether ``esign init`` has created the county PKI in this home."""
        return (self.settings.certs_dir / "root.crt").exists()

    @cached_property
    def pki(self) -> CountyPKI:
        """The county PKI of this home; a clear error when ``esign init`` has not run yet."""
        from esign.pki.ca import CountyPKI

        if not self.has_pki:
            raise ConfigError(
                "本数据目录尚未初始化县级电子印章证书体系，请先运行 esign init 或 esign demo。",
                "No county PKI in this data home: run `esign init` or `esign demo` first.",
                code="pki_not_initialized",
            )
        return CountyPKI.load(self.keystore, self.settings.certs_dir)

    @cached_property
    def sm2_keys(self) -> Sm2KeyStore:
        """Where SM2 keys live: encrypted PKCS#8 in ``HOME/keys/sm2`` (an SDF/SKF module could take its place)."""
        from esign.pki.keystore.sm2 import FileSm2KeyStore

        return FileSm2KeyStore(self.settings.keys_dir / "sm2", passphrase=self.settings.key_passphrase_bytes())

    @property
    def has_sm2_pki(self) -> bool:
        """Whether this home has the SM2 hierarchy (``esign init``, or ``esign pki sm2-init`` for older homes)."""
        from esign.pki.sm2_ca import Sm2CountyPKI

        return Sm2CountyPKI.exists_in(self.settings.certs_dir)

    @cached_property
    def sm2_pki(self) -> Sm2CountyPKI:
        """The SM2 county PKI; a clear error when this home has none yet."""
        from esign.pki.sm2_ca import Sm2CountyPKI

        return Sm2CountyPKI.load(self.sm2_keys, self.settings.certs_dir)

    @property
    def seal_data_maker(self) -> SealDataMaker | None:
        """Makes GB/T 38540 seal data for a seal's SM2 certificate, signed by the maker (None without an SM2 PKI)."""
        if not self.has_sm2_pki:
            return None
        from esign.ses.county_seal import CountySealDataMaker

        return CountySealDataMaker(self.sm2_pki.maker, self.sm2_pki.maker_signer)

    def sm2_timestamper(self, clock: Callable[[], dt.datetime]) -> Sm2TimeStamper:
        """The SM2 TSA in process (what :func:`esign.ses.sign` takes as ``timestamper``): serials and
        genTime from the store, each in its own committed transaction, as at ``/pki/sm2/tsa``."""
        from esign.pki import store
        from esign.pki.sm2_tsa import Sm2TimeStamper

        def next_serial_and_time(at: dt.datetime) -> tuple[int, dt.datetime]:
            with self.transaction() as session:
                return store.tsa_next(session, at)

        return Sm2TimeStamper(self.sm2_pki.timestamp_authority(), next_serial_and_time, clock)

    @cached_property
    def seal_ca(self) -> SealIssuer:
        """Issues and revokes seal certificates for the registry (ECDSA, and SM2 with seal data when
        the home has an SM2 PKI)."""
        from esign.pki.keys import algorithm_of
        from esign.pki.seal_issuer import NationalSealIssuer, SealIssuer

        national = None
        if self.has_sm2_pki:
            national = NationalSealIssuer(self.sm2_pki, self.sm2_keys, self.seal_data_maker)
        return SealIssuer(self.pki, self.seal_keys, algorithm=algorithm_of(self.pki.issuing_key), national=national)

    @cached_property
    def ledger_verifier(self) -> NoteVerifier:
        """The published key that checks the usage register's checkpoints (``certs/ledger.vkey``)."""
        from esign.ledger import NoteVerifier

        path = self.settings.certs_dir / "ledger.vkey"
        if not path.exists():
            raise ConfigError(
                "未找到用印登记台账的验证公钥，请先运行 esign init。",
                "No usage-register key (certs/ledger.vkey): run `esign init` first.",
                code="pki_not_initialized",
            )
        return NoteVerifier.from_vkey(path.read_text(encoding="utf-8").strip())

    @cached_property
    def ledger_signer(self) -> Ed25519NoteSigner:
        """The reform office's checkpoint signer (key ``ledger`` in the key store)."""
        from esign.ledger import Ed25519NoteSigner

        key = self.keystore.load_private("ledger")
        signer = Ed25519NoteSigner(self.ledger_verifier.name, key)  # type: ignore[arg-type]
        if signer.verifier.vkey != self.ledger_verifier.vkey:
            raise ConfigError(
                "台账签名密钥与公布的公钥不一致。",
                "The ledger key does not match certs/ledger.vkey.",
                code="ledger_key_mismatch",
            )
        return signer

    def close(self) -> None:
        """Release database connections."""
        if "engine" in self.__dict__:
            self.engine.dispose()

    @cached_property
    def witnesses(self) -> tuple[WitnessConfig, ...]:
        """The witnesses asked to cosign checkpoints (``ESIGN_LEDGER_WITNESSES``)."""
        from esign.ledger.cosigning import WitnessConfig

        return tuple(WitnessConfig.parse(w) for w in self.settings.ledger_witnesses.split(";") if w.strip())
