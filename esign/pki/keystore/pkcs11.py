"""Seal keys on a PKCS#11 token (a hardware security module; SoftHSM2 in tests and trials).

Each key is generated on the token, labelled with its key id, sensitive and not extractable: the
private key never leaves the token, and :meth:`Pkcs11KeyStore.load_private` refuses. Stamps are
signed on the token through pyHanko's :class:`~pyhanko.sign.pkcs11.PKCS11Signer`
(:meth:`Pkcs11KeyStore.signer`). The county's CA, TSA, OCSP and register keys stay in the file
store: certificates and CRLs are signed by ``cryptography``, which needs the key in process.

A process logs in to a token once (PKCS#11 keeps the login per process), so one session per token
is opened and shared by every store of the process; operations on it are serialized with a lock
(a session must not run two operations at once). Needs ``python-pkcs11``
(``pip install 'esign[pkcs11]'``).
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, load_der_public_key
from pyhanko.sign.general import SigningError
from pyhanko.sign.pkcs11 import PKCS11Signer

from esign.errors import ConfigError, NotFoundError, StateError
from esign.pki.keys import KeyAlgorithm, PrivateKey, PublicKey
from esign.pki.keystore.api import key_exists, validate_key_id

__all__ = ["Pkcs11KeyStore"]

_CURVES = {KeyAlgorithm.EC_P256: "secp256r1", KeyAlgorithm.EC_P384: "secp384r1"}
_RSA_BITS = {KeyAlgorithm.RSA_3072: 3072}


class Pkcs11KeyStore:
    """Keys on the token ``token_label`` of the PKCS#11 library ``module``, opened with ``pin``."""

    def __init__(self, module: str, token_label: str, pin: str) -> None:
        import pkcs11

        if not pin:
            raise ConfigError("未设置 PKCS#11 令牌的 PIN。", "The PKCS#11 PIN is not set.", code="pkcs11_no_pin")
        self.token_label = token_label
        self._session, self._lock = _open(pkcs11, module, token_label, pin)

    def __repr__(self) -> str:
        return f"Pkcs11KeyStore(token={self.token_label!r})"

    def _private(self, key_id: str) -> Any:
        from pkcs11 import Attribute, ObjectClass

        found = list(self._session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.LABEL: key_id}))
        return found[0] if found else None

    def exists(self, key_id: str) -> bool:
        """Whether the token holds a private key labelled ``key_id``."""
        validate_key_id(key_id)
        with self._lock:
            return self._private(key_id) is not None

    def generate(self, key_id: str, algorithm: KeyAlgorithm = KeyAlgorithm.EC_P256) -> PublicKey:
        """Generate a key pair on the token (private part sensitive, not extractable)."""
        from pkcs11 import Attribute, KeyType
        from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters

        validate_key_id(key_id)
        if algorithm not in _CURVES and algorithm not in _RSA_BITS:
            raise ConfigError(
                f"PKCS#11 令牌不支持该密钥算法：{algorithm}",
                f"Key algorithm {algorithm} is not offered on the PKCS#11 token.",
                code="pkcs11_algorithm",
            )
        private = {Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False, Attribute.SIGN: True}
        with self._lock:
            if self._private(key_id) is not None:
                raise key_exists(key_id)
            if algorithm in _CURVES:
                params = self._session.create_domain_parameters(
                    KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters(_CURVES[algorithm])}, local=True
                )
                public, _ = params.generate_keypair(
                    store=True, label=key_id, id=key_id.encode(), private_template=private
                )
                return load_der_public_key(encode_ec_public_key(public))  # type: ignore[return-value]
            public, _ = self._session.generate_keypair(
                KeyType.RSA,
                _RSA_BITS[algorithm],
                store=True,
                label=key_id,
                id=key_id.encode(),
                private_template=private,
            )
        modulus = int.from_bytes(public[Attribute.MODULUS], "big")
        exponent = int.from_bytes(public[Attribute.PUBLIC_EXPONENT], "big")
        return rsa.RSAPublicNumbers(exponent, modulus).public_key()

    def discard(self, key_id: str) -> None:
        """Destroy the key pair labelled ``key_id`` on the token (generated for a certificate never made)."""
        from pkcs11 import Attribute

        validate_key_id(key_id)
        with self._lock:
            for obj in list(self._session.get_objects({Attribute.LABEL: key_id})):
                obj.destroy()

    def _require(self, key_id: str) -> None:
        if not self.exists(key_id):
            raise NotFoundError(
                f"PKCS#11 令牌中没有密钥 {key_id}。", f"No key {key_id!r} on the PKCS#11 token.", code="key_not_found"
            )

    def load_private(self, key_id: str) -> PrivateKey:
        """Refused: a key on the token cannot be exported (use :meth:`signer`)."""
        self._require(key_id)
        raise StateError(
            f"密钥 {key_id} 保存在 PKCS#11 令牌中，不能导出。",
            f"Key {key_id} is on the PKCS#11 token and cannot be exported.",
            code="key_not_exportable",
        )

    def signer(self, key_id: str, certificate: x509.Certificate, chain: tuple[x509.Certificate, ...]) -> PKCS11Signer:
        """A pyHanko signer that signs with the token's key ``key_id``; the key handle is found now."""
        self._require(key_id)
        signer = _SerializedSigner(
            self._lock,
            self.token_label,
            self._session,
            key_label=key_id,
            signing_cert=_asn1(certificate),
            ca_chain=[_asn1(c) for c in chain],
            other_certs_to_pull=(),
            # ECDSA over a hash computed here (CKM_ECDSA): tokens such as SoftHSM2 lack CKM_ECDSA_SHA256
            use_raw_mechanism=isinstance(certificate.public_key(), ec.EllipticCurvePublicKey),
        )
        with self._lock, _token_errors(self.token_label):
            _ = signer.signing_cert  # loads the key handle here, not inside an event loop
        return signer


