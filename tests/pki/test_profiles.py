from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from esign.errors import InputError
from esign.pki import profiles
from esign.pki.ca import CountyPKI
from esign.pki.keys import generate_private_key
from esign.pki.oids import DOCUMENT_SIGNING, ESIGN_ARC, SEAL_POLICY, TSA_POLICY
from esign.pki.profiles import SealSubject, validate_uscc
from tests.pki.conftest import BASE_URL, COUNTY, SEAL_SUBJECT, USCC

AT = dt.datetime(2025, 6, 1, 8, 0, tzinfo=dt.UTC)


def ext(cert: x509.Certificate, cls: type) -> x509.Extension:
    return cert.extensions.get_extension_for_class(cls)


def test_oids_under_uuid_arc() -> None:
    assert ESIGN_ARC.startswith("2.25.")
    assert int(ESIGN_ARC.split(".")[2]) < 2**128
    assert SEAL_POLICY.dotted_string == ESIGN_ARC + ".1"
    assert TSA_POLICY.dotted_string == ESIGN_ARC + ".2"
    assert DOCUMENT_SIGNING.dotted_string == "1.3.6.1.5.5.7.3.36"


def test_ca_profiles(pki: CountyPKI) -> None:
    root, issuing = pki.root, pki.issuing
    bc = ext(root, x509.BasicConstraints)
    assert bc.critical and bc.value.ca and bc.value.path_length == 1
    bc = ext(issuing, x509.BasicConstraints)
    assert bc.critical and bc.value.ca and bc.value.path_length == 0
    for ca in (root, issuing):
        ku = ext(ca, x509.KeyUsage)
        assert ku.critical and ku.value.key_cert_sign and ku.value.crl_sign and not ku.value.digital_signature
    assert (
        ext(issuing, x509.AuthorityKeyIdentifier).value.key_identifier
        == ext(root, x509.SubjectKeyIdentifier).value.digest
    )
    assert root.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "蒲县电子印章根CA"
    # the issuing CA says where the root publishes its CRL and its certificate (RFC 5280 4.2.1.13, 4.2.2.1)
    dp = ext(issuing, x509.CRLDistributionPoints).value
    assert [n.value for d in dp for n in d.full_name or ()] == [f"{BASE_URL}/pki/root.crl"]
    aia = ext(issuing, x509.AuthorityInformationAccess).value
    assert [(a.access_method, a.access_location.value) for a in aia] == [
        (x509.oid.AuthorityInformationAccessOID.CA_ISSUERS, f"{BASE_URL}/pki/root.crt")
    ]
    assert root.not_valid_after_utc - root.not_valid_before_utc > dt.timedelta(days=19 * 365)


def test_tsa_profile(pki: CountyPKI) -> None:
    eku = ext(pki.tsa, x509.ExtendedKeyUsage)
    assert eku.critical and list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    assert ext(pki.tsa, x509.KeyUsage).value.digital_signature
    assert ext(pki.tsa, x509.BasicConstraints).value.ca is False


def test_ocsp_profile(pki: CountyPKI) -> None:
    assert list(ext(pki.ocsp, x509.ExtendedKeyUsage).value) == [ExtendedKeyUsageOID.OCSP_SIGNING]
    assert isinstance(ext(pki.ocsp, x509.OCSPNoCheck).value, x509.OCSPNoCheck)
    assert pki.ocsp.not_valid_after_utc - pki.ocsp.not_valid_before_utc < dt.timedelta(days=400)


