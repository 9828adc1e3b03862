"""A county PKI in memory with a revocation timeline, and PAdES signing with plain pyHanko.

Used by the verify tests until ``esign.stamp`` exists. Everything takes explicit times: the PKI,
the TSA clock, the CRLs and OCSP responses. pyHanko's own ``signingTime`` attribute (the claimed
time) still comes from the real clock; the verifier only reports it.
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
from dataclasses import dataclass, field
from io import BytesIO

from asn1crypto import crl as asn1_crl
from asn1crypto import keys as asn1_keys
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from esign.pki import (
    CertKind,
    CertState,
    CertStatus,
    CountyInfo,
    CountyPKI,
    KeyAlgorithm,
    MemoryKeyStore,
    PrivateKey,
    RevocationReason,
    SealSubject,
    build_crl,
    generate_private_key,
)
from esign.pki.timestamper import InProcessTimeStamper

__all__ = ["COUNTY", "T0", "Level", "Seal", "TestPKI", "asn1", "self_signed_impostor"]

COUNTY = CountyInfo(province="山西省", city="临汾市", county="蒲县", office="蒲县行政审批服务局")
BASE_URL = "http://127.0.0.1:9"
# Tests run relative to a moment a month ago, so that pdfsig (which uses the real clock) sees
# certificates that are currently valid unless a test makes them expire.
T0 = (dt.datetime.now(dt.UTC) - dt.timedelta(days=30)).replace(microsecond=0)


class Level(enum.StrEnum):
    B_B = "B-B"
    B_T = "B-T"
    B_LT = "B-LT"
    B_LTA = "B-LTA"


def asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _key_info(key: PrivateKey) -> asn1_keys.PrivateKeyInfo:
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return asn1_keys.PrivateKeyInfo.load(der)


@dataclass(frozen=True)
class Seal:
    cert: x509.Certificate
    key: PrivateKey
    chain: tuple[x509.Certificate, ...]


@dataclass
class _Event:
    at: dt.datetime
    state: CertState
    reason: RevocationReason | None


@dataclass
class TestPKI:
    """A county PKI with an in-memory key store and a revocation timeline per serial."""

    __test__ = False  # not a pytest class

    pki: CountyPKI
    events: dict[int, list[_Event]] = field(default_factory=dict)
    certs: dict[int, x509.Certificate] = field(default_factory=dict)
    _serials: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _crl_numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @classmethod
    def create(cls, *, at: dt.datetime = T0, county: CountyInfo = COUNTY, base_url: str = BASE_URL) -> TestPKI:
        pki = CountyPKI.generate(MemoryKeyStore(), county, base_url=base_url, at=at - dt.timedelta(days=1))
        return cls(pki=pki)

    @property
    def root(self) -> x509.Certificate:
        return self.pki.root

    def issue_seal(
        self,
        *,
        at: dt.datetime = T0,
        validity: dt.timedelta = dt.timedelta(days=3 * 365),
        common_name: str = "蒲县克城镇人民政府行政审批服务专用章",
        organization: str = "蒲县克城镇人民政府",
        uscc: str = "11141033MB12345676",
        algorithm: KeyAlgorithm = KeyAlgorithm.EC_P256,
    ) -> Seal:
        key = generate_private_key(algorithm)
        subject = SealSubject.in_county(
            COUNTY, organization=organization, common_name=common_name, organization_identifier=uscc
        )
        cert = self.pki.issue_seal_certificate(subject, key.public_key(), at=at, validity=validity)
        self.certs[cert.serial_number] = cert
        return Seal(cert=cert, key=key, chain=self.pki.chain)

    # -- revocation timeline ----------------------------------------------------------------

    def revoke(
        self, seal: Seal, *, at: dt.datetime, reason: RevocationReason = RevocationReason.KEY_COMPROMISE
    ) -> None:
        self.events.setdefault(seal.cert.serial_number, []).append(_Event(at, CertState.REVOKED, reason))

    def hold(self, seal: Seal, *, at: dt.datetime) -> None:
        self.events.setdefault(seal.cert.serial_number, []).append(
            _Event(at, CertState.ON_HOLD, RevocationReason.CERTIFICATE_HOLD)
        )

    def release(self, seal: Seal, *, at: dt.datetime) -> None:
        self.events.setdefault(seal.cert.serial_number, []).append(_Event(at, CertState.GOOD, None))

    def status(self, serial: int, at: dt.datetime) -> CertStatus | None:
        cert = self.certs.get(serial)
        if cert is None:
            return None
        state, since, reason = CertState.GOOD, None, None
        for ev in sorted(self.events.get(serial, []), key=lambda e: e.at):
            if ev.at > at:
                break
            if state is CertState.REVOKED:
                break
            state, since, reason = ev.state, (ev.at if ev.state is not CertState.GOOD else None), ev.reason
        return CertStatus(
            serial=serial,
            kind=CertKind.SEAL,
            issuer_serial=self.pki.issuing.serial_number,
            state=state,
            not_after=cert.not_valid_after_utc,
            revoked_at=since,
            reason=reason,
        )

    def crl(self, at: dt.datetime) -> bytes:
        entries = [s for s in (self.status(n, at) for n in self.certs) if s is not None]
        return build_crl(self.pki.issuing, self.pki.issuing_key, entries, number=next(self._crl_numbers), at=at)

    def ocsp(self, cert: x509.Certificate, at: dt.datetime) -> bytes:
        req = ocsp.OCSPRequestBuilder().add_certificate(cert, self.pki.issuing, hashes.SHA256()).build()
        der = req.public_bytes(serialization.Encoding.DER)
        return self.pki.ocsp_responder().respond(der, lambda s: self.status(s, at), at=at)

    # -- time stamps and signing ------------------------------------------------------------

    def timestamper(self, at: dt.datetime) -> InProcessTimeStamper:
        counter = itertools.count(1)

        def next_serial_and_time(now: dt.datetime) -> tuple[int, dt.datetime]:
            return next(counter) + int(now.timestamp()) * 1000, now

        return InProcessTimeStamper(self.pki.timestamp_authority(), next_serial_and_time, clock=lambda: at)

    def validation_context(self, at: dt.datetime, *, with_ocsp: bool = True) -> ValidationContext:
        """A context pre-filled with this PKI's CRL (and OCSP for every seal) as of ``at``."""
        ocsps = [self.ocsp(c, at) for c in self.certs.values()] if with_ocsp else []
        return ValidationContext(
            trust_roots=[asn1(self.root)],
            other_certs=[asn1(self.pki.issuing)],
            moment=at,
            crls=[self.crl(at)],
            ocsps=ocsps,
            allow_fetching=False,
        )

    def sign(
        self,
        pdf: bytes,
        seal: Seal,
        *,
        at: dt.datetime,
        level: Level = Level.B_LTA,
        field_name: str = "Seal1",
        certify: bool = False,
        docmdp: fields.MDPPerm = fields.MDPPerm.FILL_FORMS,
        visible: bool = False,
        tsa: TestPKI | None = None,
    ) -> bytes:
        """Sign ``pdf`` at ``at`` with plain pyHanko at ``level`` (B-LT/B-LTA embed validation data)."""
        tsa = tsa or self
        lt = level in (Level.B_LT, Level.B_LTA)
        signer = signers.SimpleSigner(
            signing_cert=asn1(seal.cert),
            signing_key=_key_info(seal.key),
            cert_registry=SimpleCertificateStore.from_certs([asn1(c) for c in seal.chain]),
        )
        meta = signers.PdfSignatureMetadata(
            field_name=field_name,
            subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha256",
            embed_validation_info=lt,
            use_pades_lta=level is Level.B_LTA,
            validation_context=self.validation_context(at) if lt else None,
            certify=certify,
            docmdp_permissions=docmdp,
            reason="行政审批服务专用章",
            location="蒲县",
        )
        ts = tsa.timestamper(at) if level is not Level.B_B else None
        spec = fields.SigFieldSpec(field_name, box=(380, 80, 520, 220) if visible else None, on_page=0)
        w = IncrementalPdfFileWriter(BytesIO(pdf))
        out = signers.PdfSigner(meta, signer, timestamper=ts, new_field_spec=spec).sign_pdf(w)
        return out.getvalue()

    def add_dss(self, pdf: bytes, *, at: dt.datetime, certs: list[x509.Certificate] | None = None) -> bytes:
        """Append a DSS with this PKI's CRL and OCSP responses as of ``at`` (an LT update by hand)."""
        w = IncrementalPdfFileWriter(BytesIO(pdf))
        all_certs = [self.pki.issuing, self.root, self.pki.tsa, *self.certs.values(), *(certs or [])]
        DocumentSecurityStore.supply_dss_in_writer(
            w,
            None,
            certs=[asn1(c) for c in all_certs],
            ocsps=[asn1_ocsp.OCSPResponse.load(self.ocsp(c, at)) for c in self.certs.values()],
            crls=[asn1_crl.CertificateList.load(self.crl(at))],
        )
        buf = BytesIO()
        w.write(buf)
        return buf.getvalue()

    def add_doc_timestamp(self, pdf: bytes, *, at: dt.datetime, field_name: str = "DocTS") -> bytes:
        w = IncrementalPdfFileWriter(BytesIO(pdf))
        out = signers.PdfTimeStamper(self.timestamper(at), field_name=field_name).timestamp_pdf(w, "sha256")
        return out.getvalue()


def self_signed_impostor(real: x509.Certificate, *, at: dt.datetime = T0) -> Seal:
    """A self-signed certificate copying the subject (and extensions' spirit) of a real seal."""
    key = generate_private_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(real.subject)
        .issuer_name(real.subject)
        .public_key(key.public_key())
        .serial_number(real.serial_number)
        .not_valid_before(at - dt.timedelta(days=1))
        .not_valid_after(at + dt.timedelta(days=365))
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return Seal(cert=cert, key=key, chain=())
