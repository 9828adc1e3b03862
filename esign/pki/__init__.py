"""esign.pki: keys, key stores, the county CA hierarchy, seal certificates, CRL, OCSP and TSA.

Nothing here reads the clock or knows about PDFs; functions that change state take an aware UTC
``at``. Database functions live in :mod:`esign.pki.store` (exported here as ``store``); it and the CRL
functions that use it are loaded on first use, so that a verifier reading certificate profiles does not
load SQLAlchemy.
"""

from typing import TYPE_CHECKING

from esign.lazy import lazy_face
from esign.pki._util import serial_hex
from esign.pki.ca import CERT_FILES, KEY_IDS, CountyPKI, published_base_url
from esign.pki.certio import (
    certificate_der,
    certificate_pem,
    load_certificate,
    load_certificate_file,
    write_public_file,
)
from esign.pki.keys import KeyAlgorithm, PrivateKey, PublicKey, algorithm_of, generate_private_key, signature_hash
from esign.pki.keystore import FileKeyStore, KeyStore, MemoryKeyStore, validate_key_id
from esign.pki.ocsp import OcspResponder, StatusLookup
from esign.pki.oids import DOCUMENT_SIGNING, SEAL_POLICY, TSA_POLICY
from esign.pki.profiles import CountyInfo, SealSubject, random_serial, validate_uscc
from esign.pki.status import CertKind, CertState, CertStatus, RevocationReason
from esign.pki.tsa import NextSerialAndTime, TimeStampAuthority, TimeStampResp

if TYPE_CHECKING:
    from esign.pki import store
    from esign.pki.crl import CRL_PERIOD, build_crl, current_crl, publish_crl
    from esign.pki.sm2_ca import SM2_DIR, Sm2CountyPKI, Sm2OcspResponder, Sm2Trust, county_sm2_trust
    from esign.pki.sm2_tsa import Sm2TimeStampAuthority
    from esign.pki.timestamper import InProcessTimeStamper
    from esign.pki.usecases import crl_of, ocsp_answer, sm2_crl_of, sm2_ocsp_answer, tsa_serials

#: Names imported on first use: pyHanko only by whoever time-stamps in process, the SM2 hierarchy (and
#: its C extension) only by whoever uses it, SQLAlchemy (the store, the CRL) only by whoever uses the
#: tables, not by every reader of a certificate.
#: Where each name loaded on first use lives.
_LAZY = {
    "store": ("store",),
    "crl": ("CRL_PERIOD", "build_crl", "current_crl", "publish_crl"),
    "timestamper": ("InProcessTimeStamper",),
    "sm2_ca": ("SM2_DIR", "Sm2CountyPKI", "Sm2OcspResponder", "Sm2Trust", "county_sm2_trust"),
    "sm2_tsa": ("Sm2TimeStampAuthority",),
    "usecases": ("crl_of", "ocsp_answer", "sm2_crl_of", "sm2_ocsp_answer", "tsa_serials"),
}


__all__ = [
    "CERT_FILES",
    "CRL_PERIOD",
    "DOCUMENT_SIGNING",
    "KEY_IDS",
    "SEAL_POLICY",
    "SM2_DIR",
    "TSA_POLICY",
    "CertKind",
    "CertState",
    "CertStatus",
    "CountyInfo",
    "CountyPKI",
    "FileKeyStore",
    "InProcessTimeStamper",
    "KeyAlgorithm",
    "KeyStore",
    "MemoryKeyStore",
    "NextSerialAndTime",
    "OcspResponder",
    "PrivateKey",
    "PublicKey",
    "RevocationReason",
    "SealSubject",
    "Sm2CountyPKI",
    "Sm2OcspResponder",
    "Sm2TimeStampAuthority",
    "Sm2Trust",
    "StatusLookup",
    "TimeStampAuthority",
    "TimeStampResp",
    "algorithm_of",
    "build_crl",
    "certificate_der",
    "certificate_pem",
    "county_sm2_trust",
    "crl_of",
    "current_crl",
    "generate_private_key",
    "load_certificate",
    "load_certificate_file",
    "ocsp_answer",
    "publish_crl",
    "published_base_url",
    "random_serial",
    "serial_hex",
    "signature_hash",
    "sm2_crl_of",
    "sm2_ocsp_answer",
    "store",
    "tsa_serials",
    "validate_key_id",
    "validate_uscc",
    "write_public_file",
]

__getattr__, __dir__ = lazy_face(__name__, __all__, _LAZY)
