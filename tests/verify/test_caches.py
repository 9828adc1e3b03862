"""The verifier's per-process caches never answer for data they were not filled with: new revocation data, a
look-alike chain (same names, other keys) and another validation time each get their own answer, in one process,
whatever was verified before."""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from esign.pki import CertState, PrivateKey, generate_private_key
from esign.verify import Indication, SubIndication, verify_pdf
from esign.verify._cache import clear_all
from esign.verify.certs import KNOWN_SIGNATURES, certificate_info
from esign.verify.revocation import _STATEMENTS
from tests.verify.docs import simple_pdf
from tests.verify.factory import Level, Seal, TestPKI
from tests.verify.scenarios import LATER, STAMPED, _county


def test_revocation_published_between_two_verifications() -> None:
    county = _county()
    seal = county.issue_seal()
    pdf = county.sign(simple_pdf(), seal, at=STAMPED, level=Level.B_B)  # no time-stamp: the latest status decides
    first = verify_pdf(pdf, trust_roots=[county.root], at=LATER, crls=[county.crl(LATER)])
    assert first.indication is Indication.TOTAL_PASSED
    assert len(_STATEMENTS) > 0  # the good CRL's statement is now remembered
    county.revoke(seal, at=LATER + dt.timedelta(minutes=1))
    later = LATER + dt.timedelta(minutes=5)
    second = verify_pdf(pdf, trust_roots=[county.root], at=later, crls=[county.crl(later)])
    assert (second.indication, second.subindication) == (Indication.INDETERMINATE, SubIndication.REVOKED_NO_POE)
    assert second.signatures[0].revocation_now.state is CertState.REVOKED
    # and the first answer is still the first answer for the first data
    again = verify_pdf(pdf, trust_roots=[county.root], at=LATER, crls=[county.crl(LATER)])
    assert again.indication is Indication.TOTAL_PASSED


def test_a_chain_with_the_same_names_and_other_keys() -> None:
    """A second county PKI built from the same county (so the same root, CA and seal names, other keys) signs a
    document carrying its CA but not its root. Once the twin's root was trusted (its signatures are then known
    good under the twin's keys), the same document with only the real root trusted still fails, and the genuine
    one still passes, in either order."""
    real, twin = _county(), TestPKI.create()
    assert twin.root.subject == real.root.subject and twin.root != real.root
    twin_seal = twin.issue_seal()
    genuine = real.sign(simple_pdf(), real.issue_seal(), at=STAMPED, level=Level.B_B)
    fake = twin.sign(
        simple_pdf(), Seal(twin_seal.cert, twin_seal.key, (twin.pki.issuing,)), at=STAMPED, level=Level.B_B
    )

    def verify(pdf: bytes, *roots: x509.Certificate) -> tuple[Indication, SubIndication | None]:
        crls = [real.crl(LATER), twin.crl(LATER)]
        report = verify_pdf(pdf, trust_roots=roots or [real.root], at=LATER, crls=crls)
        return report.indication, report.subindication

    for order in ((genuine, fake), (fake, genuine)):
        clear_all()
        assert verify(fake, real.root, twin.root) == (Indication.TOTAL_PASSED, None)
        results = {pdf: verify(pdf) for pdf in (*order, *order)}  # each twice: cold, then from the caches
        assert results[genuine] == (Indication.TOTAL_PASSED, None)
        # the look-alike CA's signature does not verify under the real root's key: no chain
        assert results[fake] == (Indication.INDETERMINATE, SubIndication.NO_CERTIFICATE_CHAIN_FOUND)
    assert len(KNOWN_SIGNATURES._verified) > 0


