"""Key algorithms: which keys a county PKI uses, how to make them and which hash goes with each."""

from __future__ import annotations

import enum
from typing import TypeAlias

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from esign.errors import InputError

__all__ = [
    "KeyAlgorithm",
    "PrivateKey",
    "PublicKey",
    "algorithm_of",
    "generate_private_key",
    "signature_hash",
]

#: The private key types esign signs with.
PrivateKey: TypeAlias = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
#: The matching public key types.
PublicKey: TypeAlias = ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey


class KeyAlgorithm(enum.StrEnum):
    """A key type and size. ``EC_P256`` is the default: small signatures, fast, widely supported."""

    EC_P256 = "ec-p256"
    EC_P384 = "ec-p384"
    RSA_3072 = "rsa-3072"
    ED25519 = "ed25519"
    """Only for the usage register's checkpoint key (signed notes), never for certificates."""

    @property
    def for_certificates(self) -> bool:
        """Whether CA, TSA, OCSP and seal keys may use this algorithm."""
        return self is not KeyAlgorithm.ED25519

    @property
    def hash_algorithm(self) -> hashes.SHA256 | hashes.SHA384:
        """The digest signatures with this key use: SHA-384 for P-384, SHA-256 otherwise."""
        if self is KeyAlgorithm.EC_P384:
            return hashes.SHA384()
        return hashes.SHA256()


def generate_private_key(algorithm: KeyAlgorithm = KeyAlgorithm.EC_P256) -> PrivateKey:
    """A fresh private key of ``algorithm`` from the operating system's CSPRNG."""
    if algorithm is KeyAlgorithm.EC_P256:
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm is KeyAlgorithm.EC_P384:
        return ec.generate_private_key(ec.SECP384R1())
    if algorithm is KeyAlgorithm.RSA_3072:
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    if algorithm is KeyAlgorithm.ED25519:
        return ed25519.Ed25519PrivateKey.generate()
    raise InputError("不支持的密钥算法。", f"Unsupported key algorithm: {algorithm!r}.", code="bad_algorithm")


def algorithm_of(key: PrivateKey | PublicKey) -> KeyAlgorithm:
    """The :class:`KeyAlgorithm` of an existing key; refuses key types esign does not use."""
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        if isinstance(key.curve, ec.SECP256R1):
            return KeyAlgorithm.EC_P256
        if isinstance(key.curve, ec.SECP384R1):
            return KeyAlgorithm.EC_P384
    elif isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey) and key.key_size >= 3072:
        # Larger RSA keys (e.g. imported 4096-bit ones) sign with SHA-256 like RSA-3072.
        return KeyAlgorithm.RSA_3072
    elif isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return KeyAlgorithm.ED25519
    raise InputError(
        "不支持的密钥类型或长度。", f"Unsupported key type or size: {type(key).__name__}.", code="bad_algorithm"
    )


def signature_hash(key: PrivateKey | PublicKey) -> hashes.SHA256 | hashes.SHA384:
    """The digest to sign with ``key`` (see :attr:`KeyAlgorithm.hash_algorithm`)."""
    return algorithm_of(key).hash_algorithm
