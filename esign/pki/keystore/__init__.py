"""Key stores: where the county's private keys live."""

from esign.pki.keystore.api import KeyStore, TokenKeyStore, validate_key_id
from esign.pki.keystore.file import FileKeyStore
from esign.pki.keystore.memory import MemoryKeyStore

__all__ = ["FileKeyStore", "KeyStore", "MemoryKeyStore", "TokenKeyStore", "validate_key_id"]
