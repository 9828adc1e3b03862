"""What the registry's use cases return: frozen views, read while their transaction was open.

A view holds plain values only (no ORM row, nothing loaded later), so it stays valid after the
transaction that read it has ended, and it can be handed to a page, a JSON answer or a CLI table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from esign.registry.accounts import Actor, Role
from esign.registry.lifecycle import SealAction, SealStatus
from esign.registry.seals import SealHistory

__all__ = [
    "CatalogSummary",
    "IssuedToken",
    "LegacySealView",
    "ListedItem",
    "NewPerson",
    "PersonView",
    "SealDataFile",
    "SealView",
    "TokenView",
    "TownshipView",
    "WebSignIn",
]


@dataclass(frozen=True)
class SealView:
    """A seal as the registry knows it now."""

    id: int
    """Database id."""
    code: str
    """The seal's code (9-digit region prefix and a serial), its GB/T 38540 esID."""
    name: str
    """Full seal name (蒲县克城镇人民政府行政审批服务专用章)."""
    title: str
    """The seal's title (行政审批服务专用章)."""
    township_id: int
    """The township's database id."""
    township: str
    """The township's name (克城镇)."""
    organisation: str
    """The township government as printed on the seal (蒲县克城镇人民政府)."""
    status: SealStatus
    """Current status."""
    status_since: dt.datetime
    """Since when (UTC)."""
    cert_serial: str | None
    """ECDSA certificate serial (lower-case hex), once approved."""
    sm2_cert_serial: str | None
    """SM2 certificate serial, when the deployment has an SM2 PKI."""
    replaces_id: int | None
    """The seal this one replaced (变更), if any."""
    actions: tuple[SealAction, ...]
    """What may be done to it next (empty once revoked or replaced)."""
    seal_data_validity: tuple[dt.datetime, dt.datetime] | None = None
    """(validStart, validEnd) of its GB/T 38540 seal data; None when it has none or it was not asked for."""
    history: tuple[SealHistory, ...] = ()
    """Its lifecycle steps, oldest first; empty when not asked for."""

    @property
    def status_zh(self) -> str:
        """The status in Chinese (已启用)."""
        return self.status.zh


@dataclass(frozen=True)
class SealDataFile:
    """A seal's GB/T 38540 seal data (SES_Seal, DER), the ``.esl`` file."""

    der: bytes
    """The DER encoding."""
    es_id: str
    """Its esID (the seal code)."""
    valid_start: dt.datetime
    """validStart (UTC)."""
    valid_end: dt.datetime
    """validEnd (UTC)."""


@dataclass(frozen=True)
class LegacySealView:
    """An old station seal and what happened to it."""

    name: str
    """Its name (克城镇林业站)."""
    disposition: str
    """封存 (sealed up) or 保留 (kept with the county's approval)."""
    approval_ref: str
    """The county approval's reference (when kept)."""
    recorded_by: str
    """Who recorded it."""
    at: dt.datetime
    """When (UTC)."""


@dataclass(frozen=True)
class TownshipView:
    """A township with its newest seal and the size of its authority list."""

    id: int
    """Database id."""
    name: str
    """Name (克城镇)."""
    kind: str
    """乡, 镇 or 街道."""
    organisation: str
    """The township government (蒲县克城镇人民政府)."""
    uscc: str
    """统一社会信用代码."""
    region_code: str
    """区划代码 (6, 9 or 12 digits)."""
    address: str
    """The service centre's address."""
    phone: str
    """Its phone number."""
    seal_id: int | None
    """The newest seal's id; None before any was requested."""
    seal_code: str | None
    """The newest seal's code."""
    seal_name: str | None
    """The newest seal's full name."""
    seal_status: SealStatus | None
    """The newest seal's status."""
    authority_items: int
    """How many items its authority list (职权清单) holds."""

    @property
    def seal_status_zh(self) -> str | None:
        """The newest seal's status in Chinese."""
        return self.seal_status.zh if self.seal_status else None

    def to_dict(self) -> dict[str, object]:
        """Every field and ``seal_status_zh``, as the CLI's ``--json`` prints a township."""
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "organisation": self.organisation,
            "uscc": self.uscc,
            "region_code": self.region_code,
            "address": self.address,
            "phone": self.phone,
            "seal_id": self.seal_id,
            "seal_code": self.seal_code,
            "seal_name": self.seal_name,
            "seal_status": self.seal_status.value if self.seal_status else None,
            "seal_status_zh": self.seal_status_zh,
            "authority_items": self.authority_items,
        }


@dataclass(frozen=True)
class ListedItem:
    """One service item of a catalog, or of a township's authority list."""

    number: int
    """Its number in that list (a township numbers its authority list itself)."""
    name: str
    """事项名称."""
    type: str
    """事项类型."""
    mode: str
    """办理方式."""
    department: str
    """The responsible county department."""
    code: str
    """事项编码 (may be empty)."""


@dataclass(frozen=True)
class CatalogSummary:
    """A stored catalog and its size."""

    name: str
    """The catalog's name."""
    items: int
    """How many items it holds."""


@dataclass(frozen=True)
class PersonView:
    """A person with an account."""

    id: int
    """Database id."""
    name: str
    """Name, unique."""
    role: Role
    """Role."""
    township: str | None
    """Their township's name (township roles only)."""
    department: str
    """Their county department (department viewers only)."""

    @property
    def role_zh(self) -> str:
        """The role in Chinese."""
        return self.role.zh


@dataclass(frozen=True)
class IssuedToken:
    """An API token just issued: the only time its value is seen."""

    person: str
    """Whose token it is."""
    token: str
    """The bearer token."""
    expires_at: dt.datetime
    """When it stops working (UTC)."""


@dataclass(frozen=True)
class NewPerson:
    """A person just added, and the token issued with them if one was asked for."""

    person: PersonView
    """The person."""
    token: IssuedToken | None
    """Their first token, or None."""


@dataclass(frozen=True)
class TokenView:
    """One of a person's tokens; the value itself is not kept."""

    id: int
    """Token id (what ``esign user revoke-token`` takes)."""
    label: str
    """Free label."""
    created_at: dt.datetime
    """Issued (UTC)."""
    expires_at: dt.datetime
    """Expires (UTC)."""
    revoked_at: dt.datetime | None
    """Revoked (UTC), if it was."""


@dataclass(frozen=True)
class WebSignIn:
    """A browser just signed in: the session id to hand it (once) and who it stands for."""

    session_id: str
    """The web session id (the cookie's value)."""
    actor: Actor
    """The person signed in."""
