"""esign.ses: GB/T 38540-2020 seal data (SES_Seal) and electronic signatures (SES_Signature), version 4.

SM2/SM3 throughout (:mod:`esign.pki.sm2`). :mod:`esign.ses.asn1` holds the standard's structures,
:mod:`esign.ses.seal` makes and reads seals, :mod:`esign.ses.verify` judges a seal on its own,
:mod:`esign.ses.signature` signs and verifies (the API the OFD signer uses).
Reports are :class:`esign.verify.report.VerificationReport`, the PAdES verifier's type.
"""

from esign.ses.chain import ChainResult, RevocationLookup, crl_lookup, load_sm2_certificates, validate_chain
from esign.ses.seal import (
    ORGANIZATION_SEAL,
    PERSONAL_SEAL,
    SEAL_VERSION,
    Seal,
    SealPicture,
    SesExtension,
    SesFormatError,
    make_seal,
    parse_seal,
)
from esign.ses.signature import SesSignature, Timestamper, parse_signature, sign, verify_signature
from esign.ses.verify import SesTrust, verify_seal

__all__ = [
    "ORGANIZATION_SEAL",
    "PERSONAL_SEAL",
    "SEAL_VERSION",
    "ChainResult",
    "RevocationLookup",
    "Seal",
    "SealPicture",
    "SesExtension",
    "SesFormatError",
    "SesSignature",
    "SesTrust",
    "Timestamper",
    "crl_lookup",
    "load_sm2_certificates",
    "make_seal",
    "parse_seal",
    "parse_signature",
    "sign",
    "validate_chain",
    "verify_seal",
    "verify_signature",
]
