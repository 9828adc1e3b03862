"""SM2 signatures and SM3 hashes: the primitives of China's commercial cryptography.

- SM3 (GB/T 32905-2016): :func:`sm3` and the streaming :class:`Sm3Hasher`, on OpenSSL through
  pyca/cryptography (``hashes.SM3``).
- SM2 digital signatures (GB/T 32918.2-2016) on the recommended curve sm2p256v1 (GB/T 32918.5-2017):
  :class:`Sm2PrivateKey` and :class:`Sm2PublicKey`. The curve arithmetic is gmalglib's (a C
  implementation with no dependencies, MIT licence; pyca/cryptography has no SM2, its issues #6857 and
  #8912). Chosen over gmssl-pyx (GmSSL 3.2: prints a trace to stderr on every failed verification and
  cannot take a chosen k, so the standard's example could not be reproduced) and gmssl-fast (a first
  0.1.0 release); gmalglib reproduces GB/T 32918.5's (r, s) exactly and builds from its sdist with gcc
  alone. A signature is computed over ``e = SM3(Z_A || M)``, where ``Z_A`` hashes the signer's
  distinguishing identifier, the curve and the public key (GB/T 32918.2 §5.5); esign computes ``Z_A``
  itself and gives the library ``e``. The identifier defaults to ``1234567812345678`` (GB/T 35276-2017
  §5.3; OpenSSL's and BouncyCastle's default too).
- A signature is the DER ``SEQUENCE { r INTEGER, s INTEGER }`` of GB/T 35276-2017 §7.3 (what
  certificates, OpenSSL and BouncyCastle use). Verification accepts only that exact encoding, with
  ``1 <= r, s < n``: a re-encoded or padded signature is a different byte string and is refused.
- Private keys leave this module only as ENCRYPTED PKCS#8 (RFC 5958, RFC 8018 PBES2 with PBKDF2-HMAC-SHA256
  and AES-256-CBC) holding an RFC 5915 ECPrivateKey on the SM2 curve, the form OpenSSL 3 writes for SM2
  keys (``openssl genpkey -algorithm SM2``) and reads with ``openssl pkey``.

Not here: certificates (:mod:`esign.pki.sm2_certs`), SM2 encryption and key exchange (not used).
Checked in ``tests/pki/test_sm2.py`` against the standards' own examples and OpenSSL 3 in both directions.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import Protocol

from asn1crypto import algos, core, keys, pem
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from gmalglib.sm2 import SM2 as _GmSM2

from esign.errors import InputError
from esign.pki.sm2_asn1 import SM2_CURVE_NAME, SM2_CURVE_OID, SM2_WITH_SM3_OID, SM3_OID

__all__ = [
    "DEFAULT_USER_ID",
    "SM2_CURVE_OID",
    "SM2_WITH_SM3_OID",
    "SM3_OID",
    "Sm2KeyError",
    "Sm2PrivateKey",
    "Sm2PublicKey",
    "Sm2Signing",
    "Sm3Hasher",
    "signature_from_raw",
    "sm3",
]

#: The default distinguishing identifier (GB/T 35276-2017 §5.3), ENTL = 128 bits.
DEFAULT_USER_ID = b"1234567812345678"

# sm2p256v1, GB/T 32918.5-2017 (the "recommended parameters").
_P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
_A = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
_B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
_N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
_GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
_GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0

#: Longest identifier ENTL (16 bits, counted in bits) can describe.
_MAX_USER_ID = 8191
#: PBKDF2 rounds for keys this module encrypts (RFC 8018; raised from OpenSSL's default 2048).
_PBKDF2_ITERATIONS = 100_000
_AES_CBC = {"aes128_cbc": 16, "aes192_cbc": 24, "aes256_cbc": 32}
_PRF: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


class Sm2Signing(Protocol):
    """Anything that makes SM2 signatures: :class:`Sm2PrivateKey`, or a key store's signer (a file, an
    SDF/SKF device) that never hands its private key out."""

    def sign(self, data: bytes, *, user_id: bytes = DEFAULT_USER_ID) -> bytes:
        """The DER SM2 signature over ``data`` (``e = SM3(Z_A || data)``)."""
        ...


class Sm2KeyError(InputError):
    """An SM2 key that cannot be used: not on the curve, not SM2, damaged, or a wrong passphrase."""

    default_code = "sm2_bad_key"


def _key_error(zh: str, en: str, code: str = "sm2_bad_key") -> Sm2KeyError:
    return Sm2KeyError(f"SM2 密钥无效：{zh}", f"Invalid SM2 key: {en}", code=code)


def sm3(data: bytes) -> bytes:
    """SM3 of ``data`` (GB/T 32905-2016): 32 bytes."""
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize()


class Sm3Hasher:
    """SM3 over data given in pieces: ``update()`` as often as needed, then ``digest()`` once."""

    def __init__(self, data: bytes = b"") -> None:
        self._h = hashes.Hash(hashes.SM3())
        if data:
            self._h.update(data)

    def update(self, data: bytes) -> None:
        """Feed more data."""
        self._h.update(data)

    def digest(self) -> bytes:
        """The 32-byte digest of everything fed so far; the hasher cannot be used afterwards."""
        return self._h.finalize()


def _check_user_id(user_id: bytes) -> bytes:
    if not isinstance(user_id, bytes) or len(user_id) > _MAX_USER_ID:
        raise InputError(
            "SM2 用户标识必须是不超过 8191 字节的字节串。",
            "The SM2 user ID must be bytes of at most 8191 bytes.",
            code="sm2_bad_user_id",
        )
    return user_id


def _z(user_id: bytes, x: bytes, y: bytes, *, a: int = _A, b: int = _B, gx: int = _GX, gy: int = _GY) -> bytes:
    """Z = SM3(ENTL || ID || a || b || xG || yG || xA || yA), GB/T 32918.2-2016 §5.5."""
    entl = (len(user_id) * 8).to_bytes(2, "big")
    parts = (a, b, gx, gy)
    return sm3(entl + user_id + b"".join(v.to_bytes(32, "big") for v in parts) + x + y)


def _curve_of(algorithm: keys.PublicKeyAlgorithm | keys.PrivateKeyAlgorithm) -> str:
    """The curve an EC key AlgorithmIdentifier names (id-ecPublicKey + named curve), else its own OID
    (some writers put the SM2 OID itself in the algorithm field)."""
    oid = str(algorithm["algorithm"].dotted)
    params = algorithm["parameters"]
    if oid == "1.2.840.10045.2.1" and params.name == "named":
        return str(params.chosen.dotted)
    return oid


def _on_curve(x: int, y: int) -> bool:
    return x < _P and y < _P and (y * y - x * x * x - _A * x - _B) % _P == 0


def _raw_signature(signature_der: bytes) -> bytes | None:
    """``r || s`` (64 bytes) from a strictly DER-encoded ``SEQUENCE {r INTEGER, s INTEGER}``, or None.

    Hand-parsed (asn1crypto costs more than the curve operation here): short-form lengths only (the
    whole signature is at most 72 bytes), minimal INTEGER encodings, nothing after the SEQUENCE.
    """
    sig = signature_der
    if not isinstance(sig, bytes) or len(sig) < 8 or sig[0] != 0x30 or sig[1] != len(sig) - 2:
        return None
    values: list[int] = []
    i = 2
    for _ in range(2):
        if i + 2 > len(sig) or sig[i] != 0x02:
            return None
        length = sig[i + 1]
        body = sig[i + 2 : i + 2 + length]
        if not 0 < length <= 33 or len(body) != length or body[0] & 0x80:
            return None
        if length > 1 and body[0] == 0 and not body[1] & 0x80:
            return None  # not minimal
        values.append(int.from_bytes(body, "big"))
        i += 2 + length
    r, s = values
    if i != len(sig) or not (0 < r < _N and 0 < s < _N):
        return None
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def signature_from_raw(raw: bytes) -> bytes:
    """DER ``SEQUENCE {r, s}`` from the 64-byte ``r || s`` that SDF/SKF devices return (GM/T 0018, 0016)."""
    if not isinstance(raw, bytes) or len(raw) != 64:
        raise InputError(
            "r||s 签名必须是 64 字节。", "A raw r||s signature must be 64 bytes.", code="sm2_bad_signature"
        )
    return _der_signature(raw)


def _der_signature(raw: bytes) -> bytes:
    def integer(v: bytes) -> bytes:
        v = v.lstrip(b"\0") or b"\0"
        if v[0] & 0x80:
            v = b"\0" + v
        return bytes((0x02, len(v))) + v

    body = integer(raw[:32]) + integer(raw[32:])
    return bytes((0x30, len(body))) + body


@dataclass(frozen=True)
class Sm2PublicKey:
    """A point on the SM2 curve, validated when made (never the point at infinity, never off the curve)."""

    point: bytes
    """The uncompressed point ``04 || X || Y`` (65 bytes)."""

    def __post_init__(self) -> None:
        p = self.point
        if not isinstance(p, bytes) or len(p) != 65 or p[0] != 4:
            raise _key_error("公钥应为 65 字节的非压缩点。", "the public key must be a 65-byte uncompressed point.")
        if not _on_curve(int.from_bytes(p[1:33], "big"), int.from_bytes(p[33:], "big")):
            raise _key_error("公钥不在 SM2 曲线上。", "the public key is not a point on the SM2 curve.")

    @classmethod
    def from_point(cls, data: bytes) -> Sm2PublicKey:
        """From an encoded point: uncompressed (65 bytes, ``04``) or compressed (33 bytes, ``02``/``03``)."""
        if isinstance(data, bytes) and len(data) == 33 and data[0] in (2, 3):
            try:
                data = _GmSM2.convert_pk(data)
            except ValueError as e:
                raise _key_error("压缩公钥不在 SM2 曲线上。", "the compressed point is not on the SM2 curve.") from e
        return cls(data)

    @classmethod
    def from_spki_der(cls, der: bytes) -> Sm2PublicKey:
        """From a DER SubjectPublicKeyInfo: id-ecPublicKey with the SM2 curve (or the SM2 OID itself)."""
        try:
            info = keys.PublicKeyInfo.load(der, strict=True)
            ok = _curve_of(info["algorithm"]) == SM2_CURVE_OID
            point = bytes(info["public_key"])
        except (ValueError, TypeError, KeyError) as e:
            raise _key_error("无法解析公钥信息。", "cannot parse the SubjectPublicKeyInfo.") from e
        if not ok:
            raise _key_error("公钥不是 SM2 公钥。", "the SubjectPublicKeyInfo is not an SM2 key.")
        return cls.from_point(point)

    def spki_der(self) -> bytes:
        """DER SubjectPublicKeyInfo: id-ecPublicKey, parameters the SM2 curve OID (GB/T 20518-2018)."""
        return keys.PublicKeyInfo(
            {
                "algorithm": {"algorithm": "ec", "parameters": keys.ECDomainParameters("named", SM2_CURVE_NAME)},
                "public_key": self.point,
            }
        ).dump()

    def z_value(self, user_id: bytes = DEFAULT_USER_ID) -> bytes:
        """Z_A for ``user_id`` and this key (GB/T 32918.2-2016 §5.5)."""
        return _cached_z(self.point, _check_user_id(user_id))

    def message_hash(self, data: bytes, *, user_id: bytes = DEFAULT_USER_ID) -> bytes:
        """``e = SM3(Z_A || data)``, the value an SM2 signature over ``data`` actually signs."""
        h = Sm3Hasher(self.z_value(user_id))
        h.update(data)
        return h.digest()

    def verify(self, signature_der: bytes, data: bytes, *, user_id: bytes = DEFAULT_USER_ID) -> bool:
        """Whether ``signature_der`` is this key's SM2 signature over ``data`` for ``user_id``.

        False for any signature that is not strictly DER-encoded; never raises for a bad signature.
        """
        return self.verify_digest(signature_der, self.message_hash(data, user_id=user_id))

    def verify_digest(self, signature_der: bytes, digest: bytes) -> bool:
        """Whether ``signature_der`` signs ``digest``, an ``e`` already computed (see :meth:`message_hash`)."""
        raw = _raw_signature(signature_der)
        if raw is None or len(digest) != 32:
            return False
        return bool(_GmSM2(pk=self.point).verify_digest(digest, raw))


@functools.lru_cache(maxsize=1024)
def _cached_z(point: bytes, user_id: bytes) -> bytes:
    return _z(user_id, point[1:33], point[33:])


class Sm2PrivateKey:
    """An SM2 private key (the scalar ``d``, ``1 <= d <= n - 2``) with its public key.

    ``repr()`` never shows the scalar, and the only way out is :meth:`pkcs8_pem`, encrypted.
    """

    __slots__ = ("_d", "_engine", "_public")

    def __init__(self, scalar: bytes) -> None:
        if not isinstance(scalar, bytes) or len(scalar) != 32 or not _GmSM2.is_sk_valid(scalar):
            raise _key_error("私钥不在 [1, n-2] 范围内。", "the private scalar is not in [1, n-2].")
        self._d = scalar
        self._engine = _GmSM2(sk=scalar)
        self._public = Sm2PublicKey(_GmSM2.get_pk(scalar))

    def __repr__(self) -> str:
        return f"Sm2PrivateKey(public={self._public.point[:9].hex()}…)"

    @classmethod
    def generate(cls) -> Sm2PrivateKey:
        """A fresh key from the operating system's CSPRNG (GB/T 32918.1 §6.1 range)."""
        while True:
            d = os.urandom(32)
            if _GmSM2.is_sk_valid(d):
                return cls(d)

    @classmethod
    def from_pkcs8_pem(cls, pem_data: bytes, passphrase: bytes | None) -> Sm2PrivateKey:
        """Read PKCS#8 PEM: ``ENCRYPTED PRIVATE KEY`` with ``passphrase`` (PBES2: PBKDF2 with HMAC-SHA-1/2,
        AES-CBC), or a plain ``PRIVATE KEY`` only when ``passphrase`` is None.

        A key with a passphrase given must be encrypted: an unencrypted file is refused rather than read.
        """
        try:
            kind, _, der = pem.unarmor(pem_data)
        except (ValueError, TypeError) as e:
            raise _key_error("不是 PEM 格式。", "not PEM data.") from e
        if kind == "ENCRYPTED PRIVATE KEY":
            if not passphrase:
                raise _key_error("密钥已加密，需要口令。", "the key is encrypted and needs a passphrase.")
            der = _pbes2_decrypt(der, passphrase)
        elif kind == "PRIVATE KEY":
            if passphrase is not None:
                raise _key_error(
                    "密钥文件未加密，拒绝使用。", "the key is not encrypted; refusing it.", code="unencrypted_key"
                )
        else:
            raise _key_error(f"不支持的 PEM 类型 {kind}。", f"unsupported PEM type {kind!r}.")
        return cls._from_private_key_info(der)

    @classmethod
    def _from_private_key_info(cls, der: bytes) -> Sm2PrivateKey:
        try:
            info = keys.PrivateKeyInfo.load(der, strict=True)
            curve = _curve_of(info["private_key_algorithm"])
            ec_key = keys.ECPrivateKey.load(info["private_key"].contents)
            scalar = ec_key["private_key"].native
            embedded = ec_key["public_key"]
            embedded_point = None if isinstance(embedded, core.Void) else bytes(embedded)
        except (ValueError, TypeError, KeyError) as e:
            raise _key_error("无法解析 PKCS#8 私钥。", "cannot parse the PKCS#8 private key.") from e
        if curve != SM2_CURVE_OID:
            raise _key_error("密钥不在 SM2 曲线上。", "the key is not on the SM2 curve.")
        if not isinstance(scalar, int) or not 0 < scalar < _N:
            raise _key_error("私钥不在 [1, n-2] 范围内。", "the private scalar is not in [1, n-2].")
        key = cls(scalar.to_bytes(32, "big"))
        if embedded_point is not None and embedded_point != key._public.point:
            raise _key_error("文件中的公钥与私钥不符。", "the embedded public key does not match the private key.")
        return key

    def pkcs8_pem(self, passphrase: bytes) -> bytes:
        """ENCRYPTED PKCS#8 PEM (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC), readable by ``openssl pkey``."""
        if not isinstance(passphrase, bytes) or not passphrase:
            raise _key_error("加密私钥需要非空口令。", "encrypting the key needs a non-empty passphrase.")
        ec_key = keys.ECPrivateKey(
            {
                "version": "ecPrivkeyVer1",
                "private_key": int.from_bytes(self._d, "big"),
                "public_key": self._public.point,
            }
        )
        info = keys.PrivateKeyInfo(
            {
                "version": 0,
                "private_key_algorithm": {
                    "algorithm": "ec",
                    "parameters": keys.ECDomainParameters("named", SM2_CURVE_NAME),
                },
                "private_key": ec_key,
            }
        )
        return pem.armor("ENCRYPTED PRIVATE KEY", _pbes2_encrypt(info.dump(), passphrase))

    def public_key(self) -> Sm2PublicKey:
        """The matching public key."""
        return self._public

    def sign(self, data: bytes, *, user_id: bytes = DEFAULT_USER_ID) -> bytes:
        """SM2 signature over ``data`` (``e = SM3(Z_A || data)``), DER ``SEQUENCE {r, s}``; random ``k``."""
        return self.sign_digest(self._public.message_hash(data, user_id=user_id))

    def sign_digest(self, digest: bytes) -> bytes:
        """SM2 signature over an ``e`` already computed with :meth:`Sm2PublicKey.message_hash`."""
        if not isinstance(digest, bytes) or len(digest) != 32:
            raise InputError(
                "SM2 签名的摘要必须是 32 字节。", "The SM2 digest must be 32 bytes.", code="sm2_bad_digest"
            )
        return _der_signature(self._engine.sign_digest(digest))


