"""The per-process stamping engine: everything a stamp needs, prepared once and reused.

Per seal it keeps the signer and the seal artwork; per revocation epoch the validation data
(certificates and CRLs) embedded at B-LT. A revocation anywhere bumps the epoch in the shared
database, so no worker embeds stale data after a seal was revoked. The seal certificate's OCSP
answer is made per document, after it was signed: its thisUpdate is the first whole second at or
after the signature time-stamp's genTime (OCSP times have whole seconds), and its status is read
from the database then. Nothing here holds a database transaction while signing.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp as x509_ocsp
from sqlalchemy.orm import Session

from esign.appearance import SealSpec, qr_artwork, seal_artwork
from esign.appearance.artwork import Artwork
from esign.deployment import Deployment
from esign.errors import StateError
from esign.pki import store as pki_store
from esign.pki.crl import current_crl
from esign.pki.keystore.api import TokenKeyStore
from esign.pki.ocsp import OcspResponder
from esign.pki.timestamper import InProcessTimeStamper
from esign.pki.tsa import TimeStampAuthority
from esign.registry.models import Seal
from esign.registry.townships import organisation_name
from esign.stamp.signing import SealCredentials, ValidationMaterial
from esign.verify import PadesLevel

__all__ = ["SealMaterial", "StampEngine"]

_VALIDATION_REFRESH = dt.timedelta(hours=1)
_SECOND = dt.timedelta(seconds=1)


def _whole_second_after(gen_time: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    """The first whole second at or after ``gen_time``, or ``now`` (to the second) if later."""
    floor_now = now.replace(microsecond=0)
    if gen_time is None:
        return floor_now
    ceil_gen = gen_time.replace(microsecond=0) + (_SECOND if gen_time.microsecond else dt.timedelta(0))
    return max(ceil_gen, floor_now)


@dataclass(frozen=True, eq=False)
class SealMaterial:
    """A seal's signer and artwork."""

    #: Signer and certificate chain.
    credentials: SealCredentials
    #: The seal alone (for repeated seals and cross-page strips).
    seal: Artwork


