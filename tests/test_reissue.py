"""`esign pki reissue-issuing`: a home whose issuing CA lacks revocation pointers gets them, same key
and name; existing seals keep chaining, the OCSP responder still knows them, stamps still verify."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from typer.testing import CliRunner

from esign.cli.main import app
from esign.config import Settings
from esign.deployment import Deployment
from esign.errors import ConflictError
from esign.hosts import BlobStore
from esign.pki import store as pki_store
from esign.pki.certio import certificate_pem, write_public_file
from esign.pki.keys import signature_hash
from esign.pki.profiles import random_serial
from esign.pki.status import CertKind
from esign.registry import find_seal
from esign.setup import create_demo, reissue_issuing_ca
from esign.workflow.engine import StampEngine
from esign.workflow.requests import StampRequestSpec, stamp_directly
from esign.workflow.verification import verify_document
from tests.pdfgen import decision_pdf


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _old_style_issuing(dep: Deployment) -> x509.Certificate:
    """Swap in an issuing CA certificate as homes made before had it: no CRL DP, no AIA."""
    pki = dep.pki
    root_key = dep.keystore.load_private("root")
    cur = pki.issuing
    b = (
        x509.CertificateBuilder()
        .subject_name(cur.subject)
        .issuer_name(pki.root.subject)
        .public_key(cur.public_key())
        .serial_number(random_serial())
        .not_valid_before(cur.not_valid_before_utc)
        .not_valid_after(cur.not_valid_after_utc)
    )
    for ext in cur.extensions:
        if not isinstance(ext.value, x509.CRLDistributionPoints | x509.AuthorityInformationAccess):
            b = b.add_extension(ext.value, critical=ext.critical)
    old = b.sign(root_key, signature_hash(root_key))
    with dep.transaction() as session:
        pki_store.record_issued(session, old, kind=CertKind.ISSUING, issuer=pki.root, at=now())
        pki_store.transfer_issuer(session, cur, old)
    write_public_file(dep.settings.certs_dir / "issuing.crt", certificate_pem(old), overwrite=True)
    return old


def _ocsp_status(dep: Deployment, seal: x509.Certificate) -> ocsp.OCSPCertStatus:
    pki = dep.pki
    req = ocsp.OCSPRequestBuilder().add_certificate(seal, pki.issuing, hashes.SHA256()).build()
    with dep.transaction() as session:
        der = pki.ocsp_responder().respond(
            req.public_bytes(Encoding.DER), lambda s: pki_store.status(session, s), at=now()
        )
    return ocsp.load_der_ocsp_response(der).certificate_status


def test_reissue_adds_revocation_pointers_and_keeps_everything_valid(tmp_path) -> None:
    settings = Settings(home=tmp_path, public_base_url="https://esign.puxian.example")
    dep = Deployment.open(settings)
    create_demo(dep, at=now())
    with pytest.raises(ConflictError) as exc:  # a new home has them already
        reissue_issuing_ca(dep, at=now())
    assert exc.value.code == "issuing_current"
    old = _old_style_issuing(dep)
    dep.close()

    result = CliRunner().invoke(app, ["pki", "reissue-issuing", "--home", str(tmp_path)])
    assert result.exit_code == 0, result.output

    dep = Deployment.open(settings)
    try:
        new = dep.pki.issuing
        assert new.serial_number != old.serial_number and new.subject == old.subject
        assert new.public_key() == old.public_key() and new.not_valid_after_utc == old.not_valid_after_utc
        dp = new.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
        assert dp[0].full_name[0].value == "https://esign.puxian.example/pki/root.crl"
        assert (tmp_path / "certs" / f"issuing-{old.serial_number:x}.crt").exists()
        # seals certified before chain to the new certificate and the responder still answers for them
        engine = StampEngine(dep, clock=now)
        spec = StampRequestSpec(seal="克城镇", item="1", reason="受理", title="受理通知书")
        outcome = stamp_directly(
            dep, engine, decision_pdf(), spec, user="克城镇窗口", approver="克城镇批准人", at=now()
        )
        with dep.transaction() as session:
            seal = find_seal(session, "克城镇")
        seal_cert = engine.material(seal).credentials.certificate
        seal_cert.verify_directly_issued_by(new)
        assert _ocsp_status(dep, seal_cert) is ocsp.OCSPCertStatus.GOOD
        data = BlobStore(tmp_path / "documents").get(outcome.output_sha256)
        assert verify_document(dep, data, at=now()).passed
    finally:
        dep.close()
