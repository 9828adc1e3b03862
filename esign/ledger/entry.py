"""One line of the usage register (用印登记台账) and its canonical encoding.

Encoding, version 1
-------------------
An entry is encoded as canonical JSON: a single object, keys sorted by code point, no
insignificant whitespace (separators ``,`` and ``:``), non-ASCII characters written as themselves
(not ``\\u`` escapes), UTF-8, no trailing newline. The object is::

    {"approver": str, "count": int, "document": {"title": str, "type": str},
     "entry_id": str, "input_sha256": hex, "item": {"name": str, "number": str},
     "output_sha256": hex, "reason": str, "seal": {"cert_serial": hex, "id": str},
     "signed_at": "YYYY-MM-DDTHH:MM:SS.ffffffZ", "township": {"id": str, "name": str},
     "user": str, "v": 1}

These bytes are the Merkle leaf data (RFC 6962: leaf hash = SHA-256(0x00 || bytes)).
:meth:`LedgerEntry.from_bytes` accepts only bytes that re-encode to themselves, so one entry has
exactly one encoding and a leaf hash identifies it. A later version adds a new ``v`` value;
version-1 bytes stay readable forever.

The entry holds no personal data of the applicant: who asked for a permit is in the case file,
not in a log that is published through QR codes. Callers must not put names or ID numbers into
``document_title`` or ``reason``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from esign.errors import InputError
from esign.ledger.errors import InvalidEntryError

__all__ = ["ENCODING_VERSION", "DocumentType", "LedgerEntry", "new_entry_id"]

#: The version written by :meth:`LedgerEntry.to_bytes`.
ENCODING_VERSION = 1

_ENTRY_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_SERIAL_HEX = re.compile(r"[0-9a-f]{1,40}")
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_MAX_COUNT = 100_000


class DocumentType(StrEnum):
    """The kind of document a seal was applied to (the values are the official Chinese names)."""

    ACCEPTANCE_NOTICE = "受理通知书"
    REJECTION_NOTICE = "不予受理通知书"
    CORRECTION_NOTICE = "补正材料告知书"
    APPROVAL_DECISION = "准予许可决定书"
    DENIAL_DECISION = "不予许可决定书"
    CERTIFICATE = "证明"
    OTHER = "其他"

    @classmethod
    def parse(cls, value: str) -> DocumentType:
        """The type named ``value`` (its official Chinese name); ``bad_document_type`` listing them otherwise."""
        try:
            return cls(value)
        except ValueError:
            raise InputError(
                f"未知的文书类型“{value}”，可选：{'、'.join(t.value for t in cls)}。",
                f"Unknown document type {value!r}.",
                code="bad_document_type",
                field="document_type",
            ) from None


def new_entry_id() -> str:
    """A fresh random entry id: 128 bits from :mod:`secrets`, URL-safe base64 (22 characters).

    It is printed in QR-code URLs, so it must be unguessable: knowing one id tells nothing about
    any other.
    """
    while True:
        # Never a leading "-": the id is typed on command lines (``esign ledger proof ID``), where it
        # would read as an option. Dropping those draws costs under 0.03 bits of the 128.
        entry_id = secrets.token_urlsafe(16)
        if not entry_id.startswith("-"):
            return entry_id


def _text(field: str, value: object, max_len: int) -> str:
    if not isinstance(value, str):
        raise InvalidEntryError(f"{field} 必须是文本", f"{field} must be text", field=field)
    if value != value.strip() or not value:
        raise InvalidEntryError(
            f"{field} 不能为空或首尾有空白", f"{field} must be non-empty without surrounding space", field=field
        )
    if len(value) > max_len:
        raise InvalidEntryError(
            f"{field} 超过 {max_len} 个字符", f"{field} is longer than {max_len} characters", field=field
        )
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in value):
        raise InvalidEntryError(
            f"{field} 含有控制字符", f"{field} contains control or unassigned characters", field=field
        )
    if unicodedata.normalize("NFC", value) != value:
        raise InvalidEntryError(f"{field} 不是 NFC 规范形式", f"{field} is not in Unicode NFC", field=field)
    return value


def _pattern(field: str, value: object, pattern: re.Pattern[str], what: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise InvalidEntryError(f"{field} 格式错误（应为{what}）", f"{field} must be {what}", field=field)
    return value


@dataclass(frozen=True)
class LedgerEntry:
    """One use of a township seal, as written to the register. Validated on construction."""

    entry_id: str
    """Random, unguessable identifier (see :func:`new_entry_id`); appears in the QR-code URL."""
    township_id: str
    """Stable identifier of the township in the registry."""
    township_name: str
    """Name of the township (乡镇名称) at the time of use."""
    seal_id: str
    """Identifier of the seal in the registry."""
    cert_serial: str
    """Serial number of the seal certificate, lower-case hex without leading zeros."""
    item_number: str
    """Number of the service item in the township catalog (事项编码)."""
    item_name: str
    """Name of the service item (事项名称)."""
    document_type: DocumentType
    """What kind of document was sealed."""
    document_title: str
    """Title of the sealed document (no applicant personal data)."""
    reason: str
    """事由: why the seal was used."""
    user: str
    """使用人: who applied the seal."""
    approver: str
    """批准人: who approved this use."""
    count: int
    """使用数: pages or copies stamped (1 to 100000)."""
    input_sha256: str
    """SHA-256 of the unsigned input PDF, lower-case hex."""
    output_sha256: str
    """SHA-256 of the stamped and signed output PDF, lower-case hex."""
    signed_at: dt.datetime
    """Trusted signing time from the time-stamp authority, aware UTC."""

    def __post_init__(self) -> None:
        _pattern("entry_id", self.entry_id, _ENTRY_ID, "16-64 个 URL 安全字符 / 16-64 URL-safe characters")
        _text("township_id", self.township_id, 64)
        _text("township_name", self.township_name, 100)
        _text("seal_id", self.seal_id, 64)
        _pattern("cert_serial", self.cert_serial, _SERIAL_HEX, "小写十六进制 / lower-case hex")
        if len(self.cert_serial) > 1 and self.cert_serial.startswith("0"):
            raise InvalidEntryError(
                "cert_serial 不能有前导零", "cert_serial must not have leading zeros", field="cert_serial"
            )
        _text("item_number", self.item_number, 64)
        _text("item_name", self.item_name, 200)
        if not isinstance(self.document_type, DocumentType):
            try:
                object.__setattr__(self, "document_type", DocumentType(self.document_type))
            except ValueError as e:
                raise InvalidEntryError("未知的文书类型", "unknown document type", field="document_type") from e
        _text("document_title", self.document_title, 200)
        _text("reason", self.reason, 500)
        _text("user", self.user, 100)
        _text("approver", self.approver, 100)
        if isinstance(self.count, bool) or not isinstance(self.count, int) or not 1 <= self.count <= _MAX_COUNT:
            raise InvalidEntryError(
                f"使用数必须是 1 到 {_MAX_COUNT} 的整数",
                f"count must be an integer from 1 to {_MAX_COUNT}",
                field="count",
            )
        _pattern("input_sha256", self.input_sha256, _SHA256_HEX, "64 位小写十六进制 / 64 lower-case hex digits")
        _pattern("output_sha256", self.output_sha256, _SHA256_HEX, "64 位小写十六进制 / 64 lower-case hex digits")
        at = self.signed_at
        if not isinstance(at, dt.datetime) or at.tzinfo is None or at.utcoffset() != dt.timedelta(0):
            raise InvalidEntryError(
                "签署时间必须是 UTC 时间", "signed_at must be an aware UTC datetime", field="signed_at"
            )
        if at.tzinfo is not dt.UTC:
            object.__setattr__(self, "signed_at", at.astimezone(dt.UTC))

    # -- encoding ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The version-1 JSON object (see the module docstring)."""
        return {
            "v": ENCODING_VERSION,
            "entry_id": self.entry_id,
            "township": {"id": self.township_id, "name": self.township_name},
            "seal": {"id": self.seal_id, "cert_serial": self.cert_serial},
            "item": {"number": self.item_number, "name": self.item_name},
            "document": {"type": self.document_type.value, "title": self.document_title},
            "reason": self.reason,
            "user": self.user,
            "approver": self.approver,
            "count": self.count,
            "input_sha256": self.input_sha256,
            "output_sha256": self.output_sha256,
            "signed_at": self.signed_at.strftime(_TIME_FORMAT),
        }

    def to_bytes(self) -> bytes:
        """The canonical encoding: the Merkle leaf data of this entry."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> LedgerEntry:
        """Decode canonical bytes; anything that is not exactly ``to_bytes()`` of an entry is refused."""
        try:
            obj = json.loads(data.decode("utf-8"))
            if not isinstance(obj, dict) or obj.get("v") != ENCODING_VERSION:
                raise ValueError("unsupported version")
            entry = cls(
                entry_id=obj["entry_id"],
                township_id=obj["township"]["id"],
                township_name=obj["township"]["name"],
                seal_id=obj["seal"]["id"],
                cert_serial=obj["seal"]["cert_serial"],
                item_number=obj["item"]["number"],
                item_name=obj["item"]["name"],
                document_type=DocumentType(obj["document"]["type"]),
                document_title=obj["document"]["title"],
                reason=obj["reason"],
                user=obj["user"],
                approver=obj["approver"],
                count=obj["count"],
                input_sha256=obj["input_sha256"],
                output_sha256=obj["output_sha256"],
                signed_at=dt.datetime.strptime(obj["signed_at"], _TIME_FORMAT).replace(tzinfo=dt.UTC),
            )
        except InvalidEntryError:
            raise
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
            raise InvalidEntryError("登记条目无法解析", f"ledger entry cannot be decoded: {e}") from e
        if entry.to_bytes() != data:
            raise InvalidEntryError("登记条目不是规范编码", "ledger entry is not in canonical encoding")
        return entry
