"""The SM2 time-stamping authority (GB/T 20520-2006: RFC 3161 shape with SM3 and SM2).

Requests are RFC 3161 TimeStampReq; the message imprint may be SM3 (``1.2.156.10197.1.401``,
GB/T 20520's hash) or SHA-256. Tokens are CMS SignedData over TSTInfo with one SignerInfo:
digestAlgorithm SM3, signatureAlgorithm SM2-with-SM3 (``1.2.156.10197.1.501``) over the DER of the
signed attributes (contentType, signingTime, messageDigest = SM3(TSTInfo), signingCertificateV2
with an SM3 ESSCertIDv2), the signature computed with the GB/T 35276 default user ID. Serials and
genTime come from the same store counter as the ECDSA TSA (:func:`esign.pki.store.tsa_next`).

:class:`Sm2TimeStamper` is the in-process client the GB/T 38540 signature library uses: bytes in
(the signature value), a DER TimeStampToken out, no HTTP. A malformed request never raises: it is
answered with status rejection and a failInfo, as in :mod:`esign.pki.tsa`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Callable

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as ax

from esign.pki._util import require_utc
from esign.pki.keystore.sm2 import Sm2Signer
from esign.pki.oids import TSA_POLICY
from esign.pki.sm2 import SM3_OID, sm3
from esign.pki.sm2_profiles import sign_der
from esign.pki.tsa import NextSerialAndTime, TimeStampResp

__all__ = ["Sm2TimeStampAuthority", "Sm2TimeStamper"]

_log = logging.getLogger(__name__)

_IMPRINTS: dict[str, tuple[int, Callable[[bytes], bytes]]] = {
    SM3_OID: (32, sm3),
    "sm3": (32, sm3),
    "sha256": (32, lambda b: hashlib.sha256(b).digest()),
}


def _attr(name: str, value: object) -> cms.CMSAttribute:
    return cms.CMSAttribute({"type": cms.CMSAttributeType(name), "values": (value,)})


class Sm2TimeStampAuthority:
    """Issues GB/T 20520 time-stamp tokens with the SM2 TSA certificate and key.

    ``chain``: CA certificates sent along when the request sets certReq (the SM2 issuing CA).
    """

    def __init__(
        self,
        cert: ax.Certificate,
        signer: Sm2Signer,
        *,
        chain: tuple[ax.Certificate, ...] = (),
        accuracy: dt.timedelta = dt.timedelta(seconds=1),
    ) -> None:
        self._cert = cert
        self._signer = signer
        self._chain = chain
        self._policy = TSA_POLICY.dotted_string
        self._accuracy_s = max(1, int(accuracy.total_seconds()))
        self._sid = cms.SignerIdentifier(
            name="issuer_and_serial_number",
            value={"issuer": cert.issuer, "serial_number": cert.serial_number},
        )
        ess = tsp.SigningCertificateV2(
            {
                "certs": [
                    {
                        "hash_algorithm": {"algorithm": SM3_OID},
                        "cert_hash": sm3(cert.dump()),
                        "issuer_serial": {
                            "issuer": [ax.GeneralName(name="directory_name", value=cert.issuer)],
                            "serial_number": cert.serial_number,
                        },
                    }
                ]
            }
        )
        self._ess_der = _attr("signing_certificate_v2", ess).dump()

    @property
    def certificate(self) -> ax.Certificate:
        """The TSA certificate."""
        return self._cert

    def reject(self, text: str) -> bytes:
        """A DER rejection with failInfo badDataFormat."""
        return self._rejection("bad_data_format", text).dump()

    def _rejection(self, fail_info: str, text: str) -> TimeStampResp:
        return TimeStampResp(
            {"status": tsp.PKIStatusInfo({"status": "rejection", "status_string": [text], "fail_info": {fail_info}})}
        )

    def respond(self, request_der: bytes, next_serial_and_time: NextSerialAndTime, *, at: dt.datetime) -> bytes:
        """The DER TimeStampResp to ``request_der``; never raises on malformed input."""
        try:
            req = tsp.TimeStampReq.load(request_der, strict=True)
            _ = req.native
            algorithm = req["message_imprint"]["hash_algorithm"]["algorithm"].native
            hashed = req["message_imprint"]["hashed_message"].native
            policy = req["req_policy"].native
            if req["version"].native != "v1":
                raise ValueError("version")
        except Exception as e:  # asn1crypto raises ValueError, TypeError ... on garbage
            _log.info("malformed time-stamp request: %s", e)
            return self._rejection("bad_data_format", "malformed TimeStampReq").dump()
        size = _IMPRINTS.get(algorithm, (0, None))[0]
        if not size:
            return self._rejection("bad_alg", f"unsupported message imprint digest {algorithm}").dump()
        if len(hashed) != size:
            return self._rejection("bad_data_format", "message imprint length does not match its digest").dump()
        if policy is not None and policy != self._policy:
            return self._rejection("unaccepted_policy", f"policy {policy} is not offered").dump()
        if req["extensions"].native:
            return self._rejection("unaccepted_extensions", "request extensions are not supported").dump()
        token = self._token(
            req["message_imprint"], req["nonce"].native, bool(req["cert_req"].native), next_serial_and_time, at
        )
        return TimeStampResp({"status": tsp.PKIStatusInfo({"status": "granted"}), "time_stamp_token": token}).dump()

    def _token(
        self,
        imprint: tsp.MessageImprint,
        nonce: int | None,
        cert_req: bool,
        next_serial_and_time: NextSerialAndTime,
        at: dt.datetime,
    ) -> cms.ContentInfo:
        serial, gen_time = next_serial_and_time(require_utc(at))
        gen_time = require_utc(gen_time, "gen_time")
        info: dict[str, object] = {
            "version": "v1",
            "policy": self._policy,
            "message_imprint": imprint,
            "serial_number": serial,
            "gen_time": core.GeneralizedTime(gen_time),
            "accuracy": {"seconds": self._accuracy_s},
        }
        if nonce is not None:
            info["nonce"] = nonce
        tst_der = tsp.TSTInfo(info).dump()
        attrs = [
            _attr("content_type", "tst_info"),
            _attr("signing_time", cms.Time(name="utc_time", value=gen_time.replace(microsecond=0))),
            _attr("message_digest", sm3(tst_der)),
            cms.CMSAttribute.load(self._ess_der),
        ]
        # DER: a SET OF is sorted by encoding (verifiers re-encode signedAttrs before checking).
        signed_attrs = cms.CMSAttributes(sorted(attrs, key=lambda a: a.dump()))
        algorithm, signature = sign_der(signed_attrs, self._signer)
        digest_alg = algos.DigestAlgorithm({"algorithm": SM3_OID})
        signer_info = cms.SignerInfo(
            {
                "version": "v1",
                "sid": self._sid,
                "digest_algorithm": digest_alg,
                "signed_attrs": signed_attrs,
                "signature_algorithm": algorithm,
                "signature": signature,
            }
        )
        signed: dict[str, object] = {
            "version": "v3",
            "digest_algorithms": [digest_alg],
            "encap_content_info": {"content_type": "tst_info", "content": cms.ParsableOctetString(tst_der)},
            "signer_infos": [signer_info],
        }
        if cert_req:
            signed["certificates"] = [self._cert, *self._chain]
        return cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData(signed)})


class Sm2TimeStamper:
    """In-process time-stamping for the GB/T 38540 signature library: ``timestamp(data) -> token DER``.

    ``next_serial_and_time`` is backed by the store in a deployment (its own committed transaction).
    """

    def __init__(
        self,
        authority: Sm2TimeStampAuthority,
        next_serial_and_time: NextSerialAndTime,
        clock: Callable[[], dt.datetime],
    ) -> None:
        self._authority = authority
        self._next = next_serial_and_time
        self._clock = clock

    def timestamp(self, data: bytes) -> bytes:
        """A DER TimeStampToken (ContentInfo) over SM3(``data``), with the TSA certificate included."""
        request = tsp.TimeStampReq(
            {
                "version": "v1",
                "message_imprint": {"hash_algorithm": {"algorithm": SM3_OID}, "hashed_message": sm3(data)},
                "nonce": secrets.randbits(63),
                "cert_req": True,
            }
        )
        response = tsp.TimeStampResp.load(self._authority.respond(request.dump(), self._next, at=self._clock()))
        return response["time_stamp_token"].dump()
