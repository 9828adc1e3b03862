"""Certificate profiles of a county PKI, built with cryptography's X.509 builder.

Two tiers: an offline-style root CA (pathlen 1) certifies one online issuing CA (pathlen 0), which
certifies the time-stamping unit, the delegated OCSP signer and every township seal. Each builder
takes the signing time ``at``; ``notBefore`` is backdated a few minutes for clock skew and
``notAfter`` never exceeds the issuer's.

Every certificate below the root says where its revocation status is published (RFC 5280
4.2.1.13 CRL distribution points, 4.2.2.1 authority information access): the issuing CA points at
the root's CRL and the root certificate, so validators that require revocation data for every CA
in the path (``pyhanko sign validate --force-revinfo``, EU DSS) find it in the document's DSS or
online.

The seal's organizationIdentifier (2.5.4.97) follows ETSI EN 319 412-1 clause 5.1.4: three
characters of identity type, the ISO 3166 country code, a hyphen-minus, then the identifier;
"NTR" is an identifier from a national trade register. The 统一社会信用代码 (GB 32100-2015) is
the national register number of every organisation in China, public bodies included, so seals
carry ``NTRCN-`` + the 18-character code (the CA/Browser Forum's EV guidelines, 7.1.4.2.8 and
appendix H, use the same form, e.g. ``NTRGB-12345678``). Validators that read the attribute
back strip the prefix with :func:`uscc_of_identifier`.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import warnings
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from esign.errors import InputError
from esign.pki._util import require_utc
from esign.pki.keys import PrivateKey, PublicKey, signature_hash
from esign.pki.oids import DOCUMENT_SIGNING, SEAL_POLICY, TSA_POLICY

__all__ = [
    "BACKDATE",
    "ISSUING_VALIDITY",
    "OCSP_VALIDITY",
    "ROOT_VALIDITY",
    "SEAL_VALIDITY",
    "TSA_VALIDITY",
    "CountyInfo",
    "SealSubject",
    "crl_url",
    "issuing_ca_certificate",
    "issuing_url",
    "ocsp_signer_certificate",
    "ocsp_url",
    "random_serial",
    "reissued_issuing_ca_certificate",
    "root_ca_certificate",
    "root_crl_url",
    "root_url",
    "seal_certificate",
    "tsa_certificate",
    "uscc_of_identifier",
    "validate_uscc",
]

_DAY = dt.timedelta(days=1)
#: Default lifetime of the root CA.
ROOT_VALIDITY = 20 * 365 * _DAY
#: Default lifetime of the issuing CA.
ISSUING_VALIDITY = 10 * 365 * _DAY
#: Default lifetime of the TSA certificate (long: timestamps must stay verifiable for years).
TSA_VALIDITY = 5 * 365 * _DAY
#: Default lifetime of the OCSP signer certificate (short: it carries id-pkix-ocsp-nocheck).
OCSP_VALIDITY = 365 * _DAY
#: Default lifetime of a seal certificate.
SEAL_VALIDITY = 3 * 365 * _DAY
#: How far ``notBefore`` lies before ``at``, for relying parties with slightly slow clocks.
BACKDATE = dt.timedelta(minutes=5)

# GB 32100-2015 统一社会信用代码: 18 characters from this alphabet, the last one a check character.
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC = re.compile(f"[{_USCC_ALPHABET}]{{18}}")


def validate_uscc(code: str) -> str:
    """Return ``code`` if it is a well-formed 统一社会信用代码 (GB 32100-2015, check character included)."""
    if isinstance(code, str) and _USCC.fullmatch(code):
        total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(code[:17], _USCC_WEIGHTS, strict=True))
        if _USCC_ALPHABET[(31 - total % 31) % 31] == code[17]:
            return code
    raise InputError(
        "统一社会信用代码格式不正确（18位，校验位须符合 GB 32100-2015）。",
        "Not a valid unified social credit code (18 characters with a GB 32100-2015 check character).",
        code="invalid_uscc",
        field="organization_identifier",
    )


#: ETSI EN 319 412-1 5.1.4 semantics prefix of a national trade register number issued in China.
NTR_CN_PREFIX = "NTRCN-"


def uscc_of_identifier(value: str | None) -> str | None:
    """The 统一社会信用代码 in an organizationIdentifier value (``NTRCN-`` prefix removed, if present)."""
    if value is not None and value.startswith(NTR_CN_PREFIX):
        return value[len(NTR_CN_PREFIX) :]
    return value


def _text(value: str, field: str, limit: int) -> None:
    # Upper bounds of X.520 (ub-common-name 64, ub-organization-name 64, ub-locality-name 128 ...).
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise InputError(
            f"{field} 不能为空且不能超过 {limit} 个字符。",
            f"{field} must be non-empty and at most {limit} characters.",
            code="invalid_subject",
            field=field,
        )


def _common_name(value: str) -> x509.NameAttribute[str]:
    """commonName as X.520 bounds it: at most ub-common-name (64) *characters* of a DirectoryString,
    encoded as UTF8String (RFC 5280 section 4.1.2.6 and Appendix A.1, ``X520CommonName ::=
    DirectoryString (SIZE (1..ub-common-name))``; the SIZE of a character string counts characters).

    cryptography counts UTF-8 bytes instead, so a 22-character Chinese seal name (66 bytes) would be
    refused; the character bound is checked here by :func:`_text` and cryptography's byte check is
    turned into a warning, which is silenced. OpenSSL, BouncyCastle and pyHanko read such names.
    """
    _text(value, "common_name", 64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return x509.NameAttribute(NameOID.COMMON_NAME, value, _validate=False)


def _country(value: str) -> None:
    if not (isinstance(value, str) and len(value) == 2 and value.isascii() and value.isupper()):
        raise InputError("国家代码须为两位大写字母。", "country must be two upper-case letters.", field="country")


@dataclass(frozen=True, kw_only=True)
class CountyInfo:
    """The county whose PKI this is; it names the CA, TSA and OCSP certificates."""

    province: str
    """Province, e.g. ``山西省`` (stateOrProvinceName)."""
    city: str
    """Prefecture-level city, e.g. ``临汾市`` (localityName of the CA certificates)."""
    county: str
    """County, e.g. ``蒲县``; prefixes the CA common names."""
    office: str
    """The operator of the PKI, e.g. ``蒲县行政审批服务局`` (organizationName of the CA certificates)."""
    country: str = "CN"
    """ISO 3166 country code."""

    def __post_init__(self) -> None:
        _country(self.country)
        _text(self.province, "province", 128)
        _text(self.city, "city", 128)
        _text(self.county, "county", 40)
        _text(self.office, "office", 64)

    def name(self, common_name: str) -> x509.Name:
        """The distinguished name of a county PKI certificate with ``common_name``."""
        _text(common_name, "common_name", 64)
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, self.country),
                x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, self.province),
                x509.NameAttribute(NameOID.LOCALITY_NAME, self.city),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.office),
                _common_name(common_name),
            ]
        )


@dataclass(frozen=True, kw_only=True)
class SealSubject:
    """Who a seal certificate names: the township government and the seal's full name."""

    province: str
    """Province (stateOrProvinceName), e.g. ``山西省``."""
    locality: str
    """County or city (localityName), e.g. ``蒲县``."""
    organization: str
    """The township government (organizationName), e.g. ``蒲县克城镇人民政府``."""
    common_name: str
    """The seal's full name (commonName), e.g. ``蒲县克城镇人民政府行政审批服务专用章``."""
    organization_identifier: str
    """The township's 统一社会信用代码, checked per GB 32100-2015; written into organizationIdentifier
    (2.5.4.97) as ``NTRCN-`` + the code (ETSI EN 319 412-1 5.1.4)."""
    organizational_unit: str = "便民服务中心"
    """The unit using the seal (organizationalUnitName)."""
    country: str = "CN"
    """ISO 3166 country code."""

    def __post_init__(self) -> None:
        _country(self.country)
        _text(self.province, "province", 128)
        _text(self.locality, "locality", 128)
        _text(self.organization, "organization", 64)
        _text(self.organizational_unit, "organizational_unit", 64)
        _text(self.common_name, "common_name", 64)
        validate_uscc(self.organization_identifier)

    @classmethod
    def in_county(
        cls,
        county: CountyInfo,
        *,
        organization: str,
        common_name: str,
        organization_identifier: str,
        organizational_unit: str = "便民服务中心",
    ) -> SealSubject:
        """A township seal subject in ``county`` (province and locality taken from it)."""
        return cls(
            country=county.country,
            province=county.province,
            locality=county.county,
            organization=organization,
            organizational_unit=organizational_unit,
            common_name=common_name,
            organization_identifier=organization_identifier,
        )

    def to_name(self) -> x509.Name:
        """The X.509 distinguished name."""
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, self.country),
                x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, self.province),
                x509.NameAttribute(NameOID.LOCALITY_NAME, self.locality),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.organization),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, self.organizational_unit),
                x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, NTR_CN_PREFIX + self.organization_identifier),
                _common_name(self.common_name),
            ]
        )