def _pbes2_encrypt(plain: bytes, passphrase: bytes) -> bytes:
    salt, iv = os.urandom(16), os.urandom(16)
    key = PBKDF2HMAC(hashes.SHA256(), 32, salt, _PBKDF2_ITERATIONS).derive(passphrase)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plain) + padder.finalize()
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    encrypted = enc.update(padded) + enc.finalize()
    return keys.EncryptedPrivateKeyInfo(
        {
            "encryption_algorithm": {
                "algorithm": "pbes2",
                "parameters": {
                    "key_derivation_func": {
                        "algorithm": "pbkdf2",
                        "parameters": {
                            "salt": algos.Pbkdf2Salt("specified", salt),
                            "iteration_count": _PBKDF2_ITERATIONS,
                            "prf": {"algorithm": "sha256"},
                        },
                    },
                    "encryption_scheme": {"algorithm": "aes256_cbc", "parameters": iv},
                },
            },
            "encrypted_data": encrypted,
        }
    ).dump()


def _pbes2_decrypt(der: bytes, passphrase: bytes) -> bytes:
    try:
        info = keys.EncryptedPrivateKeyInfo.load(der, strict=True)
        alg = info["encryption_algorithm"]
        if alg["algorithm"].native != "pbes2":
            raise ValueError("not PBES2")
        params = alg["parameters"]
        kdf = params["key_derivation_func"]
        if kdf["algorithm"].native != "pbkdf2":
            raise ValueError("not PBKDF2")
        kdf_params = kdf["parameters"]
        prf = _PRF[kdf_params["prf"]["algorithm"].native]
        scheme = params["encryption_scheme"]
        key_len = _AES_CBC[scheme["algorithm"].native]
        iv = scheme["parameters"].native
        salt = kdf_params["salt"].native
        rounds = kdf_params["iteration_count"].native
        encrypted = info["encrypted_data"].native
    except (ValueError, TypeError, KeyError) as e:
        raise _key_error(
            "不支持的私钥加密方式（支持 PBES2/PBKDF2/AES-CBC）。",
            "unsupported key encryption (PBES2 with PBKDF2 and AES-CBC is supported).",
        ) from e
    try:
        key = PBKDF2HMAC(prf(), key_len, salt, rounds).derive(passphrase)
        dec = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
        padded = dec.update(encrypted) + dec.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError as e:
        raise _key_error(
            "无法解密：口令错误或文件已损坏。",
            "cannot decrypt: wrong passphrase or damaged file.",
            code="wrong_passphrase",
        ) from e
