"""A county SM2 PKI built by code for the GB/T 38540 tests: root, issuing CA, the maker (制章者)
certificate of the county reform office, two township signer certificates, a PNG seal picture."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image, ImageDraw

from esign.pki.sm2 import Sm2PrivateKey, sm3
from esign.pki.sm2_certs import Sm2Certificate, signing_key_usage, sm2_certificate, sm2_crl
from esign.pki.sm2_tsp import sm2_timestamp_token
from esign.pki.status import CertKind, CertState, CertStatus, RevocationReason
from esign.ses.seal import SealPicture, make_seal
from tests.pki.conftest import openssl  # noqa: F401  (the fixture, shared)

AT = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "ofd-samples"


def name(cn: str, org: str = "测试县人民政府") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _ext(value: x509.ExtensionType, critical: bool) -> x509.Extension[x509.ExtensionType]:
    return x509.Extension(value.oid, critical, value)


_CA_KU = x509.KeyUsage(False, False, False, False, False, True, True, False, False)


@dataclass
class Pki:
    root: Sm2Certificate
    root_key: Sm2PrivateKey
    issuing: Sm2Certificate
    issuing_key: Sm2PrivateKey
    maker: Sm2Certificate
    maker_key: Sm2PrivateKey
    signer: Sm2Certificate
    signer_key: Sm2PrivateKey
    other_signer: Sm2Certificate
    other_key: Sm2PrivateKey
    tsa: Sm2Certificate | None = None
    tsa_key: Sm2PrivateKey | None = None

    def timestamper(self, at: dt.datetime) -> Callable[[bytes], bytes]:
        """Time-stamps a signature value at ``at`` with the county's SM2 TSA."""
        assert self.tsa is not None and self.tsa_key is not None
        tsa, key = self.tsa, self.tsa_key
        return lambda value: sm2_timestamp_token(sm3(value), tsa=tsa, tsa_key=key, serial=7, at=at, policy="1.2.3.4")

    def leaf(self, cn: str, key: Sm2PrivateKey, serial: int, days: int = 700) -> Sm2Certificate:
        return Sm2Certificate.from_der(
            sm2_certificate(
                name(cn, "测试镇人民政府"),
                key.public_key(),
                issuer=self.issuing,
                issuer_key=self.issuing_key,
                serial=serial,
                not_before=AT - dt.timedelta(days=30),
                not_after=AT + dt.timedelta(days=days),
                extensions=[_ext(x509.BasicConstraints(False, None), True), signing_key_usage()],
            )
        )


def build_pki() -> Pki:
    root_key, issuing_key, maker_key, signer_key, other_key = (Sm2PrivateKey.generate() for _ in range(5))
    span = {"not_before": AT - dt.timedelta(days=60), "not_after": AT + dt.timedelta(days=3650)}
    root = Sm2Certificate.from_der(
        sm2_certificate(
            name("测试县SM2根CA"),
            root_key.public_key(),
            issuer=None,
            issuer_key=root_key,
            serial=1,
            extensions=[_ext(x509.BasicConstraints(True, 1), True), _ext(_CA_KU, True)],
            **span,
        )
    )
    issuing = Sm2Certificate.from_der(
        sm2_certificate(
            name("测试县SM2签发CA"),
            issuing_key.public_key(),
            issuer=root,
            issuer_key=root_key,
            serial=2,
            extensions=[_ext(x509.BasicConstraints(True, 0), True), _ext(_CA_KU, True)],
            **span,
        )
    )
    pki = Pki(root, root_key, issuing, issuing_key, root, maker_key, root, signer_key, root, other_key)
    pki.maker = pki.leaf("测试县机构编制委员会办公室（制章）", maker_key, 10, days=1800)
    pki.signer = pki.leaf("测试镇人民政府", signer_key, 11)
    pki.other_signer = pki.leaf("另一镇人民政府", other_key, 12)
    pki.tsa_key = Sm2PrivateKey.generate()
    pki.tsa = Sm2Certificate.from_der(
        sm2_certificate(
            name("测试县SM2时间戳服务"),
            pki.tsa_key.public_key(),
            issuer=issuing,
            issuer_key=issuing_key,
            serial=13,
            extensions=[
                _ext(x509.BasicConstraints(False, None), True),
                _ext(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True),
            ],
            **span,
        )
    )
    return pki


@pytest.fixture(scope="session")
def pki() -> Pki:
    return build_pki()


def seal_png() -> bytes:
    img = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    ImageDraw.Draw(img).ellipse((8, 8, 192, 192), outline=(220, 0, 0, 255), width=10)
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def make_test_seal(pki: Pki, **overrides: object) -> bytes:
    fields: dict[str, object] = {
        "es_id": "14102610000000001",
        "name": "测试镇人民政府行政审批服务专用章",
        "signer_certs": [pki.signer.der],
        "created": AT - dt.timedelta(days=10),
        "valid_start": AT - dt.timedelta(days=10),
        "valid_end": AT + dt.timedelta(days=365),
        "picture": SealPicture("PNG", seal_png(), 42, 42),
        "maker_cert": pki.maker.der,
        "maker_key": pki.maker_key,
        "vid": "esign",
    }
    fields.update(overrides)
    return make_seal(**fields)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def seal_der(pki: Pki) -> bytes:
    return make_test_seal(pki)


def crl_of(pki: Pki, revoked: dict[int, CertState] | None = None) -> bytes:
    entries = [
        CertStatus(
            serial=s,
            kind=CertKind.SEAL,
            issuer_serial=2,
            state=st,
            not_after=AT + dt.timedelta(days=900),
            revoked_at=AT - dt.timedelta(days=1),
            reason=RevocationReason.KEY_COMPROMISE,
        )
        for s, st in (revoked or {}).items()
    ]
    return sm2_crl(
        pki.issuing, pki.issuing_key, entries, number=1, at=AT - dt.timedelta(hours=1), period=dt.timedelta(days=7)
    )
