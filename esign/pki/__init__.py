"""esign.pki: keys, key stores, the county CA hierarchy, seal certificates, CRL, OCSP and TSA.

Nothing here reads the clock or knows about PDFs; functions that change state take an aware UTC
``at``. Database functions live in :mod:`esign.pki.store` (imported here as ``store``).
"""

from typing import TYPE_CHECKING, Any

from esign.pki import store
from esign.pki._util import serial_hex
from esign.pki.ca import CERT_FILES, KEY_IDS, CountyPKI
from esign.pki.certio import (
    certificate_der,
    certificate_pem,
    load_certificate,
    load_certificate_file,
    write_public_file,
)
from esign.pki.crl import CRL_PERIOD, build_crl, current_crl, publish_crl
from esign.pki.keys import KeyAlgorithm, PrivateKey, PublicKey, algorithm_of, generate_private_key, signature_hash
from esign.pki.keystore import FileKeyStore, KeyStore, MemoryKeyStore, validate_key_id
from esign.pki.ocsp import OcspResponder, StatusLookup
from esign.pki.oids import DOCUMENT_SIGNING, SEAL_POLICY, TSA_POLICY
from esign.pki.profiles import CountyInfo, SealSubject, random_serial, validate_uscc
from esign.pki.status import CertKind, CertState, CertStatus, RevocationReason
from esign.pki.tsa import NextSerialAndTime, TimeStampAuthority, TimeStampResp

if TYPE_CHECKING:
    from esign.pki.timestamper import InProcessTimeStamper


def __getattr__(name: str) -> Any:
    # pyHanko is imported only by whoever time-stamps in process, not by every user of the tables.
    if name == "InProcessTimeStamper":
        from esign.pki.timestamper import InProcessTimeStamper

        return InProcessTimeStamper
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CERT_FILES",
    "CRL_PERIOD",
    "DOCUMENT_SIGNING",
    "KEY_IDS",
    "SEAL_POLICY",
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
    "StatusLookup",
    "TimeStampAuthority",
    "TimeStampResp",
    "algorithm_of",
    "build_crl",
    "certificate_der",
    "certificate_pem",
    "current_crl",
    "generate_private_key",
    "load_certificate",
    "load_certificate_file",
    "publish_crl",
    "random_serial",
    "serial_hex",
    "signature_hash",
    "store",
    "validate_key_id",
    "validate_uscc",
    "write_public_file",
]
