"""The object identifiers esign defines or relies on, in one place.

esign's own identifiers live under a UUID arc (ITU-T X.667, ``2.25.<128-bit integer>``), generated
once for this project, so no registration is needed and no collision is possible.
"""

from __future__ import annotations

from cryptography.x509 import ObjectIdentifier

__all__ = [
    "DOCUMENT_SIGNING",
    "ESIGN_ARC",
    "SEAL_POLICY",
    "TSA_POLICY",
]

#: The project's arc: 2.25 followed by a random UUID as an integer (never change it).
ESIGN_ARC = "2.25.34444082614067278513898982660690680773"

#: Certificate policy of township seal certificates (CertificatePolicies of the seal certificate).
SEAL_POLICY = ObjectIdentifier(f"{ESIGN_ARC}.1")

#: Time-stamping policy of the county TSA (TSTInfo.policy and the TSA certificate's policy).
TSA_POLICY = ObjectIdentifier(f"{ESIGN_ARC}.2")

#: id-kp-documentSigning (RFC 9336): the extended key usage for signing human-readable documents.
DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")
