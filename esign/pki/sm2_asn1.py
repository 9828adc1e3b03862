"""The SM2/SM3 object identifiers, registered once in asn1crypto's maps.

Importing this module teaches asn1crypto the names of the Chinese commercial-cryptography
identifiers (GM/T 0006-2012, "密码应用标识规范"; the same numbers as GB/T 33560-2017):

- ``1.2.156.10197.1.301`` sm2p256v1, the SM2 recommended curve (GB/T 32918.5), written as an EC named
  curve in SubjectPublicKeyInfo: algorithm id-ecPublicKey, parameters the curve OID (GB/T 20518-2018
  §6.2.2; RFC 5480 shape; what OpenSSL 3 and BouncyCastle write);
- ``1.2.156.10197.1.501`` SM2-with-SM3, the signature algorithm of certificates, CRLs, OCSP answers and
  seal data (GB/T 20518-2018, GB/T 38540-2020 signAlgID);
- ``1.2.156.10197.1.401`` SM3 (GB/T 32905-2016), as a digest algorithm.

Everything in esign that reads or writes SM2 structures with asn1crypto imports this module first
(``esign.pki.sm2`` does), so the registration happens in exactly one place.
"""

from __future__ import annotations

from asn1crypto import algos, core, keys

__all__ = [
    "SM2_CURVE_NAME",
    "SM2_CURVE_OID",
    "SM2_WITH_SM3_NAME",
    "SM2_WITH_SM3_OID",
    "SM3_NAME",
    "SM3_OID",
]

#: The SM2 recommended curve (GB/T 32918.5-2017), also the SM2 public key algorithm parameter.
SM2_CURVE_OID = "1.2.156.10197.1.301"
#: SM2 signature with SM3 (GM/T 0006-2012 §5.3.1, GB/T 20518-2018).
SM2_WITH_SM3_OID = "1.2.156.10197.1.501"
#: SM3 cryptographic hash (GM/T 0006-2012).
SM3_OID = "1.2.156.10197.1.401"

#: asn1crypto's names for them (the first is OpenSSL's short name for the curve).
SM2_CURVE_NAME = "sm2p256v1"
SM2_WITH_SM3_NAME = "sm2_sm3"
SM3_NAME = "sm3"


def _register(cls: type[core.ObjectIdentifier], oid: str, name: str) -> None:
    cls._map[oid] = name
    if cls._reverse_map is not None:
        cls._reverse_map[name] = oid


keys.NamedCurve.register(SM2_CURVE_NAME, SM2_CURVE_OID, 32)
_register(algos.SignedDigestAlgorithmId, SM2_WITH_SM3_OID, SM2_WITH_SM3_NAME)
_register(algos.DigestAlgorithmId, SM3_OID, SM3_NAME)
