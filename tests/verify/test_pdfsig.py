"""Poppler's pdfsig (NSS) and esign agree on cryptographic validity and on chain trust."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from esign.pki import certificate_pem
from esign.verify import SubIndication, verify_pdf
from tests.verify.attacks import ATTACKS, SHADOW_ATTACKS
from tests.verify.factory import Level
from tests.verify.scenarios import build, trust_root
from tests.verify.test_attacks import base

pytestmark = pytest.mark.skipif(
    shutil.which("pdfsig") is None or shutil.which("certutil") is None, reason="poppler-utils / NSS tools missing"
)

_NO_CHAIN = {
    SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
    SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE,
    SubIndication.CHAIN_CONSTRAINTS_FAILURE,
}


@pytest.fixture(scope="module")
def nssdb(tmp_path_factory: pytest.TempPathFactory) -> str:
    d = tmp_path_factory.mktemp("nss")
    root = d / "root.crt"
    root.write_bytes(certificate_pem(trust_root()))
    subprocess.run(["certutil", "-N", "-d", f"sql:{d}", "--empty-password"], check=True, capture_output=True)
    subprocess.run(
        ["certutil", "-A", "-d", f"sql:{d}", "-n", "root", "-t", "CT,C,C", "-i", str(root)],
        check=True,
        capture_output=True,
    )
    return f"sql:{d}"


def pdfsig(nssdb: str, pdf: bytes, tmp: Path) -> list[dict[str, str]]:
    """pdfsig's opinion on each /Sig signature (document time-stamps are skipped)."""
    f = tmp / "doc.pdf"
    f.write_bytes(pdf)
    out = subprocess.run(
        ["pdfsig", "-no-ocsp", "-nssdir", nssdb, str(f)], capture_output=True, timeout=60, check=False
    ).stdout.decode("utf-8", "replace")
    blocks = re.split(r"^Signature #\d+:", out, flags=re.M)[1:]
    result = []
    for b in blocks:
        fields = dict(re.findall(r"^[ \t]+- ([^:\n]+): (.*)$", b, flags=re.M))
        if fields.get("Signature Type", "") in ("ETSI.CAdES.detached", "adbe.pkcs7.detached"):
            result.append(fields)
    return result


def _compare(nssdb: str, pdf: bytes, tmp: Path, at: dt.datetime, crls: tuple[bytes, ...]) -> None:
    report = verify_pdf(pdf, trust_roots=[trust_root()], at=at, crls=crls)
    theirs = {p.get("Signature Field Name"): p for p in pdfsig(nssdb, pdf, tmp)}
    assert report.signatures
    for sig in report.signatures:
        poppler = theirs.get(sig.field_name)
        ours_valid = bool(sig.intact and sig.crypto_valid)
        if poppler is None:
            assert not ours_valid  # pdfsig cannot even see it as a signature
            continue
        poppler_valid = poppler.get("Signature Validation") == "Signature is Valid."
        assert poppler_valid == ours_valid, (poppler, sig.intact, sig.crypto_valid)
        cert = poppler.get("Certificate Validation", "")
        if poppler_valid and cert == "Certificate is Trusted.":
            assert sig.subindication not in _NO_CHAIN, sig.subindication
        elif poppler_valid and cert in ("Certificate issuer isn't Trusted.", "Certificate issuer is unknown."):
            assert sig.subindication in _NO_CHAIN, sig.subindication
        elif poppler_valid and cert == "Certificate has Expired":
            assert sig.signer is not None and sig.signer.not_after < dt.datetime.now(dt.UTC)
        elif poppler_valid:
            pytest.fail(f"pdfsig certificate verdict unknown to this comparison: {cert!r} ({sig.subindication})")


@pytest.mark.parametrize(
    ("scenario", "level"),
    [
        (s, lv)
        for s in ("fresh", "revoked_before", "expired", "foreign_root", "impostor", "second_seal")
        for lv in Level
    ],
)
def test_agrees_on_matrix(nssdb: str, tmp_path: Path, scenario: str, level: Level) -> None:
    case = build(scenario, level)
    _compare(nssdb, case.pdf, tmp_path, case.at, case.crls)


@pytest.mark.parametrize("name", sorted(ATTACKS) + sorted(SHADOW_ATTACKS))
def test_agrees_on_attacks(nssdb: str, tmp_path: Path, name: str) -> None:
    from tests.verify.scenarios import LATER, _county

    if name in SHADOW_ATTACKS:
        pdf = SHADOW_ATTACKS[name](base("shadow"))
    elif name in ("evil_annotation", "sneaky_signature"):
        pdf = ATTACKS[name](base("certified-p2"))
    else:
        pdf = ATTACKS[name](base("approval"))
    _compare(nssdb, pdf, tmp_path, LATER, (_county().crl(LATER),))
