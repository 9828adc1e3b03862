from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from esign.errors import ConfigError, ConflictError, InputError, NotFoundError
from esign.pki.keys import KeyAlgorithm, generate_private_key
from esign.pki.keystore import FileKeyStore, KeyStore, MemoryKeyStore, validate_key_id

PW = b"s3cret passphrase"


@pytest.mark.parametrize("algorithm", list(KeyAlgorithm))
def test_file_round_trip(tmp_path: Path, algorithm: KeyAlgorithm) -> None:
    ks = FileKeyStore(tmp_path / "keys", passphrase=PW)
    assert isinstance(ks, KeyStore)
    assert not ks.exists("seal-1")
    public = ks.generate("seal-1", algorithm)
    assert ks.exists("seal-1")
    assert ks.load_private("seal-1").public_key() == public
    # another instance (another worker) reads the same key
    assert FileKeyStore(tmp_path / "keys", passphrase=PW).load_private("seal-1").public_key() == public


def test_file_is_0600_and_encrypted(tmp_path: Path) -> None:
    ks = FileKeyStore(tmp_path / "keys", passphrase=PW)
    ks.generate("root")
    path = tmp_path / "keys" / "root.key.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = path.read_bytes()
    assert data.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert b"BEGIN PRIVATE KEY" not in data and b"BEGIN EC PRIVATE KEY" not in data
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(data, password=None)
    assert [p.name for p in (tmp_path / "keys").iterdir()] == ["root.key.pem"]  # no temp file left


def test_wrong_passphrase_fails_clearly(tmp_path: Path) -> None:
    FileKeyStore(tmp_path, passphrase=PW).generate("issuing")
    with pytest.raises(ConfigError) as info:
        FileKeyStore(tmp_path, passphrase=b"wrong").load_private("issuing")
    assert info.value.code == "wrong_passphrase"
    assert "passphrase" in info.value.message_en and "口令" in info.value.message_zh


def test_unencrypted_key_file_refused(tmp_path: Path) -> None:
    key = generate_private_key()
    (tmp_path / "plain.key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    with pytest.raises(ConfigError) as info:
        FileKeyStore(tmp_path, passphrase=PW).load_private("plain")
    assert info.value.code == "unencrypted_key"


@pytest.mark.parametrize("passphrase", [b"", "text"])
def test_empty_or_text_passphrase_refused(tmp_path: Path, passphrase: object) -> None:
    with pytest.raises(ConfigError):
        FileKeyStore(tmp_path, passphrase=passphrase)  # type: ignore[arg-type]


@pytest.mark.parametrize("store_kind", ["file", "memory"])
def test_never_overwrites(tmp_path: Path, store_kind: str) -> None:
    ks: KeyStore = FileKeyStore(tmp_path, passphrase=PW) if store_kind == "file" else MemoryKeyStore()
    public = ks.generate("tsa")
    with pytest.raises(ConflictError):
        ks.generate("tsa")
    assert ks.load_private("tsa").public_key() == public


@pytest.mark.parametrize("store_kind", ["file", "memory"])
def test_missing_key(tmp_path: Path, store_kind: str) -> None:
    ks: KeyStore = FileKeyStore(tmp_path, passphrase=PW) if store_kind == "file" else MemoryKeyStore()
    with pytest.raises(NotFoundError):
        ks.load_private("nope")


@pytest.mark.parametrize("bad", ["", "../root", "a/b", ".hidden", "-x", "键", "a" * 129, "a b", "x\x00"])
def test_key_id_validation(tmp_path: Path, bad: str) -> None:
    with pytest.raises(InputError):
        validate_key_id(bad)
    with pytest.raises(InputError):
        FileKeyStore(tmp_path, passphrase=PW).generate(bad)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("good", ["root", "seal-0001", "t_1.v2", "A" * 128])
def test_key_id_accepts(good: str) -> None:
    assert validate_key_id(good) == good
