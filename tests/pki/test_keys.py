from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from esign.errors import InputError
from esign.pki.keys import KeyAlgorithm, algorithm_of, generate_private_key, signature_hash


@pytest.mark.parametrize(
    ("algorithm", "key_type", "hash_type"),
    [
        (KeyAlgorithm.EC_P256, ec.EllipticCurvePrivateKey, hashes.SHA256),
        (KeyAlgorithm.EC_P384, ec.EllipticCurvePrivateKey, hashes.SHA384),
        (KeyAlgorithm.RSA_3072, rsa.RSAPrivateKey, hashes.SHA256),
    ],
)
def test_generate_and_hash(algorithm: KeyAlgorithm, key_type: type, hash_type: type) -> None:
    key = generate_private_key(algorithm)
    assert isinstance(key, key_type)
    assert algorithm_of(key) is algorithm
    assert algorithm_of(key.public_key()) is algorithm
    assert isinstance(signature_hash(key), hash_type)
    assert isinstance(algorithm.hash_algorithm, hash_type)


def test_default_is_p256() -> None:
    key = generate_private_key()
    assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1"


def test_algorithm_values_are_stable() -> None:
    assert KeyAlgorithm("ec-p256") is KeyAlgorithm.EC_P256
    assert {a.value for a in KeyAlgorithm if a.for_certificates} == {"ec-p256", "ec-p384", "rsa-3072"}
    assert not KeyAlgorithm.ED25519.for_certificates


def test_refuses_weak_or_foreign_keys() -> None:
    with pytest.raises(InputError):
        algorithm_of(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    with pytest.raises(InputError):
        algorithm_of(ec.generate_private_key(ec.SECP521R1()))