def test_seal_profile(pki: CountyPKI) -> None:
    key = generate_private_key()
    cert = pki.issue_seal_certificate(SEAL_SUBJECT, key.public_key(), at=AT)
    attrs = {a.oid: a.value for a in cert.subject}
    assert attrs == {
        NameOID.COUNTRY_NAME: "CN",
        NameOID.STATE_OR_PROVINCE_NAME: "山西省",
        NameOID.LOCALITY_NAME: "蒲县",
        NameOID.ORGANIZATION_NAME: "蒲县克城镇人民政府",
        NameOID.ORGANIZATIONAL_UNIT_NAME: "便民服务中心",
        NameOID.ORGANIZATION_IDENTIFIER: "NTRCN-" + USCC,  # ETSI EN 319 412-1 5.1.4
        NameOID.COMMON_NAME: "蒲县克城镇人民政府行政审批服务专用章",
    }
    assert cert.issuer == pki.issuing.subject
    ku = ext(cert, x509.KeyUsage)
    assert ku.critical and ku.value.digital_signature and ku.value.content_commitment
    assert not ku.value.key_cert_sign and not ku.value.key_encipherment
    # documentSigning (RFC 9336) plus emailProtection, which NSS-based PDF readers require of signers
    assert list(ext(cert, x509.ExtendedKeyUsage).value) == [DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]
    assert [p.policy_identifier for p in ext(cert, x509.CertificatePolicies).value] == [SEAL_POLICY]
    dp = ext(cert, x509.CRLDistributionPoints).value
    assert dp[0].full_name[0].value == f"{BASE_URL}/pki/crl"
    aia = {d.access_method: d.access_location.value for d in ext(cert, x509.AuthorityInformationAccess).value}
    assert aia == {
        x509.oid.AuthorityInformationAccessOID.OCSP: f"{BASE_URL}/pki/ocsp",
        x509.oid.AuthorityInformationAccessOID.CA_ISSUERS: f"{BASE_URL}/pki/issuing.crt",
    }
    assert ext(cert, x509.SubjectKeyIdentifier).value == x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    assert (
        ext(cert, x509.AuthorityKeyIdentifier).value.key_identifier
        == ext(pki.issuing, x509.SubjectKeyIdentifier).value.digest
    )
    assert ext(cert, x509.BasicConstraints).value.ca is False
    assert cert.not_valid_before_utc == AT - profiles.BACKDATE
    assert cert.not_valid_after_utc == AT + profiles.SEAL_VALIDITY
    cert.verify_directly_issued_by(pki.issuing)


def test_validity_is_clamped_to_the_issuer(pki: CountyPKI) -> None:
    cert = pki.issue_seal_certificate(
        SEAL_SUBJECT, generate_private_key().public_key(), at=AT, validity=dt.timedelta(days=365 * 50)
    )
    assert cert.not_valid_after_utc == pki.issuing.not_valid_after_utc


def test_naive_time_refused(pki: CountyPKI) -> None:
    with pytest.raises(InputError):
        pki.issue_seal_certificate(SEAL_SUBJECT, generate_private_key().public_key(), at=dt.datetime(2025, 1, 1))


def test_serials_are_random_positive_159_bit(pki: CountyPKI) -> None:
    serials = {profiles.random_serial() for _ in range(200)}
    assert len(serials) == 200
    assert all(0 < s < 2**159 for s in serials)
    assert max(serials).bit_length() > 150
    for cert in (pki.root, pki.issuing, pki.tsa, pki.ocsp):
        assert 0 < cert.serial_number < 2**159


def test_uscc_check_character() -> None:
    assert validate_uscc(USCC) == USCC
    for bad in ["11141033MB12345677", "11141033MB1234567", "11141033mb12345676", "11141033IB12345676", ""]:
        with pytest.raises(InputError):
            validate_uscc(bad)
    # another well-formed code with a letter as check character
    assert validate_uscc("11100000MB0143028R")


@pytest.mark.parametrize(
    "change",
    [
        {"organization_identifier": "123"},
        {"common_name": ""},
        {"common_name": "章" * 65},
        {"country": "China"},
        {"organizational_unit": "  "},
    ],
)
def test_seal_subject_validation(change: dict[str, str]) -> None:
    fields = {
        "province": "山西省",
        "locality": "蒲县",
        "organization": "蒲县克城镇人民政府",
        "common_name": "蒲县克城镇人民政府行政审批服务专用章",
        "organization_identifier": USCC,
    }
    SealSubject(**fields)
    with pytest.raises(InputError):
        SealSubject(**{**fields, **change})


def test_bad_base_url_refused() -> None:
    key = generate_private_key()
    root = profiles.root_ca_certificate(COUNTY, key, at=AT)
    with pytest.raises(InputError):
        profiles.seal_certificate(
            SEAL_SUBJECT, key.public_key(), issuer_cert=root, issuer_key=key, base_url="ftp://x", at=AT
        )