_SESSIONS: dict[tuple[str, str], tuple[Any, str, threading.Lock]] = {}
_SESSIONS_LOCK = threading.Lock()


def _open(pkcs11: Any, module: str, token_label: str, pin: str) -> tuple[Any, threading.Lock]:
    """The process's logged-in session on the token, opened on first use."""
    with _SESSIONS_LOCK:
        known = _SESSIONS.get((module, token_label))
        if known is not None:
            session, known_pin, lock = known
            if not hmac.compare_digest(known_pin.encode(), pin.encode()):
                raise _wrong_pin(token_label)
            return session, lock
        try:
            session = pkcs11.lib(module).get_token(token_label=token_label).open(user_pin=pin, rw=True)
        except pkcs11.PinIncorrect:
            raise _wrong_pin(token_label) from None
        except (pkcs11.PKCS11Error, RuntimeError, OSError) as exc:
            raise ConfigError(
                f"无法打开 PKCS#11 令牌“{token_label}”：{type(exc).__name__}",
                f"Cannot open the PKCS#11 token {token_label!r} with {module}: {type(exc).__name__} {exc}",
                code="pkcs11_unavailable",
            ) from exc
        lock = threading.Lock()
        _SESSIONS[(module, token_label)] = (session, pin, lock)
        return session, lock


def _wrong_pin(token_label: str) -> ConfigError:
    return ConfigError(
        f"PKCS#11 令牌“{token_label}”的 PIN 不正确。",
        f"Wrong PIN for the PKCS#11 token {token_label!r}.",
        code="pkcs11_wrong_pin",
    )


@contextmanager
def _token_errors(token_label: str) -> Iterator[None]:
    """A token that fails (removed, key deleted, out of sessions) is a clear error, not a crash."""
    import pkcs11

    try:
        yield
    except (pkcs11.PKCS11Error, SigningError) as exc:
        raise ConfigError(
            f"PKCS#11 令牌“{token_label}”签名失败：{type(exc).__name__}。请检查令牌是否在线、密钥是否存在。",
            f"Signing on the PKCS#11 token {token_label!r} failed: {type(exc).__name__} {exc}",
            code="pkcs11_sign_failed",
        ) from exc


class _SerializedSigner(PKCS11Signer):
    """One signing operation at a time on the shared session; a token failure is a :class:`ConfigError`."""

    def __init__(self, lock: threading.Lock, token_label: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._esign_lock, self._esign_token = lock, token_label

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if dry_run:
            return await super().async_sign_raw(data, digest_algorithm, dry_run=True)
        with self._esign_lock, _token_errors(self._esign_token):
            return await super().async_sign_raw(data, digest_algorithm)


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))
