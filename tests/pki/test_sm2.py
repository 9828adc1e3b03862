"""SM2/SM3 primitives against the standards' own examples and against OpenSSL 3 in both directions.

Vectors:
- SM3: GB/T 32905-2016 Annex A, examples 1 ("abc") and 2 ("abcd" x 16).
- Z_A and e on the standard's example curve: GB/T 32918.2-2016 Annex A.2 (ID ALICE123@YAHOO.COM, message
  "message digest"); the curve is not the recommended one, so only the hashing is checked there.
- A whole signature on the recommended curve: GM/T 0003.5-2012 / GB/T 32918.5-2017 Annex A (key d, default
  ID 1234567812345678, message "message digest", k, Z_A, e, r, s), the vector also in OpenHiTLS' CMVP self test.
- OpenSSL's own SM2 vectors: test/recipes/30-test_evp_data/evppkey_sm2.txt (key SM2_key1, digest-level).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from gmalglib.sm2 import SM2 as GmSM2

from esign.pki.sm2 import (
    DEFAULT_USER_ID,
    Sm2KeyError,
    Sm2PrivateKey,
    Sm2PublicKey,
    Sm3Hasher,
    _z,
    sm3,
)
from tests.pki.conftest import Run


def test_sm3_standard_examples() -> None:
    assert sm3(b"abc").hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert sm3(b"abcd" * 16).hex() == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
    h = Sm3Hasher(b"ab")
    for piece in (b"cd", b"abcd" * 15):
        h.update(piece)
    assert h.digest() == sm3(b"abcd" * 16)


def test_sm3_matches_openssl(openssl: Run, tmp_path: Path) -> None:
    data = bytes(range(256)) * 40
    (tmp_path / "d").write_bytes(data)
    out = openssl("dgst", "-sm3", "-r", tmp_path / "d")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[0] == sm3(data).hex()


# GB/T 32918.2-2016 Annex A.2: the example curve over F_p (256 bits) and user A.
_TEST_CURVE = {
    "a": 0x787968B4FA32C3FD2417842E73BBFEFF2F3C848B6831D7E0EC65228B3937E498,
    "b": 0x63E4C6D3B23B0C849CF84241484BFE48F61D59A5B16BA06E6E12D1DA27C5249A,
    "gx": 0x421DEBD61B62EAB6746434EBC3CC315E32220B3BADD50BDC4C4E6C147FEDD43D,
    "gy": 0x0680512BCBB42C07D47349D2153B70C4E5D7FDFCBFA36EA1A85841B9E46E09A2,
}
_TEST_XA = bytes.fromhex("0AE4C7798AA0F119471BEE11825BE46202BB79E2A5844495E97C04FF4DF2548A")
_TEST_YA = bytes.fromhex("7C0240F88F1CD4E16352A73C17B7F16F07353E53A176D684A9FE0C6BB798E857")


def test_z_and_e_of_the_standard_example_curve() -> None:
    za = _z(b"ALICE123@YAHOO.COM", _TEST_XA, _TEST_YA, **_TEST_CURVE)
    assert za.hex().upper() == "F4A38489E32B45B6F876E3AC2168CA392362DC8F23459C1D1146FC3DBFB7BC9A"
    e = sm3(za + b"message digest")
    assert e.hex().upper() == "B524F552CD82B8B028476E005C377FB19A87E6FC682D48BB5D42E3D9B9EFFE76"


# GM/T 0003.5-2012 / GB/T 32918.5-2017 Annex A: signature on the recommended curve.
_D = bytes.fromhex("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8")
_P = bytes.fromhex(
    "04"
    "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
    "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
)
_K = bytes.fromhex("59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21")
_ZA = "B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3"
_E = "F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640"
_R = "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
_S = "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"


def _der(r_hex: str, s_hex: str) -> bytes:
    def integer(v: str) -> bytes:
        b = bytes.fromhex(v).lstrip(b"\0") or b"\0"
        b = b"\0" + b if b[0] & 0x80 else b
        return bytes([2, len(b)]) + b

    body = integer(r_hex) + integer(s_hex)
    return bytes([0x30, len(body)]) + body


def test_recommended_curve_example() -> None:
    key = Sm2PrivateKey(_D)
    pub = key.public_key()
    assert pub.point == _P
    assert pub.z_value().hex().upper() == _ZA
    assert pub.z_value(DEFAULT_USER_ID) == pub.z_value(b"1234567812345678")
    assert pub.message_hash(b"message digest").hex().upper() == _E
    sig = _der(_R, _S)
    assert pub.verify(sig, b"message digest")
    assert not pub.verify(sig, b"message digest!")
    assert not pub.verify(sig, b"message digest", user_id=b"ALICE123@YAHOO.COM")
    # Our signatures with a random k verify as well, and differ each time.
    ours = key.sign(b"message digest")
    assert pub.verify(ours, b"message digest") and ours != key.sign(b"message digest")


def test_the_library_reproduces_r_and_s_with_the_standards_k() -> None:
    """The arithmetic under Sm2PrivateKey.sign_digest: with the standard's k, exactly its (r, s)."""
    engine = GmSM2(_D, rnd_fn=lambda n: _K[::-1])  # gmalglib reads its random integers little-endian
    assert engine.sign_digest(bytes.fromhex(_E)).hex().upper() == _R + _S


