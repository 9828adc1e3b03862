"""8c. The county's SM2 PKI beside the ECDSA one, in the same run: what issuing a seal's national-standard
half costs (its SM2 key encrypted into the file store, its GB/T 20518 certificate, its GB/T 38540 seal
data with the 42 mm picture), and the revocation answers the service signs (a CRL of 100 entries, one
OCSP response without cache) with SM2-with-SM3 next to ECDSA P-256. The ratio is SM2 / ECDSA time.
"""

from __future__ import annotations

import datetime as dt
import itertools

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp

from bench.context import Context
from bench.crypto import _per_second
from bench.report import Section
from bench.stats import fmt_rate, fmt_seconds
from esign.pki import CountyInfo, CountyPKI, FileKeyStore, SealSubject, generate_private_key
from esign.pki.crl import build_crl
from esign.pki.keystore.sm2 import FileSm2KeyStore
from esign.pki.sm2_ca import Sm2CountyPKI
from esign.pki.sm2_certs import sm2_crl
from esign.pki.status import CertKind, CertState, CertStatus, RevocationReason
from esign.registry import SealIdentity
from esign.ses.county_seal import CountySealDataMaker

__all__ = ["run"]

_COUNTY = CountyInfo(province="山西省", city="临汾市", county="蒲县", office="蒲县行政审批服务管理局")
_PASS = b"bench passphrase"


def _ratio(sm2: float, ecdsa: float) -> str:
    return f"{ecdsa / sm2:.2f}×"  # rates: time ratio SM2/ECDSA = ecdsa_rate / sm2_rate


def run(ctx: Context) -> Section:
    seconds = 0.5 if ctx.quick else 2.0
    ctx.progress("SM2 county PKI: seal issuance, CRL and OCSP signing beside ECDSA")
    at = dt.datetime.now(dt.UTC)
    base = ctx.tmp / "sm2pki"
    ec = CountyPKI.create(
        FileKeyStore(base / "keys", passphrase=_PASS), base / "certs", _COUNTY, base_url="http://bench", at=at
    )
    sm2_keys = FileSm2KeyStore(base / "keys" / "sm2", passphrase=_PASS)
    sm2 = Sm2CountyPKI.create(sm2_keys, base / "certs", _COUNTY, base_url="http://bench", at=at)
    subject = SealSubject.in_county(
        _COUNTY,
        organization="蒲县克城镇人民政府",
        common_name="蒲县克城镇人民政府行政审批服务专用章",
        organization_identifier="11141033MB12345676",
    )
    identity = SealIdentity(
        seal_name=subject.common_name,
        organisation=subject.organization,
        uscc=subject.organization_identifier,
        province=subject.province,
        locality=subject.locality,
        code="141033103001",
        title="行政审批服务专用章",
    )
    maker = CountySealDataMaker(sm2.maker, sm2.maker_signer)
    counter = itertools.count()
    sm2_cert = sm2.issue_seal_certificate(subject, sm2_keys.generate("seal-0"), at=at)
    ec_key = generate_private_key().public_key()

    def sm2_key() -> object:
        return sm2_keys.generate(f"seal-{next(counter) + 1}")

    rows: list[tuple[str, float, float | None]] = []
    sm2_key_rate, _ = _per_second(sm2_key, seconds=seconds)
    rows.append(("seal key: generate + encrypt into the file store", sm2_key_rate, None))
    cert_rate, _ = _per_second(lambda: sm2.issue_seal_certificate(subject, sm2_cert.public_key, at=at), seconds=seconds)
    ec_cert_rate, _ = _per_second(lambda: ec.issue_seal_certificate(subject, ec_key, at=at), seconds=seconds)
    rows.append(("seal certificate (GB/T 20518 / ECDSA profile)", cert_rate, ec_cert_rate))
    esl_rate, _ = _per_second(lambda: maker(identity, sm2_cert, at=at), seconds=seconds)
    rows.append(("seal data .esl (42 mm PNG picture, maker signs)", esl_rate, None))

    entries = [
        CertStatus(n + 1, CertKind.SEAL, 0, CertState.REVOKED, at, at, RevocationReason.SUPERSEDED) for n in range(100)
    ]
    sm2_crl_rate, _ = _per_second(
        lambda: sm2_crl(sm2.issuing, sm2.issuing_signer, entries, number=2, at=at, period=dt.timedelta(days=7)),  # type: ignore[arg-type]
        seconds=seconds,
    )
    ec_crl_rate, _ = _per_second(
        lambda: build_crl(ec.issuing, ec.issuing_key, entries, number=2, at=at), seconds=seconds
    )
    rows.append(("CRL with 100 entries", sm2_crl_rate, ec_crl_rate))

    good = CertStatus(sm2_cert.asn1.serial_number, CertKind.SEAL, sm2.issuing.asn1.serial_number, CertState.GOOD, at)
    name_hash = hashes.Hash(hashes.SHA1())  # noqa: S303 - OCSP CertID (RFC 6960)
    name_hash.update(sm2.issuing.subject_der)
    key_hash = hashes.Hash(hashes.SHA1())  # noqa: S303 - OCSP CertID (RFC 6960)
    key_hash.update(bytes(sm2.issuing.asn1["tbs_certificate"]["subject_public_key_info"]["public_key"])[1:])
    sm2_req = (
        ocsp.OCSPRequestBuilder()
        .add_certificate_by_hash(name_hash.finalize(), key_hash.finalize(), good.serial, hashes.SHA1())  # noqa: S303
        .build()
        .public_bytes(Encoding.DER)
    )
    ec_seal = ec.issue_seal_certificate(subject, ec_key, at=at)
    ec_builder = ocsp.OCSPRequestBuilder().add_certificate(ec_seal, ec.issuing, hashes.SHA1())  # noqa: S303
    ec_req = ec_builder.build().public_bytes(Encoding.DER)
    ec_good = CertStatus(ec_seal.serial_number, CertKind.SEAL, ec.issuing.serial_number, CertState.GOOD, at)
    sm2_ocsp, ec_ocsp = sm2.ocsp_responder(), ec.ocsp_responder()
    sm2_ocsp_rate, _ = _per_second(lambda: sm2_ocsp.respond(sm2_req, lambda s: good, at=at), seconds=seconds)
    ec_ocsp_rate, _ = _per_second(lambda: ec_ocsp.respond(ec_req, lambda s: ec_good, at=at), seconds=seconds)
    rows.append(("OCSP response (no cache)", sm2_ocsp_rate, ec_ocsp_rate))

    section = Section(
        "8c. SM2 county PKI beside ECDSA (issuing a seal's SM2 half; CRL and OCSP signing)",
        ["operation", "SM2 rate", "SM2 time", "ECDSA P-256 rate", "SM2 / ECDSA time"],
    )
    for name, rate, ec_rate in rows:
        section.add(
            name,
            fmt_rate(rate, "ops/s"),
            fmt_seconds(1 / rate),
            "-" if ec_rate is None else fmt_rate(ec_rate, "ops/s"),
            "-" if ec_rate is None else _ratio(rate, ec_rate),
        )
    total = 1 / sm2_key_rate + 1 / cert_rate + 1 / esl_rate
    section.notes.append(
        f"a seal's SM2 half at approval (key + certificate + seal data, without the database): {fmt_seconds(total)}; "
        "the key's PBKDF2 encryption and the picture dominate"
    )
    return section