def random_serial() -> int:
    """A 159-bit random positive serial (at most 20 DER octets, as RFC 5280 requires)."""
    while True:
        value = secrets.randbits(159)
        if value > 0:
            return value


def crl_url(base_url: str) -> str:
    """Where the issuing CA's CRL is published."""
    return f"{base_url.rstrip('/')}/pki/crl"


def ocsp_url(base_url: str) -> str:
    """Where the OCSP responder answers."""
    return f"{base_url.rstrip('/')}/pki/ocsp"


def issuing_url(base_url: str) -> str:
    """Where the issuing CA certificate is published (caIssuers)."""
    return f"{base_url.rstrip('/')}/pki/issuing.crt"


def root_url(base_url: str) -> str:
    """Where the root CA certificate is published (caIssuers of the issuing CA)."""
    return f"{base_url.rstrip('/')}/pki/root.crt"


def root_crl_url(base_url: str) -> str:
    """Where the root's CRL (covering the issuing CA) is published."""
    return f"{base_url.rstrip('/')}/pki/root.crl"


def _check_base_url(base_url: str) -> str:
    if not isinstance(base_url, str) or not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", base_url):
        raise InputError("公共地址须为 http(s):// 开头的 URL。", "base_url must be an http(s) URL.", field="base_url")
    return base_url.rstrip("/")