def _forged(real: TestPKI) -> tuple[x509.Certificate, x509.Certificate, Seal]:
    """A root and CA that copy the real root's name and key identifier with other keys, and a seal under them."""
    root_key, ca_key, seal_key = generate_private_key(), generate_private_key(), generate_private_key()
    ski = real.root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    aki = x509.AuthorityKeyIdentifier(ski.digest, None, None)
    start, end = STAMPED - dt.timedelta(days=2), STAMPED + dt.timedelta(days=400)

    def cert(
        subject: x509.Name, issuer: x509.Name, key: PrivateKey, signer: PrivateKey, ca: bool, **ids: x509.ExtensionType
    ) -> x509.Certificate:
        b = x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
        b = b.serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
        b = b.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        usage = (False, False, False, False, False, True, True, False, False) if ca else (True, True) + (False,) * 7
        b = b.add_extension(x509.KeyUsage(*usage), critical=True)
        for ext in ids.values():
            b = b.add_extension(ext, critical=False)
        return b.sign(signer, hashes.SHA256())

    root = cert(real.root.subject, real.root.subject, root_key, root_key, True, ski=ski)
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = cert(real.pki.issuing.subject, real.root.subject, ca_key, root_key, True, ski=ca_ski, aki=aki)
    seal_aki = x509.AuthorityKeyIdentifier(ca_ski.digest, None, None)
    seal_cert = cert(real.pki.issuing.subject, real.pki.issuing.subject, seal_key, ca_key, False, aki=seal_aki)
    return root, ca, Seal(seal_cert, seal_key, (ca,))


def test_a_link_verified_under_another_key_is_verified_again() -> None:
    """The forged CA's signature verifies under the forged root's key, which carries the real root's name and key
    identifier. Once it did (the forged root trusted), trusting only the real root still breaks the chain there."""
    real = _county()
    forged_root, _ca, seal = _forged(real)
    pdf = real.sign(simple_pdf(), seal, at=STAMPED, level=Level.B_B)

    def verify(*roots: x509.Certificate) -> SubIndication | None:
        return verify_pdf(pdf, trust_roots=roots, at=LATER, crls=[real.crl(LATER)]).subindication

    clear_all()
    assert verify(forged_root, real.root) is SubIndication.TRY_LATER  # the chain holds; no revocation data for it
    assert verify(real.root) is SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE
    assert verify(forged_root) is SubIndication.TRY_LATER


def test_a_validation_time_outside_the_data() -> None:
    """The same document and CRL, verified at times the CRL and the certificate do and do not cover."""
    county = _county()
    seal = county.issue_seal(at=STAMPED - dt.timedelta(hours=1), validity=dt.timedelta(days=2))
    pdf = county.sign(simple_pdf(), seal, at=STAMPED, level=Level.B_B)
    crl = county.crl(LATER)

    def verify(at: dt.datetime) -> tuple[Indication, SubIndication | None]:
        report = verify_pdf(pdf, trust_roots=[county.root], at=at, crls=[crl])
        return report.indication, report.subindication

    covered = LATER + dt.timedelta(hours=1)
    assert verify(covered) == (Indication.TOTAL_PASSED, None)
    # before the CRL was issued it says nothing yet
    assert verify(LATER - dt.timedelta(hours=1)) == (Indication.INDETERMINATE, SubIndication.TRY_LATER)
    # after the certificate expired (no time-stamp proves signing before)
    assert verify(STAMPED + dt.timedelta(days=3)) == (Indication.INDETERMINATE, SubIndication.OUT_OF_BOUNDS_NO_POE)
    assert verify(covered) == (Indication.TOTAL_PASSED, None)


def test_certificate_info_of_a_look_alike() -> None:
    """Two seals of one county with the same name (and a second PKI of the same county: same names, other keys):
    each report shows its own certificate's serial, fingerprint and validity, whichever was shown first."""
    from cryptography.hazmat.primitives.serialization import Encoding

    county, twin = _county(), TestPKI.create()
    certs = [county.issue_seal().cert, county.issue_seal().cert, twin.issue_seal().cert, county.root, twin.root]
    assert certs[0].subject == certs[1].subject == certs[2].subject and certs[3].subject == certs[4].subject
    oid = {x509.NameOID.ORGANIZATION_IDENTIFIER: "organizationIdentifier"}
    clear_all()
    for cert in [*certs, *reversed(certs)]:
        info = certificate_info(cert)
        assert info.serial_hex == format(cert.serial_number, "x")
        assert info.sha256_fingerprint == cert.fingerprint(hashes.SHA256()).hex()
        assert (info.not_before, info.not_after) == (cert.not_valid_before_utc, cert.not_valid_after_utc)
        assert info.issuer == cert.issuer.rfc4514_string(oid)
        assert certificate_info(x509.load_der_x509_certificate(cert.public_bytes(Encoding.DER))) is info
    assert len({certificate_info(c).sha256_fingerprint for c in certs}) == len(certs)
