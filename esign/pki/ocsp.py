"""An RFC 6960 OCSP responder for the issuing CA, signing with a delegated responder key.

:meth:`OcspResponder.respond` takes request DER and returns response DER. It never raises on a bad
request: garbage gives ``malformedRequest``, a request about another CA (or a CertID hash other
than SHA-1/SHA-256) gives ``unauthorized``. A request may name one certificate only (as every
mainstream client sends; more are answered ``malformedRequest``). Certificate status comes from a
caller-supplied lookup, so this module knows no SQL.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable

from asn1crypto import keys as asn1_keys
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509 import ocsp

from esign.errors import InputError
from esign.pki._util import require_utc
from esign.pki.keys import PrivateKey, signature_hash
from esign.pki.status import CertState, CertStatus, RevocationReason

__all__ = ["OCSP_CACHE_FOR", "OCSP_VALIDITY", "OcspResponder", "StatusLookup"]

_log = logging.getLogger(__name__)

#: Default distance between thisUpdate and nextUpdate of a response.
OCSP_VALIDITY = dt.timedelta(days=1)
#: Default age up to which a cached (nonce-less) response is served again.
OCSP_CACHE_FOR = dt.timedelta(minutes=10)

#: Looks a serial number up; None means the CA never issued it.
StatusLookup = Callable[[int], CertStatus | None]

_HASHES: dict[str, type[hashes.SHA1] | type[hashes.SHA256]] = {"sha1": hashes.SHA1, "sha256": hashes.SHA256}


def _digest(algorithm: hashes.HashAlgorithm, data: bytes) -> bytes:
    h = hashes.Hash(algorithm)
    h.update(data)
    return h.finalize()


class OcspResponder:
    """Answers OCSP requests about certificates of ``issuer_cert``.

    ``responder_cert`` must be issued by ``issuer_cert`` with EKU OCSPSigning (a delegated
    responder, RFC 6960 section 4.2.2.2); it is included in every response and named by key hash.
    """

    def __init__(
        self,
        issuer_cert: x509.Certificate,
        responder_cert: x509.Certificate,
        responder_key: PrivateKey,
        *,
        validity: dt.timedelta = OCSP_VALIDITY,
        cache_for: dt.timedelta = OCSP_CACHE_FOR,
        cache_size: int = 4096,
    ) -> None:
        if responder_cert.issuer != issuer_cert.subject:
            raise InputError("OCSP 签名证书不是该 CA 签发的。", "The responder certificate is not issued by the CA.")
        try:
            eku = responder_cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except x509.ExtensionNotFound:
            eku = x509.ExtendedKeyUsage([])
        if x509.oid.ExtendedKeyUsageOID.OCSP_SIGNING not in eku:
            raise InputError("OCSP 签名证书缺少 OCSPSigning 用途。", "The responder certificate lacks EKU OCSPSigning.")
        if responder_cert.public_key() != responder_key.public_key():
            raise InputError("OCSP 签名密钥与证书不匹配。", "The responder key does not match its certificate.")
        self._issuer = issuer_cert
        self._responder = responder_cert
        self._key = responder_key
        self._validity = validity
        self._cache_for = cache_for
        self._cache_size = cache_size
        self._cache: OrderedDict[tuple[int, int, str], tuple[dt.datetime, bytes]] = OrderedDict()
        self._lock = threading.Lock()
        spki = issuer_cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        # The key hash covers the subjectPublicKey BIT STRING value without its unused-bits octet.
        key_bits = asn1_keys.PublicKeyInfo.load(spki)["public_key"].contents[1:]
        name_der = issuer_cert.subject.public_bytes()
        self._issuer_ids = {name: (_digest(cls(), name_der), _digest(cls(), key_bits)) for name, cls in _HASHES.items()}

    @property
    def issuer(self) -> x509.Certificate:
        """The CA this responder answers for."""
        return self._issuer

    @classmethod
    def malformed_response(cls) -> bytes:
        """A DER ``malformedRequest`` response, for requests refused before parsing (media type, encoding)."""
        return cls._unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)

    def respond(
        self,
        request_der: bytes,
        status_lookup: StatusLookup,
        *,
        at: dt.datetime,
        epoch: int | None = None,
    ) -> bytes:
        """The DER OCSPResponse to ``request_der`` at time ``at``.

        ``epoch`` is the store's revocation epoch, read by the caller in the same request; when given,
        nonce-less answers are cached per (serial, epoch) for up to ``cache_for``. Since every
        revocation, hold and release changes the epoch, a cached answer is never staler than the
        database the caller just read. Requests with a nonce always get a fresh answer.
        """
        at = require_utc(at)
        try:
            req = ocsp.load_der_ocsp_request(request_der)
            algorithm = req.hash_algorithm
            serial = req.serial_number
            name_hash, key_hash = req.issuer_name_hash, req.issuer_key_hash
            nonce = self._nonce(req)
        except Exception as e:  # cryptography raises ValueError or NotImplementedError on odd input
            _log.info("malformed OCSP request: %s", e)
            return self._unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
        expected = self._issuer_ids.get(algorithm.name)
        if expected is None or expected != (name_hash, key_hash):
            return self._unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)

        cache_key: tuple[int, int, str] | None = None
        if epoch is not None and nonce is None:
            cache_key = (serial, epoch, algorithm.name)
        if cache_key is not None:
            with self._lock:
                hit = self._cache.get(cache_key)
            if hit is not None and hit[0] <= at < hit[0] + self._cache_for:
                return hit[1]

        found = status_lookup(serial)
        if found is not None and found.issuer_serial != self._issuer.serial_number:
            found = None  # issued by someone else (e.g. the issuing CA itself, by the root)
        builder = ocsp.OCSPResponseBuilder()
        builder = self._add_status(builder, name_hash, key_hash, serial, algorithm, found, at)
        builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, self._responder)
        builder = builder.certificates([self._responder])
        if nonce is not None:
            builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
        der = builder.sign(self._key, signature_hash(self._key)).public_bytes(Encoding.DER)
        if cache_key is not None:
            with self._lock:
                self._cache[cache_key] = (at, der)
                self._cache.move_to_end(cache_key)
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return der

    def _add_status(
        self,
        builder: ocsp.OCSPResponseBuilder,
        name_hash: bytes,
        key_hash: bytes,
        serial: int,
        algorithm: hashes.HashAlgorithm,
        found: CertStatus | None,
        at: dt.datetime,
    ) -> ocsp.OCSPResponseBuilder:
        revocation_time: dt.datetime | None = None
        reason: x509.ReasonFlags | None = None
        if found is None:
            cert_status = ocsp.OCSPCertStatus.UNKNOWN
        elif found.state is CertState.GOOD:
            cert_status = ocsp.OCSPCertStatus.GOOD
        else:
            # A hold is answered as revoked with reason certificateHold (RFC 6960 section 2.2).
            cert_status = ocsp.OCSPCertStatus.REVOKED
            revocation_time = found.revoked_at or at
            r = RevocationReason.CERTIFICATE_HOLD if found.state is CertState.ON_HOLD else found.reason
            if r is not None and r is not RevocationReason.UNSPECIFIED:
                reason = r.to_x509()
        return builder.add_response_by_hash(
            issuer_name_hash=name_hash,
            issuer_key_hash=key_hash,
            serial_number=serial,
            algorithm=algorithm,
            cert_status=cert_status,
            this_update=at,
            next_update=at + self._validity,
            revocation_time=revocation_time,
            revocation_reason=reason,
        )

    @staticmethod
    def _nonce(req: ocsp.OCSPRequest) -> bytes | None:
        try:
            return req.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
        except x509.ExtensionNotFound:
            return None

    @staticmethod
    def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
        return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(Encoding.DER)
