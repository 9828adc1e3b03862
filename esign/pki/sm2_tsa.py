"""The county's SM2 time-stamping authority (GB/T 20520-2006: the RFC 3161 protocol with SM3 and SM2).

:class:`Sm2TimeStampAuthority` answers a TimeStampReq whose message imprint is SM3
(``1.2.156.10197.1.401``, GB/T 20520's hash) with a TimeStampResp; the token itself is made by
:func:`esign.pki.sm2_tsp.sm2_timestamp_token` (SM3 digests, SM2-with-SM3 signature, default user ID,
TSA certificate included). Serials and genTime come from the same store counter as the ECDSA TSA
(:func:`esign.pki.store.tsa_next`). A bad request never raises: it is answered with status
rejection and a failInfo (badDataFormat, badAlg for any imprint other than SM3, unacceptedPolicy,
unacceptedExtension), as in :mod:`esign.pki.tsa`.

:class:`Sm2TimeStamper` is the in-process client the GB/T 38540 signature library takes
(:data:`esign.ses.Timestamper`): the signature value in, a DER TimeStampToken out, no HTTP.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable

from asn1crypto import cms, tsp

from esign.errors import ConfigError
from esign.pki._util import require_utc
from esign.pki.keystore.sm2 import Sm2Signer
from esign.pki.oids import TSA_POLICY
from esign.pki.sm2 import sm3
from esign.pki.sm2_asn1 import SM3_OID
from esign.pki.sm2_certs import Sm2Certificate
from esign.pki.sm2_profiles import as_key
from esign.pki.sm2_tsp import sm2_timestamp_token
from esign.pki.tsa import NextSerialAndTime, TimeStampResp

__all__ = ["Sm2TimeStampAuthority", "Sm2TimeStamper"]

_log = logging.getLogger(__name__)


class Sm2TimeStampAuthority:
    """Issues GB/T 20520 time-stamp tokens with the SM2 TSA certificate and key."""

    def __init__(self, cert: Sm2Certificate, signer: Sm2Signer) -> None:
        self._cert = cert
        self._signer = signer
        self._policy = TSA_POLICY.dotted_string

    @property
    def certificate(self) -> Sm2Certificate:
        """The TSA certificate."""
        return self._cert

    def reject(self, text: str) -> bytes:
        """A DER rejection with failInfo badDataFormat (for requests refused before parsing)."""
        return _rejection("bad_data_format", text)

    def respond(self, request_der: bytes, next_serial_and_time: NextSerialAndTime, *, at: dt.datetime) -> bytes:
        """The DER TimeStampResp to ``request_der``; never raises on malformed input."""
        try:
            req = tsp.TimeStampReq.load(request_der, strict=True)
            _ = req.native
            algorithm = req["message_imprint"]["hash_algorithm"]["algorithm"].dotted
            imprint = req["message_imprint"]["hashed_message"].native
            policy, nonce, extensions = req["req_policy"].native, req["nonce"].native, req["extensions"].native
            if req["version"].native != "v1":
                raise ValueError("version")
        except Exception as e:  # asn1crypto raises ValueError, TypeError ... on garbage
            _log.info("malformed time-stamp request: %s", e)
            return _rejection("bad_data_format", "malformed TimeStampReq")
        if algorithm != SM3_OID:
            return _rejection("bad_alg", f"the message imprint must be SM3 ({SM3_OID}), not {algorithm}")
        if len(imprint) != 32:
            return _rejection("bad_data_format", "an SM3 message imprint is 32 bytes")
        if policy is not None and policy != self._policy:
            return _rejection("unaccepted_policy", f"policy {policy} is not offered")
        if extensions:
            return _rejection("unaccepted_extensions", "request extensions are not supported")
        serial, gen_time = next_serial_and_time(require_utc(at))
        token = sm2_timestamp_token(
            imprint,
            tsa=self._cert,
            tsa_key=as_key(self._signer),
            serial=serial,
            at=require_utc(gen_time, "gen_time"),
            policy=self._policy,
            nonce=nonce,
        )
        return TimeStampResp(
            {"status": tsp.PKIStatusInfo({"status": "granted"}), "time_stamp_token": cms.ContentInfo.load(token)}
        ).dump()


def _rejection(fail_info: str, text: str) -> bytes:
    status = tsp.PKIStatusInfo({"status": "rejection", "status_string": [text], "fail_info": {fail_info}})
    return TimeStampResp({"status": status}).dump()


class Sm2TimeStamper:
    """In-process time-stamping for the GB/T 38540 signature library: ``stamper(data) -> token DER``.

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

    def __call__(self, data: bytes) -> bytes:
        """A DER TimeStampToken (ContentInfo) over SM3(``data``)."""
        request = tsp.TimeStampReq(
            {
                "version": "v1",
                "message_imprint": {"hash_algorithm": {"algorithm": SM3_OID}, "hashed_message": sm3(data)},
                "nonce": secrets.randbits(63),
                "cert_req": True,
            }
        )
        response = tsp.TimeStampResp.load(self._authority.respond(request.dump(), self._next, at=self._clock()))
        if response["status"]["status"].native != "granted":
            raise ConfigError(
                "SM2 时间戳服务拒绝了请求。", f"The SM2 TSA refused: {response['status'].native}", code="tsa_refused"
            )
        return response["time_stamp_token"].dump()
