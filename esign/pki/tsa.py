"""An RFC 3161 time-stamping authority: TimeStampReq DER in, TimeStampResp DER out.

The ASN.1 is asn1crypto's ``tsp`` and ``cms``; signing is cryptography's. Serial numbers and genTime
come from a caller-supplied ``next_serial_and_time(at)`` (backed by :func:`esign.pki.store.tsa_next`
in the service), so this module knows no SQL. A bad request never raises: it is answered with
PKIStatus ``rejection`` and a failInfo (badDataFormat, badAlg, unacceptedPolicy, unacceptedExtension).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID

from esign.errors import InputError
from esign.pki._util import require_utc
from esign.pki.keys import PrivateKey, signature_hash
from esign.pki.oids import TSA_POLICY

__all__ = ["ACCEPTED_DIGESTS", "NextSerialAndTime", "TimeStampAuthority", "TimeStampResp"]

_log = logging.getLogger(__name__)

#: Returns a unique serial and a strictly increasing genTime for a request arriving at ``at``.
NextSerialAndTime = Callable[[dt.datetime], tuple[int, dt.datetime]]

#: Message-imprint digests accepted (SHA-1 and MD5 are refused with badAlg), with their sizes.
ACCEPTED_DIGESTS: dict[str, int] = {"sha256": 32, "sha384": 48, "sha512": 64, "sha3_256": 32, "sha3_512": 64}


class TimeStampResp(tsp.TimeStampResp):
    """TimeStampResp with timeStampToken OPTIONAL as in RFC 3161 (asn1crypto makes it mandatory)."""

    _fields = [  # noqa: RUF012 (asn1crypto's class-level schema)
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


class _Reject(Exception):
    def __init__(self, fail_info: str, text: str) -> None:
        super().__init__(text)
        self.fail_info = fail_info
        self.text = text


def _digest(algorithm: hashes.HashAlgorithm, data: bytes) -> bytes:
    h = hashes.Hash(algorithm)
    h.update(data)
    return h.finalize()


def _attr(name: str, value: object) -> cms.CMSAttribute:
    return cms.CMSAttribute({"type": cms.CMSAttributeType(name), "values": (value,)})


class TimeStampAuthority:
    """Issues RFC 3161 time-stamp tokens with one TSA certificate and key.

    ``chain`` are the CA certificates sent along when the request sets certReq (not the root).
    Tokens carry signing-certificate-v2 (ESS, RFC 5035) so that OpenSSL, pyHanko and Adobe accept
    them, accuracy ``accuracy`` and ordering false.
    """

    def __init__(
        self,
        cert: x509.Certificate,
        key: PrivateKey,
        *,
        chain: Sequence[x509.Certificate] = (),
        policy: x509.ObjectIdentifier = TSA_POLICY,
        accepted_policies: Iterable[x509.ObjectIdentifier] = (),
        accuracy: dt.timedelta = dt.timedelta(seconds=1),
        include_tsa_name: bool = False,
    ) -> None:
        try:
            eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
        except x509.ExtensionNotFound:
            eku = None
        if eku is None or not eku.critical or list(eku.value) != [ExtendedKeyUsageOID.TIME_STAMPING]:
            raise InputError(
                "时间戳证书必须只有关键扩展 timeStamping 用途。",
                "The TSA certificate must carry a critical EKU with timeStamping only (RFC 3161 2.3).",
            )
        if cert.public_key() != key.public_key():
            raise InputError("时间戳密钥与证书不匹配。", "The TSA key does not match its certificate.")
        self._cert = cert
        self._key = key
        self._hash = signature_hash(key)
        self._policy = policy.dotted_string
        self._accepted = {self._policy} | {p.dotted_string for p in accepted_policies}
        self._accuracy_ms = int(accuracy / dt.timedelta(milliseconds=1))
        self._include_tsa_name = include_tsa_name
        self._asn1_cert = asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))
        self._asn1_chain = [asn1_x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in chain]
        self._static = self._static_parts()
        if isinstance(key, ec.EllipticCurvePrivateKey):
            sig_alg = f"{self._hash.name}_ecdsa"
        elif isinstance(key, rsa.RSAPrivateKey):
            sig_alg = "rsassa_pkcs1v15"
        else:  # pragma: no cover - KeyAlgorithm admits only EC and RSA
            raise InputError("不支持的时间戳密钥。", "Unsupported TSA key type.")
        self._static["signature_alg"] = algos.SignedDigestAlgorithm({"algorithm": sig_alg}).dump()
        self._static["policy"] = core.ObjectIdentifier(self._policy).dump()
        self._static["certificates"] = _tlv(0xA0, b"".join(c.dump() for c in (self._asn1_cert, *self._asn1_chain)))
        accuracy_der = b""
        if self._accuracy_ms:
            seconds, millis = divmod(self._accuracy_ms, 1000)
            accuracy_der = tsp.Accuracy({k: v for k, v in (("seconds", seconds), ("millis", millis)) if v}).dump()
        self._static["accuracy"] = accuracy_der
        self._static["tsa_name"] = (
            _tlv(0xA0, asn1_x509.GeneralName(name="directory_name", value=self._asn1_cert.subject).dump())
            if include_tsa_name
            else b""
        )
        self._imprint_algs: dict[str, bytes] = {}

    def _static_parts(self) -> dict[str, bytes]:
        """DER of the parts every token shares, encoded once: asn1crypto re-encodes objects built
        from Python values on every dump, while objects loaded from DER keep their bytes."""
        ess = tsp.SigningCertificateV2(
            {
                "certs": [
                    {
                        # hash_algorithm omitted: SHA-256 is the DEFAULT of ESSCertIDv2
                        "cert_hash": _digest(hashes.SHA256(), self._asn1_cert.dump()),
                        "issuer_serial": {
                            "issuer": [asn1_x509.GeneralName(name="directory_name", value=self._asn1_cert.issuer)],
                            "serial_number": self._asn1_cert.serial_number,
                        },
                    }
                ]
            }
        )
        sid = cms.SignerIdentifier(
            {
                "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                    {"issuer": self._asn1_cert.issuer, "serial_number": self._asn1_cert.serial_number}
                )
            }
        )
        return {
            "content_type": _attr("content_type", "tst_info").dump(),
            "signing_certificate_v2": _attr("signing_certificate_v2", ess).dump(),
            "sid": sid.dump(),
            "digest_alg": algos.DigestAlgorithm({"algorithm": self._hash.name}).dump(),
        }

    @property
    def certificate(self) -> x509.Certificate:
        """The TSA certificate."""
        return self._cert

    def respond(self, request_der: bytes, next_serial_and_time: NextSerialAndTime, *, at: dt.datetime) -> bytes:
        """The DER TimeStampResp to ``request_der``; never raises on malformed input."""
        try:
            req = tsp.TimeStampReq.load(request_der, strict=True)
            _ = req.native  # asn1crypto parses lazily: force every field now
        except Exception as e:  # asn1crypto raises ValueError, TypeError, ... on garbage
            _log.info("malformed time-stamp request: %s", e)
            return self._rejection("bad_data_format", "malformed TimeStampReq").dump()
        return self.respond_to(req, next_serial_and_time, at=at).dump()

    def reject(self, text: str = "malformed TimeStampReq") -> bytes:
        """A DER rejection with failInfo badDataFormat, for requests refused before parsing (e.g. wrong media type)."""
        return self._rejection("bad_data_format", text).dump()

    def respond_to(
        self, req: tsp.TimeStampReq, next_serial_and_time: NextSerialAndTime, *, at: dt.datetime
    ) -> tsp.TimeStampResp:
        """The TimeStampResp to a parsed request (the in-process pyHanko time stamper calls this)."""
        at = require_utc(at)
        try:
            imprint, policy, nonce, cert_req = self._check(req)
        except _Reject as r:
            return self._rejection(r.fail_info, r.text)
        serial, gen_time = next_serial_and_time(at)
        gen_time = require_utc(gen_time, "gen_time")
        policy_der = core.ObjectIdentifier(policy).dump() if policy != self._policy else self._static["policy"]
        tst_info = self._tst_info(policy_der, imprint.dump(), serial, gen_time, nonce)
        token = cms.ContentInfo.load(self._sign(tst_info, gen_time, cert_req))
        return TimeStampResp({"status": tsp.PKIStatusInfo({"status": "granted"}), "time_stamp_token": token})

    def token(
        self,
        message_digest: bytes,
        algorithm: str,
        next_serial_and_time: NextSerialAndTime,
        *,
        at: dt.datetime,
        nonce: int | None = None,
    ) -> bytes:
        """The DER ContentInfo of a token over ``message_digest`` (``algorithm``: its digest), with
        this authority's policy and certificates, for a caller in the same process: the same token
        :meth:`respond` grants a request with certReq, without a request or a response to encode.

        :raises InputError: ``tsa_bad_digest`` for a digest algorithm or length the TSA refuses.
        """
        at = require_utc(at)
        if ACCEPTED_DIGESTS.get(algorithm) != len(message_digest):
            raise InputError(
                "时间戳请求的摘要无效。",
                f"unsupported message imprint: {algorithm} of {len(message_digest)} bytes",
                code="tsa_bad_digest",
            )
        alg = self._imprint_algs.get(algorithm)
        if alg is None:
            alg = self._imprint_algs[algorithm] = algos.DigestAlgorithm({"algorithm": algorithm}).dump()
        imprint = _tlv(0x30, alg + _tlv(0x04, message_digest))
        serial, gen_time = next_serial_and_time(at)
        gen_time = require_utc(gen_time, "gen_time")
        return self._sign(self._tst_info(self._static["policy"], imprint, serial, gen_time, nonce), gen_time, True)

    def _tst_info(self, policy: bytes, imprint: bytes, serial: int, gen_time: dt.datetime, nonce: int | None) -> bytes:
        """DER TSTInfo (RFC 3161 2.4.2): version, policy, messageImprint, serialNumber, genTime, then
        accuracy, nonce and tsa as configured; ordering FALSE is the DEFAULT and left out."""
        body = (
            b"\x02\x01\x01"
            + policy
            + imprint
            + core.Integer(serial).dump()
            + core.GeneralizedTime(gen_time).dump()
            + self._static["accuracy"]
            + (core.Integer(nonce).dump() if nonce is not None else b"")
            + self._static["tsa_name"]
        )
        return _tlv(0x30, body)

    def _check(self, req: tsp.TimeStampReq) -> tuple[tsp.MessageImprint, str, int | None, bool]:
        try:
            version = req["version"].native
            imprint = req["message_imprint"]
            algorithm = imprint["hash_algorithm"]["algorithm"].native
            hashed = imprint["hashed_message"].native
            policy = req["req_policy"].native
            nonce = req["nonce"].native
            cert_req = bool(req["cert_req"].native)
            extensions = req["extensions"].native
        except Exception as e:
            raise _Reject("bad_data_format", "malformed TimeStampReq") from e
        if version != "v1":
            raise _Reject("bad_data_format", "unsupported TimeStampReq version")
        if algorithm not in ACCEPTED_DIGESTS:
            raise _Reject("bad_alg", f"unsupported message imprint digest {algorithm}")
        if not isinstance(hashed, bytes) or len(hashed) != ACCEPTED_DIGESTS[algorithm]:
            raise _Reject("bad_data_format", "message imprint length does not match its digest")
        if policy is not None and policy not in self._accepted:
            raise _Reject("unaccepted_policy", f"policy {policy} is not offered")
        if extensions:
            raise _Reject("unaccepted_extensions", "request extensions are not supported")
        return imprint, policy or self._policy, nonce, cert_req

    def _rejection(self, fail_info: str, text: str) -> tsp.TimeStampResp:
        return TimeStampResp(
            {"status": tsp.PKIStatusInfo({"status": "rejection", "status_string": [text], "fail_info": {fail_info}})}
        )

    def _sign(self, tst_info_der: bytes, gen_time: dt.datetime, cert_req: bool) -> bytes:
        """The DER ContentInfo of the token (RFC 3161 2.4.2, RFC 5652 5): SignedData v3 over the
        TSTInfo, the parts every token shares encoded once (:meth:`_static_parts`)."""
        static = self._static
        attrs = [
            static["content_type"],
            _attr("signing_time", cms.Time({"utc_time": core.UTCTime(gen_time.replace(microsecond=0))})).dump(),
            _tlv(0x30, _MESSAGE_DIGEST_OID + _tlv(0x31, _tlv(0x04, _digest(self._hash, tst_info_der)))),
            static["signing_certificate_v2"],
        ]
        # DER: a SET OF is sorted by encoding. Verifiers (OpenSSL) re-encode signedAttrs before
        # checking the signature, so an unsorted set would not verify.
        signed_attrs = b"".join(sorted(attrs))
        to_sign = _tlv(0x31, signed_attrs)
        if isinstance(self._key, ec.EllipticCurvePrivateKey):
            signature = self._key.sign(to_sign, ec.ECDSA(self._hash))
        elif isinstance(self._key, rsa.RSAPrivateKey):
            signature = self._key.sign(to_sign, padding.PKCS1v15(), self._hash)
        else:  # pragma: no cover - KeyAlgorithm admits only EC and RSA
            raise InputError("不支持的时间戳密钥。", "Unsupported TSA key type.")
        signer = _tlv(
            0x30,
            b"\x02\x01\x01"  # v1: issuerAndSerialNumber
            + static["sid"]
            + static["digest_alg"]
            + _tlv(0xA0, signed_attrs)
            + static["signature_alg"]
            + _tlv(0x04, signature),
        )
        signed_data = _tlv(
            0x30,
            b"\x02\x01\x03"  # v3: the content is not id-data
            + _tlv(0x31, static["digest_alg"])
            + _tlv(0x30, _TST_INFO_OID + _tlv(0xA0, _tlv(0x04, tst_info_der)))
            + (static["certificates"] if cert_req else b"")
            + _tlv(0x31, signer),
        )
        return _tlv(0x30, _SIGNED_DATA_OID + _tlv(0xA0, signed_data))


#: DER of the OBJECT IDENTIFIERs id-signedData (RFC 5652 5.1), id-ct-TSTInfo (RFC 3161 2.4.2) and
#: id-messageDigest (RFC 5652 11.2).
_SIGNED_DATA_OID = bytes.fromhex("06092a864886f70d010702")
_TST_INFO_OID = bytes.fromhex("060b2a864886f70d0109100104")
_MESSAGE_DIGEST_OID = bytes.fromhex("06092a864886f70d010904")


def _tlv(tag: int, content: bytes) -> bytes:
    """A DER element: one-octet ``tag``, the definite length (X.690 8.1.3), ``content``."""
    n = len(content)
    if n < 0x80:
        return bytes((tag, n)) + content
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(body))) + body + content