# OpenSSL's evppkey_sm2.txt: SM2_key1 and two SM3 verifications at digest level.
#: The public point of SM2_key1 (the test file gives the key as PKCS#8; only its public half is needed here).
_OPENSSL_KEY1_POINT = (
    "04393A2AD9E27E43ACAAAB85A19D3B85591E14406157175ADDD37BF77FF0CAF9ED"
    "37FCF3A8B4F55C038523261FCA6636AFE6A7AFA2A1482A606F5CB3A18B2E2A1E"
)
_OPENSSL_VECTORS = [
    (
        "D7AD397F6FFA5D4F7F11E7217F241607DC30618C236D2C09C1B9EA8FDADEE2E8",
        "3046022100AB1DB64DE7C40EDBDE6651C9B8EBDB804673DB836E5D5C7FE15DCF9ED2725037022100EBA714451FF69B0BB930B379E192E7CD5FA6E3C41C7FBD8303B799AB54A54621",
    ),
    (
        "B1139602C6ECC9E15E2F3F9C635A1AFE737058BC15387479C1EA0D0B3D90E9E5",
        "3045022100E6E0414EBD3A656C35602AF14AB20287DBF30D57AF75C49A188ED4B42391F22402202F54F277C606F4605E1CE9514947FFDDF94C67A539804A4ED17F852288BDBE2E",
    ),
]


def test_openssl_test_vectors() -> None:
    pub = Sm2PublicKey.from_point(bytes.fromhex(_OPENSSL_KEY1_POINT))
    for digest, sig in _OPENSSL_VECTORS:
        assert pub.verify_digest(bytes.fromhex(sig), bytes.fromhex(digest))
        assert not pub.verify_digest(bytes.fromhex(sig), bytes.fromhex(digest)[::-1])


def _pub_pem(pub: Sm2PublicKey, path: Path) -> Path:
    import base64

    b64 = base64.encodebytes(pub.spki_der()).decode()
    path.write_text(f"-----BEGIN PUBLIC KEY-----\n{b64}-----END PUBLIC KEY-----\n")
    return path


@pytest.mark.parametrize("user_id", [DEFAULT_USER_ID, b"ALICE123@YAHOO.COM"])
def test_openssl_verifies_ours_and_we_verify_openssls(openssl: Run, tmp_path: Path, user_id: bytes) -> None:
    key = Sm2PrivateKey.generate()
    key_pem = tmp_path / "key.pem"
    key_pem.write_bytes(key.pkcs8_pem(b"s3cret"))
    pub_pem = _pub_pem(key.public_key(), tmp_path / "pub.pem")
    msg = tmp_path / "msg"
    msg.write_bytes("县改革办 电子印章 SM2 ✓".encode() * 50)
    distid = f"distid:{user_id.decode()}"

    (tmp_path / "ours.sig").write_bytes(key.sign(msg.read_bytes(), user_id=user_id))
    common = ("-rawin", "-digest", "sm3", "-in", msg, "-pkeyopt", distid)
    ok = openssl("pkeyutl", "-verify", "-pubin", "-inkey", pub_pem, "-sigfile", tmp_path / "ours.sig", *common)
    assert ok.returncode == 0 and "Verified Successfully" in ok.stdout, ok.stdout + ok.stderr
    other = "distid:someone-else"
    bad = openssl(
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        pub_pem,
        "-sigfile",
        tmp_path / "ours.sig",
        "-rawin",
        "-digest",
        "sm3",
        "-in",
        msg,
        "-pkeyopt",
        other,
    )
    assert bad.returncode != 0

    signed = openssl(
        "pkeyutl", "-sign", "-inkey", key_pem, "-passin", "pass:s3cret", "-out", tmp_path / "o.sig", *common
    )
    assert signed.returncode == 0, signed.stderr
    theirs = (tmp_path / "o.sig").read_bytes()
    assert key.public_key().verify(theirs, msg.read_bytes(), user_id=user_id)
    assert not key.public_key().verify(theirs, msg.read_bytes() + b".", user_id=user_id)
    assert not key.public_key().verify(theirs, msg.read_bytes(), user_id=user_id + b"x")


