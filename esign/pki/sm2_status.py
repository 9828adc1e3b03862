"""SM2-signed CRLs and OCSP responses of the SM2 issuing CA (RFC 5280 §5, RFC 6960), with asn1crypto.

Same store, same answers as the ECDSA side (:mod:`esign.pki.crl`, :mod:`esign.pki.ocsp`): a seal's
SM2 certificate is revoked, held and released in the same transaction as its ECDSA one, and both
CRLs come from :func:`esign.pki.store.revoked_list` of their issuer. Signatures are SM2-with-SM3
(``1.2.156.10197.1.501``) with the GB/T 35276 default user ID.

The OCSP responder never raises on a bad request: garbage gives ``malformedRequest``, a request
about another CA (or with a CertID hash other than SHA-1, SHA-256 or SM3) gives ``unauthorized``;
one certificate per request, as every mainstream client sends. A hold is answered revoked with
reason certificateHold (RFC 6960 §2.2). Responses are not cached (SM2 signing is cheap).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable

from asn1crypto import core, crl, ocsp
from asn1crypto import x509 as ax

from esign.errors import InputError
from esign.pki._util import require_utc
from esign.pki.keystore.sm2 import Sm2Signer
from esign.pki.ocsp import OCSP_VALIDITY, StatusLookup
from esign.pki.sm2 import SM2_WITH_SM3_OID, SM3_OID, sm3
from esign.pki.sm2_profiles import sign_der
from esign.pki.status import CertState, CertStatus, RevocationReason

__all__ = ["Sm2OcspResponder", "build_sm2_crl"]

_log = logging.getLogger(__name__)

_REASONS = {
    RevocationReason.KEY_COMPROMISE: "key_compromise",
    RevocationReason.CA_COMPROMISE: "ca_compromise",
    RevocationReason.AFFILIATION_CHANGED: "affiliation_changed",
    RevocationReason.SUPERSEDED: "superseded",
    RevocationReason.CESSATION_OF_OPERATION: "cessation_of_operation",
    RevocationReason.CERTIFICATE_HOLD: "certificate_hold",
    RevocationReason.PRIVILEGE_WITHDRAWN: "privilege_withdrawn",
    RevocationReason.AA_COMPROMISE: "aa_compromise",
}


def _reason(entry: CertStatus) -> str | None:
    reason = RevocationReason.CERTIFICATE_HOLD if entry.state is CertState.ON_HOLD else entry.reason
    return _REASONS.get(reason) if reason is not None else None


def build_sm2_crl(
    issuer: ax.Certificate,
    signer: Sm2Signer,
    entries: Iterable[CertStatus],
    *,
    number: int,
    at: dt.datetime,
    period: dt.timedelta,
) -> bytes:
    """A DER CRL (v2) signed with SM2-with-SM3: thisUpdate ``at``, nextUpdate ``at + period``.

    Entries that are good are skipped; each entry carries its reason code except ``unspecified``.
    """
    at = require_utc(at).replace(microsecond=0)
    if number < 1 or period <= dt.timedelta(0):
        raise InputError("CRL 编号和有效期必须为正。", "CRL number and period must be positive.", code="bad_crl")
    revoked = []
    for entry in entries:
        if entry.state is CertState.GOOD or entry.revoked_at is None:
            continue
        item: dict[str, object] = {
            "user_certificate": entry.serial,
            "revocation_date": ax.Time(name="utc_time", value=entry.revoked_at.replace(microsecond=0)),
        }
        reason = _reason(entry)
        if reason is not None:
            item["crl_entry_extensions"] = [{"extn_id": "crl_reason", "critical": False, "extn_value": reason}]
        revoked.append(item)
    tbs: dict[str, object] = {
        "version": "v2",
        "signature": {"algorithm": SM2_WITH_SM3_OID},
        "issuer": issuer.subject,
        "this_update": ax.Time(name="utc_time", value=at),
        "next_update": ax.Time(name="utc_time", value=at + period),
        "crl_extensions": [
            {"extn_id": "crl_number", "critical": False, "extn_value": number},
            {
                "extn_id": "authority_key_identifier",
                "critical": False,
                "extn_value": {"key_identifier": issuer.key_identifier},
            },
        ],
    }
    if revoked:
        tbs["revoked_certificates"] = revoked
    tbs_list = crl.TbsCertList(tbs)
    algorithm, signature = sign_der(tbs_list, signer)
    return crl.CertificateList(
        {"tbs_cert_list": tbs_list, "signature_algorithm": algorithm, "signature": signature}
    ).dump()


_CERT_ID_HASHES = {
    "sha1": lambda b: hashlib.sha1(b, usedforsecurity=False).digest(),
    "sha256": lambda b: hashlib.sha256(b).digest(),
    SM3_OID: sm3,
    "sm3": sm3,
}


class Sm2OcspResponder:
    """Answers OCSP requests about certificates of the SM2 issuing CA, signed by its delegated responder."""

    def __init__(
        self,
        issuer: ax.Certificate,
        responder: ax.Certificate,
        signer: Sm2Signer,
        *,
        validity: dt.timedelta = OCSP_VALIDITY,
    ) -> None:
        if responder.issuer != issuer.subject:
            raise InputError("OCSP 签名证书不是该 CA 签发的。", "The responder certificate is not issued by the CA.")
        if "ocsp_signing" not in (
            responder.extended_key_usage_value.native if responder.extended_key_usage_value else []
        ):
            raise InputError("OCSP 签名证书缺少 OCSPSigning 用途。", "The responder certificate lacks EKU OCSPSigning.")
        self._issuer = issuer
        self._responder = responder
        self._signer = signer
        self._validity = validity
        name_der = issuer.subject.dump()
        key_bits = issuer.public_key["public_key"].contents[1:]
        self._issuer_ids = {alg: (fn(name_der), fn(key_bits)) for alg, fn in _CERT_ID_HASHES.items()}
        self._responder_key_hash = hashlib.sha1(
            responder.public_key["public_key"].contents[1:], usedforsecurity=False
        ).digest()

    @property
    def issuer(self) -> ax.Certificate:
        """The CA this responder answers for."""
        return self._issuer

    @staticmethod
    def malformed_response() -> bytes:
        """A DER ``malformedRequest`` response."""
        return ocsp.OCSPResponse({"response_status": "malformed_request"}).dump()

    def respond(self, request_der: bytes, status_lookup: StatusLookup, *, at: dt.datetime) -> bytes:
        """The DER OCSPResponse to ``request_der`` at ``at``."""
        at = require_utc(at).replace(microsecond=0)
        try:
            req = ocsp.OCSPRequest.load(request_der, strict=True)
            requests = req["tbs_request"]["request_list"]
            if len(requests) != 1:
                raise ValueError("one certificate per request")
            cert_id = requests[0]["req_cert"]
            algorithm = cert_id["hash_algorithm"]["algorithm"].native
            ids = (cert_id["issuer_name_hash"].native, cert_id["issuer_key_hash"].native)
            serial = cert_id["serial_number"].native
            nonce = None
            for ext in req["tbs_request"]["request_extensions"]:
                if ext["extn_id"].native == "nonce":
                    nonce = ext["extn_value"].parsed.native
            _ = req.native
        except Exception as e:  # asn1crypto raises ValueError, TypeError ... on garbage
            _log.info("malformed OCSP request: %s", e)
            return self.malformed_response()
        if self._issuer_ids.get(algorithm) != ids:
            return ocsp.OCSPResponse({"response_status": "unauthorized"}).dump()
        found = status_lookup(serial)
        if found is not None and found.issuer_serial != self._issuer.serial_number:
            found = None
        single: dict[str, object] = {
            "cert_id": cert_id,
            "cert_status": self._status(found, at),
            "this_update": core.GeneralizedTime(at),
            "next_update": core.GeneralizedTime(at + self._validity),
        }
        data: dict[str, object] = {
            "version": "v1",
            "responder_id": ocsp.ResponderId(name="by_key", value=self._responder_key_hash),
            "produced_at": core.GeneralizedTime(at),
            "responses": [single],
        }
        if nonce is not None:
            data["response_extensions"] = [{"extn_id": "nonce", "critical": False, "extn_value": nonce}]
        tbs = ocsp.ResponseData(data)
        algorithm_id, signature = sign_der(tbs, self._signer)
        basic = ocsp.BasicOCSPResponse(
            {
                "tbs_response_data": tbs,
                "signature_algorithm": algorithm_id,
                "signature": signature,
                "certs": [self._responder],
            }
        )
        return ocsp.OCSPResponse(
            {
                "response_status": "successful",
                "response_bytes": {"response_type": "basic_ocsp_response", "response": basic},
            }
        ).dump()

    @staticmethod
    def _status(found: CertStatus | None, at: dt.datetime) -> ocsp.CertStatus:
        if found is None:
            return ocsp.CertStatus(name="unknown", value=core.Null())
        if found.state is CertState.GOOD:
            return ocsp.CertStatus(name="good", value=core.Null())
        info: dict[str, object] = {
            "revocation_time": core.GeneralizedTime((found.revoked_at or at).replace(microsecond=0))
        }
        reason = _reason(found)
        if reason is not None:
            info["revocation_reason"] = reason
        return ocsp.CertStatus(name="revoked", value=info)