def _builder(
    subject: x509.Name,
    public_key: PublicKey,
    *,
    issuer: x509.Certificate | None,
    at: dt.datetime,
    validity: dt.timedelta,
) -> x509.CertificateBuilder:
    at = require_utc(at)
    if validity <= dt.timedelta(0):
        raise InputError("有效期必须为正。", "validity must be positive.", field="validity")
    not_after = at + validity
    if issuer is not None:
        # A certificate must not outlive its issuer; shorten silently rather than mint a broken chain.
        not_after = min(not_after, issuer.not_valid_after_utc)
        if not_after <= at:
            raise InputError("签发证书已过期。", "The issuer certificate has expired.", code="issuer_expired")
    issuer_name = subject if issuer is None else issuer.subject
    b = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(public_key)
        .serial_number(random_serial())
        .not_valid_before(at - BACKDATE)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    if issuer is not None:
        ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
    return b


def _ku(*, ca: bool = False, digital_signature: bool = False, non_repudiation: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=non_repudiation,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _policies(*oids: x509.ObjectIdentifier) -> x509.CertificatePolicies:
    return x509.CertificatePolicies([x509.PolicyInformation(oid, None) for oid in oids])


def _revocation_pointers(b: x509.CertificateBuilder, base_url: str) -> x509.CertificateBuilder:
    base = _check_base_url(base_url)
    return b.add_extension(
        x509.CRLDistributionPoints(
            [x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url(base))], None, None, None)]
        ),
        critical=False,
    ).add_extension(
        x509.AuthorityInformationAccess(
            [
                x509.AccessDescription(
                    x509.oid.AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url(base))
                ),
                x509.AccessDescription(
                    x509.oid.AuthorityInformationAccessOID.CA_ISSUERS,
                    x509.UniformResourceIdentifier(issuing_url(base)),
                ),
            ]
        ),
        critical=False,
    )


def _sign(b: x509.CertificateBuilder, key: PrivateKey) -> x509.Certificate:
    return b.sign(key, signature_hash(key))


def root_ca_certificate(
    county: CountyInfo, key: PrivateKey, *, at: dt.datetime, validity: dt.timedelta = ROOT_VALIDITY
) -> x509.Certificate:
    """The self-signed root: CA with pathLen 1, keyCertSign + cRLSign."""
    b = _builder(county.name(f"{county.county}电子印章根CA"), key.public_key(), issuer=None, at=at, validity=validity)
    b = b.add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
    b = b.add_extension(_ku(ca=True), critical=True)
    return _sign(b, key)


def issuing_ca_certificate(
    county: CountyInfo,
    public_key: PublicKey,
    *,
    issuer_cert: x509.Certificate,
    issuer_key: PrivateKey,
    base_url: str,
    at: dt.datetime,
    validity: dt.timedelta = ISSUING_VALIDITY,
) -> x509.Certificate:
    """The online issuing CA: pathLen 0, keyCertSign + cRLSign, the seal and TSA policies, the
    root's CRL as its distribution point and the root certificate as caIssuers.

    The root key is offline: its CRL is made at ``esign init`` for a year (``root.crl``).
    """
    subject = county.name(f"{county.county}电子印章签发CA")
    return _issuing_ca(subject, public_key, issuer_cert, issuer_key, base_url, at, validity)