def test_encrypted_pkcs8_both_ways(openssl: Run, tmp_path: Path) -> None:
    key = Sm2PrivateKey.generate()
    pem = key.pkcs8_pem(b"pw-1")
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    (tmp_path / "ours.pem").write_bytes(pem)
    text = openssl("pkey", "-in", tmp_path / "ours.pem", "-passin", "pass:pw-1", "-text", "-noout")
    assert text.returncode == 0, text.stderr
    assert "ASN1 OID: SM2" in text.stdout
    assert key.public_key().point.hex()[:20] in text.stdout.replace(":", "").replace("\n", "").replace(" ", "")
    assert openssl("pkey", "-in", tmp_path / "ours.pem", "-passin", "pass:wrong", "-noout").returncode != 0
    assert Sm2PrivateKey.from_pkcs8_pem(pem, b"pw-1").public_key() == key.public_key()

    made = openssl("genpkey", "-algorithm", "SM2", "-aes-128-cbc", "-pass", "pass:pw-2", "-out", tmp_path / "o.pem")
    assert made.returncode == 0, made.stderr
    pub = openssl(
        "pkey",
        "-in",
        tmp_path / "o.pem",
        "-passin",
        "pass:pw-2",
        "-pubout",
        "-outform",
        "DER",
        "-out",
        tmp_path / "o.pub",
    )
    assert pub.returncode == 0, pub.stderr
    theirs = Sm2PrivateKey.from_pkcs8_pem((tmp_path / "o.pem").read_bytes(), b"pw-2")
    assert theirs.public_key() == Sm2PublicKey.from_spki_der((tmp_path / "o.pub").read_bytes())


def test_key_refusals() -> None:
    key = Sm2PrivateKey.generate()
    pem = key.pkcs8_pem(b"right")
    with pytest.raises(Sm2KeyError) as e:
        Sm2PrivateKey.from_pkcs8_pem(pem, b"wrong")
    assert e.value.code == "wrong_passphrase" and e.value.message_zh
    with pytest.raises(Sm2KeyError):
        Sm2PrivateKey.from_pkcs8_pem(pem, None)
    plain = subprocess.run(  # OpenSSL writes the same key as unencrypted PKCS#8 (kept in memory only)
        ["openssl", "pkey", "-passin", "pass:right"], input=pem, capture_output=True, check=True, timeout=30
    ).stdout
    assert b"PRIVATE KEY-----" in plain and b"ENCRYPTED" not in plain
    assert Sm2PrivateKey.from_pkcs8_pem(plain, None).public_key() == key.public_key()  # OpenSSL's plain form reads
    with pytest.raises(Sm2KeyError) as e:  # a passphrase given: an unencrypted key is refused, not read
        Sm2PrivateKey.from_pkcs8_pem(plain, b"right")
    assert e.value.code == "unencrypted_key"
    with pytest.raises(Sm2KeyError):
        key.pkcs8_pem(b"")
    with pytest.raises(Sm2KeyError):
        Sm2PrivateKey(b"\0" * 32)
    scalar = Sm2PrivateKey.from_pkcs8_pem(pem, b"right")._d.hex()
    assert scalar not in repr(key).lower() and scalar[:8] not in repr(key).lower()


def test_public_key_validation() -> None:
    pub = Sm2PrivateKey.generate().public_key()
    x, y = pub.point[1:33], pub.point[33:]
    compressed = bytes([2 + (y[-1] & 1)]) + x
    assert Sm2PublicKey.from_point(compressed) == pub
    assert Sm2PublicKey.from_spki_der(pub.spki_der()) == pub
    off_curve = b"\x04" + x + (int.from_bytes(y, "big") ^ 1).to_bytes(32, "big")
    for bad in (off_curve, pub.point[:-1], b"\x05" + pub.point[1:], b"\x04" + bytes(64)):
        with pytest.raises(Sm2KeyError):
            Sm2PublicKey.from_point(bad)


def test_only_strict_der_signatures_verify() -> None:
    key = Sm2PrivateKey(_D)
    pub = key.public_key()
    sig = _der(_R, _S)
    assert pub.verify(sig, b"message digest")
    raw = bytes.fromhex(_R + _S)
    long_form = bytes([0x30, 0x81, sig[1]]) + sig[2:]
    r_zero = _der("00", _S)
    n = "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123"
    r_plus_n = _der(f"{int(_R, 16) + int(n, 16):066X}", _S)
    for bad in (raw, sig + b"\0", long_form, r_zero, r_plus_n, b"", b"\x30\x00"):
        assert not pub.verify(bad, b"message digest"), bad.hex()
