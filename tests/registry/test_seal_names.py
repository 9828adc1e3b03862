"""Real seal names fit the certificate profile, and seal codes never collide.

X.520 bounds commonName in characters (ub-common-name 64), so a 22-character Chinese seal name
(66 UTF-8 bytes) must be issued; the longest name the registry's rules allow is issued too and read
back by OpenSSL. A failed issuance leaves no key behind.
"""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from esign.config import Settings
from esign.deployment import Deployment
from esign.errors import InputError
from esign.pki.seal_issuer import SealIssuer
from esign.pki.store import PkiCertificate
from esign.registry import add_township
from esign.registry.lifecycle import SealAction
from esign.registry.seals import change_seal, request_seal
from esign.setup import demo_uscc, init_county

T0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
TITLE = "行政审批（服务）专用章"


@pytest.fixture
def county(tmp_path, db_url):
    def make(name: str = "融安县") -> Deployment:
        dep = Deployment.open(Settings(home=tmp_path / "home", database_url=db_url, public_base_url="http://t"))
        with dep.transaction() as s:
            init_county(
                dep, s, county=name, province="广西壮族自治区", city="柳州市", office="融安县行政审批局", at=T0,
                seal_title=TITLE,
            )  # fmt: skip
        return dep

    return make


def _issue(dep: Deployment, township_name: str, region: str, n: int = 1) -> tuple[str, x509.Certificate]:
    with dep.transaction() as s:
        township = add_township(s, township_name, uscc=demo_uscc(region[:6], n), region_code=region, at=T0)
        seal = request_seal(s, township, actor="县审批局", reason="刻制", at=T0, title=TITLE)
        seal = change_seal(s, seal, SealAction.APPROVE, actor="县审批局", reason="批准", at=T0, ca=dep.seal_ca)
        der = s.scalar(select(PkiCertificate.der).where(PkiCertificate.serial == seal.cert_serial))
    assert der is not None
    return seal.name, x509.load_der_x509_certificate(der)


def _openssl_subject(cert: x509.Certificate) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding

    out = subprocess.run(
        ["openssl", "x509", "-noout", "-subject", "-nameopt", "utf8,sep_multiline"],
        input=cert.public_bytes(Encoding.PEM),
        capture_output=True,
        check=True,
    )
    return out.stdout.decode("utf-8")


@pytest.mark.parametrize("county_name", ["蒲县", "融安县"])
def test_a_realistic_seal_name_past_64_bytes_is_issued(county, county_name):
    dep = county(county_name)
    name, cert = _issue(dep, "城关回族镇", "450224100000")
    assert name == f"{county_name}城关回族镇人民政府{TITLE}" and len(name.encode()) > 64  # 22 characters: 66 bytes
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == name
    assert f"CN={name}" in _openssl_subject(cert)


def test_the_longest_name_the_rules_allow_is_issued(county):
    county_name = "县" * 20  # the registry's bound on county and township names
    dep = county(county_name)
    name, cert = _issue(dep, "镇" * 20, "450224101000")
    assert len(name) == 20 + 20 + len("人民政府") + len(TITLE)
    assert f"CN={name}" in _openssl_subject(cert)
    with dep.transaction() as s, pytest.raises(InputError) as exc:
        add_township(s, "镇" * 21, uscc=demo_uscc("450224", 9), region_code="450224102000", at=T0)
    assert exc.value.code == "text_too_long"


def test_townships_sharing_nine_region_digits_get_distinct_seal_codes(county):
    dep = county()
    with dep.transaction() as s:
        a = add_township(s, "长安镇", uscc=demo_uscc("450224", 1), region_code="450224100001", at=T0)
        b = add_township(s, "浮石镇", uscc=demo_uscc("450224", 2), region_code="450224100002", at=T0)
        first = request_seal(s, a, actor="县审批局", reason="刻制", at=T0)
        second = request_seal(s, b, actor="县审批局", reason="刻制", at=T0)
        assert {first.code, second.code} == {"450224100001", "450224100002"}


class _FailingPki:
    """The county PKI whose certificate builder fails after the key was made (a disk or HSM hiccup)."""

    def __init__(self, real):
        self._real = real

    def __getattr__(self, name):
        return getattr(self._real, name)

    def issue_seal_certificate(self, *args, **kwargs):
        raise InputError("模拟签发失败", "simulated issuance failure", code="simulated")


def test_a_failed_issuance_leaves_no_key_behind(county):
    dep = county()
    keys_before = set(dep.settings.keys_dir.iterdir())
    issuer = SealIssuer(_FailingPki(dep.pki), dep.keystore)  # type: ignore[arg-type]
    with dep.transaction() as s:
        township = add_township(s, "城关回族镇", uscc=demo_uscc("450224", 1), region_code="450224100000", at=T0)
        seal = request_seal(s, township, actor="县审批局", reason="刻制", at=T0)
        with pytest.raises(InputError):
            change_seal(s, seal, SealAction.APPROVE, actor="县审批局", reason="批准", at=T0, ca=issuer)
    assert set(dep.settings.keys_dir.iterdir()) == keys_before
    assert not dep.keystore.exists(f"seal-{seal.code}")