def reissued_issuing_ca_certificate(
    current: x509.Certificate, *, issuer_cert: x509.Certificate, issuer_key: PrivateKey, base_url: str, at: dt.datetime
) -> x509.Certificate:
    """``current`` issued again under today's profile: same subject, key and end of validity, a new
    serial. Everything it certified (seals, TSA, OCSP signer, CRLs) chains to the new one, as names
    and key identifiers are unchanged."""
    validity = current.not_valid_after_utc - require_utc(at)
    return _issuing_ca(current.subject, current.public_key(), issuer_cert, issuer_key, base_url, at, validity)  # type: ignore[arg-type]


def _issuing_ca(
    subject: x509.Name,
    public_key: PublicKey,
    issuer_cert: x509.Certificate,
    issuer_key: PrivateKey,
    base_url: str,
    at: dt.datetime,
    validity: dt.timedelta,
) -> x509.Certificate:
    b = _builder(subject, public_key, issuer=issuer_cert, at=at, validity=validity)
    b = b.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
    b = b.add_extension(_ku(ca=True), critical=True)
    b = b.add_extension(_policies(SEAL_POLICY, TSA_POLICY), critical=False)
    base = _check_base_url(base_url)
    b = b.add_extension(
        x509.CRLDistributionPoints(
            [x509.DistributionPoint([x509.UniformResourceIdentifier(root_crl_url(base))], None, None, None)]
        ),
        critical=False,
    ).add_extension(
        x509.AuthorityInformationAccess(
            [
                x509.AccessDescription(
                    x509.oid.AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(root_url(base))
                )
            ]
        ),
        critical=False,
    )
    return _sign(b, issuer_key)


def tsa_certificate(
    county: CountyInfo,
    public_key: PublicKey,
    *,
    issuer_cert: x509.Certificate,
    issuer_key: PrivateKey,
    base_url: str,
    at: dt.datetime,
    validity: dt.timedelta = TSA_VALIDITY,
) -> x509.Certificate:
    """The time-stamping unit: EKU timeStamping only, critical (RFC 3161 section 2.3)."""
    b = _builder(county.name(f"{county.county}时间戳服务"), public_key, issuer=issuer_cert, at=at, validity=validity)
    b = b.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    b = b.add_extension(_ku(digital_signature=True), critical=True)
    b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    b = b.add_extension(_policies(TSA_POLICY), critical=False)
    b = _revocation_pointers(b, base_url)
    return _sign(b, issuer_key)


def ocsp_signer_certificate(
    county: CountyInfo,
    public_key: PublicKey,
    *,
    issuer_cert: x509.Certificate,
    issuer_key: PrivateKey,
    at: dt.datetime,
    validity: dt.timedelta = OCSP_VALIDITY,
) -> x509.Certificate:
    """The delegated OCSP signer: EKU OCSPSigning and id-pkix-ocsp-nocheck (RFC 6960 section 4.2.2.2.1).

    With nocheck, clients do not ask about the signer itself; the short default lifetime bounds the
    damage if its key leaks.
    """
    b = _builder(
        county.name(f"{county.county}证书状态服务OCSP"), public_key, issuer=issuer_cert, at=at, validity=validity
    )
    b = b.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    b = b.add_extension(_ku(digital_signature=True), critical=True)
    b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False)
    b = b.add_extension(x509.OCSPNoCheck(), critical=False)
    return _sign(b, issuer_key)


def seal_certificate(
    subject: SealSubject,
    public_key: PublicKey,
    *,
    issuer_cert: x509.Certificate,
    issuer_key: PrivateKey,
    base_url: str,
    at: dt.datetime,
    validity: dt.timedelta = SEAL_VALIDITY,
) -> x509.Certificate:
    """A township seal: digitalSignature + nonRepudiation (critical), EKU documentSigning (RFC 9336),
    the seal policy, CRL and OCSP pointers."""
    b = _builder(subject.to_name(), public_key, issuer=issuer_cert, at=at, validity=validity)
    b = b.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    b = b.add_extension(_ku(digital_signature=True, non_repudiation=True), critical=True)
    # emailProtection beside documentSigning: NSS (poppler's pdfsig, Firefox-based readers) checks
    # PDF signers under its "email signer" usage and refuses an EKU list without it.
    b = b.add_extension(x509.ExtendedKeyUsage([DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
    b = b.add_extension(_policies(SEAL_POLICY), critical=False)
    b = _revocation_pointers(b, base_url)
    return _sign(b, issuer_key)