class StampEngine:
    """Caches per seal and per revocation epoch; one per process, safe to share between threads."""

    def __init__(self, dep: Deployment, *, clock: Callable[[], dt.datetime]) -> None:
        self.dep = dep
        self.clock = clock
        self._lock = threading.Lock()
        self._materials: dict[tuple[int, str, tuple[bytes, ...]], SealMaterial] = {}
        self._validation: dict[tuple[str, int], tuple[dt.datetime, ValidationMaterial]] = {}
        self._root_crl: bytes | None = None
        self._local = threading.local()
        self._tsa: TimeStampAuthority | None = None
        self._responder: OcspResponder | None = None

    # -- seal material -----------------------------------------------------------------------

    def prepare(self, seal: Seal, level: PadesLevel, *, at: dt.datetime, session: Session) -> ValidationMaterial | None:
        """Load, in the caller's open transaction, what signing with ``seal`` at ``level`` reads from the
        database: the seal's certificate and, at B-LT and above, the validation data as of ``at``
        (returned, for :meth:`validation`'s place). Signing then opens no transaction of its own but the
        time-stamp serial and the seal's OCSP status, which are read when the token is made."""
        self.material(seal, session=session)
        return self.validation(seal, at=at, session=session) if level.long_term else None

    def material(self, seal: Seal, *, session: Session | None = None) -> SealMaterial:
        """The seal's signer and artwork (loaded once per certificate; in ``session`` when given, else in a
        transaction of its own)."""
        if not seal.cert_serial or not seal.key_id:
            raise StateError("印章尚无证书。", "The seal has no certificate.", code="seal_without_certificate")
        pki = self.dep.pki
        # keyed by the certificate's serial and the chain's exact bytes, never by a name: a reissued
        # certificate or CA certificate gets its own signer and signature container parts
        key = (seal.id, seal.cert_serial, tuple(c.fingerprint(hashes.SHA256()) for c in pki.chain))
        with self._lock:
            found = self._materials.get(key)
        if found is not None:
            return found
        if session is None:
            with self.dep.transaction() as own:
                der = self._seal_certificate(own, seal.cert_serial)
        else:
            der = self._seal_certificate(session, seal.cert_serial)
        cert = x509.load_der_x509_certificate(der)
        keys = self.dep.seal_keys
        if isinstance(keys, TokenKeyStore):  # the key stays on the token, which signs
            signer = keys.signer(seal.key_id, cert, pki.chain)
            credentials = SealCredentials(signer=signer, certificate=cert, chain=pki.chain)
        else:
            credentials = SealCredentials.from_key(keys.load_private(seal.key_id), cert, pki.chain)
        art = seal_artwork(SealSpec(name=organisation_name(seal.township), title=seal.title, code=seal.code))
        material = SealMaterial(credentials=credentials, seal=art)
        with self._lock:
            self._materials[key] = material
        return material

    @staticmethod
    def _seal_certificate(session: Session, serial: str) -> bytes:
        row = session.get(pki_store.PkiCertificate, serial)
        if row is None:
            raise StateError("印章证书不存在。", "The seal certificate is missing.", code="seal_without_certificate")
        return row.der

    def qr(self, verify_url: str) -> Artwork:
        """The QR code of a stamp's verification URL."""
        return qr_artwork(verify_url)

    # -- validation data ---------------------------------------------------------------------

    def validation(self, seal: Seal, *, at: dt.datetime, session: Session | None = None) -> ValidationMaterial:
        """Certificates, the seal's OCSP answer and the CRLs, as of ``at``; refreshed on revocation. Read in
        ``session`` when given, else in a transaction of its own."""
        if session is None:
            with self.dep.transaction() as own:
                return self.validation(seal, at=at, session=own)
        assert seal.cert_serial is not None
        epoch = pki_store.revocation_epoch(session)
        cached = self._validation.get((seal.cert_serial, epoch))
        if cached is not None and at - cached[0] < _VALIDATION_REFRESH:
            return cached[1]
        material = self._build_validation(session, seal, at=at)
        with self._lock:
            self._validation = {k: v for k, v in self._validation.items() if k[0] != seal.cert_serial}
            self._validation[(seal.cert_serial, epoch)] = (at, material)
        return material

    def _build_validation(self, session: Session, seal: Seal, *, at: dt.datetime) -> ValidationMaterial:
        pki = self.dep.pki
        cert = self.material(seal, session=session).credentials.certificate
        request = x509_ocsp.OCSPRequestBuilder().add_certificate(cert, pki.issuing, hashes.SHA256()).build()
        request_der = request.public_bytes(Encoding.DER)
        responder = self._ocsp_responder()

        def fresh_ocsp() -> bytes:
            gen_time: dt.datetime | None = getattr(self._local, "last_gen_time", None)
            when = _whole_second_after(gen_time, self.clock())
            with self.dep.one_read() as s:  # the seal certificate's row: one statement
                return responder.respond(request_der, lambda serial: pki_store.status(s, serial), at=when)

        crls = [current_crl(session, pki, at=at)]
        root_crl = self._root_crl_der()
        if root_crl:
            crls.append(root_crl)
        certs = (cert, pki.issuing, pki.root, pki.tsa, pki.ocsp)
        return ValidationMaterial(
            certificates=tuple(c.public_bytes(Encoding.DER) for c in certs),
            ocsp_responses=(),
            crls=tuple(crls),
            fresh_ocsp=fresh_ocsp,
        )

    def _ocsp_responder(self) -> OcspResponder:
        if self._responder is None:
            self._responder = self.dep.pki.ocsp_responder()
        return self._responder

    def _root_crl_der(self) -> bytes | None:
        if self._root_crl is None:
            path = self.dep.settings.certs_dir / "root.crl"
            self._root_crl = path.read_bytes() if path.exists() else b""
        return self._root_crl or None

    # -- time stamps -------------------------------------------------------------------------

    def timestamper(self) -> InProcessTimeStamper:
        """The county TSA in process; serials and genTime come from the shared database."""
        if self._tsa is None:  # its certificate and the token parts every token shares, encoded once
            self._tsa = self.dep.pki.timestamp_authority()
        return InProcessTimeStamper(self._tsa, self._next_serial_and_time, clock=self.clock)

    def _next_serial_and_time(self, at: dt.datetime) -> tuple[int, dt.datetime]:
        with self.dep.transaction() as session:
            serial, gen_time = pki_store.tsa_next(session, at)
        self._local.last_gen_time = gen_time
        return serial, gen_time

    def take_last_timestamp_time(self) -> dt.datetime | None:
        """The genTime of the last token issued on this thread (the trusted signing time), once."""
        value: dt.datetime | None = getattr(self._local, "last_gen_time", None)
        self._local.last_gen_time = None
        return value
