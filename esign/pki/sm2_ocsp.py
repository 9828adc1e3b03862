"""OCSP answers (RFC 6960) about SM2 certificates, signed with SM2-with-SM3 by a delegated responder.

The same rules as :class:`esign.pki.ocsp.OcspResponder`, built with asn1crypto because pyca/cryptography
cannot sign with SM2: :func:`sm2_ocsp_response` never raises on a bad request (garbage gives
``malformedRequest``, a request about another CA or with a CertID hash other than SHA-1/SHA-256/SM3 gives
``unauthorized``), answers one certificate per request, names the responder by key hash, includes its
certificate, echoes a nonce, and answers a hold as revoked with reason certificateHold. The status comes
from the caller's :data:`esign.pki.ocsp.StatusLookup`, so no SQL here; caching is the caller's business.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

from asn1crypto import core, ocsp

from esign.pki._util import require_utc
from esign.pki.ocsp import OCSP_VALIDITY, StatusLookup
from esign.pki.sm2 import Sm2KeyError, Sm2PrivateKey, sm3
from esign.pki.sm2_certs import ASN1_REASONS, Sm2Certificate, sm2_signature_algorithm
from esign.pki.status import CertState, RevocationReason

__all__ = ["sm2_ocsp_malformed", "sm2_ocsp_response"]

_log = logging.getLogger(__name__)

_HASHES = {
    "sha1": lambda d: hashlib.sha1(d, usedforsecurity=False).digest(),
    "sha256": lambda d: hashlib.sha256(d).digest(),
    "sm3": sm3,
}


def _unsuccessful(status: str) -> bytes:
    return ocsp.OCSPResponse({"response_status": status}).dump()


def sm2_ocsp_malformed() -> bytes:
    """A DER ``malformedRequest`` response, for requests refused before parsing (media type, size)."""
    return _unsuccessful("malformed_request")


def sm2_ocsp_response(
    request_der: bytes,
    status_lookup: StatusLookup,
    *,
    issuer: Sm2Certificate,
    responder: Sm2Certificate,
    responder_key: Sm2PrivateKey,
    at: dt.datetime,
    validity: dt.timedelta = OCSP_VALIDITY,
) -> bytes:
    """The DER OCSPResponse to ``request_der`` about a certificate of ``issuer``, at time ``at``.

    ``responder`` must be the delegated OCSP signer issued by ``issuer`` (its EKU is the PKI's business);
    ``responder_key`` must match it.
    """
    at = require_utc(at).replace(microsecond=0)
    if responder_key.public_key() != responder.public_key:
        raise Sm2KeyError("OCSP 签名密钥与证书不匹配。", "The responder key does not match its certificate.")
    try:
        req = ocsp.OCSPRequest.load(request_der, strict=True)
        tbs = req["tbs_request"]
        requests = tbs["request_list"]
        if len(requests) != 1:
            raise ValueError("one certificate per request")
        cert_id = requests[0]["req_cert"]
        algorithm = cert_id["hash_algorithm"]["algorithm"].native
        name_hash = cert_id["issuer_name_hash"].native
        key_hash = cert_id["issuer_key_hash"].native
        serial = cert_id["serial_number"].native
        nonce = None
        for ext in tbs["request_extensions"] or []:
            if ext["extn_id"].native == "nonce":
                nonce = ext["extn_value"].parsed.native
    except (ValueError, TypeError, KeyError) as e:
        _log.info("malformed OCSP request: %s", e)
        return _unsuccessful("malformed_request")
    digest = _HASHES.get(algorithm)
    key_bits = bytes(issuer.asn1["tbs_certificate"]["subject_public_key_info"]["public_key"])
    if digest is None or (name_hash, key_hash) != (digest(issuer.subject_der), digest(key_bits)):
        return _unsuccessful("unauthorized")

    found = status_lookup(serial)
    if found is not None and found.issuer_serial != issuer.asn1.serial_number:
        found = None
    if found is None:
        status = ocsp.CertStatus("unknown", core.Null())
    elif found.state is CertState.GOOD:
        status = ocsp.CertStatus("good", core.Null())
    else:
        reason = RevocationReason.CERTIFICATE_HOLD if found.state is CertState.ON_HOLD else found.reason
        info: dict[str, object] = {"revocation_time": (found.revoked_at or at).replace(microsecond=0)}
        if reason is not None and reason is not RevocationReason.UNSPECIFIED:
            info["revocation_reason"] = ASN1_REASONS[reason]
        status = ocsp.CertStatus("revoked", ocsp.RevokedInfo(info))
    single = {"cert_id": cert_id, "cert_status": status, "this_update": at, "next_update": at + validity}
    responder_key_hash = hashlib.sha1(
        bytes(responder.asn1["tbs_certificate"]["subject_public_key_info"]["public_key"]), usedforsecurity=False
    ).digest()
    data: dict[str, object] = {
        "responder_id": ocsp.ResponderId("by_key", responder_key_hash),
        "produced_at": at,
        "responses": [single],
    }
    if nonce is not None:
        data["response_extensions"] = [{"extn_id": "nonce", "critical": False, "extn_value": nonce}]
    response_data = ocsp.ResponseData(data)
    basic = ocsp.BasicOCSPResponse(
        {
            "tbs_response_data": response_data,
            "signature_algorithm": sm2_signature_algorithm(),
            "signature": responder_key.sign(response_data.dump()),
            "certs": [responder.asn1],
        }
    )
    return ocsp.OCSPResponse(
        {"response_status": "successful", "response_bytes": {"response_type": "basic_ocsp_response", "response": basic}}
    ).dump()
