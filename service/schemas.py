"""Wire schemas of the HTTP API (pydantic lives here and in settings only); the library's frozen views
(``esign.workflow.BatchSummary`` …) are served as they are, or extended here with what only the service knows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, Field

from esign.registry import ListedItem, PersonView, Role, SealView, TownshipView
from esign.workflow import BatchItemView, BatchSummary

__all__ = [
    "AuditOut",
    "AuthorityItemOut",
    "BatchItemOut",
    "BatchOut",
    "LegacySealIn",
    "SealActionIn",
    "SealEventOut",
    "SealOut",
    "SealRequestIn",
    "TokenOut",
    "TownshipIn",
    "TownshipOut",
    "UserIn",
    "UserOut",
]


class TownshipIn(BaseModel):
    name: str = Field(description="乡镇名称，如 克城镇")
    uscc: str = Field(description="统一社会信用代码")
    region_code: str = Field(description="区划代码")
    address: str = ""
    phone: str = ""


class TownshipOut(BaseModel):
    id: int
    name: str
    kind: str
    organisation: str
    uscc: str
    region_code: str
    address: str
    phone: str
    seal_id: int | None
    seal_code: str | None
    seal_name: str | None
    seal_status: str | None
    seal_status_zh: str | None
    authority_items: int

    @classmethod
    def of(cls, view: TownshipView) -> TownshipOut:
        """The wire form of a registry view."""
        return cls.model_validate(view, from_attributes=True)


class SealEventOut(BaseModel):
    from_status: str | None
    to_status: str
    actor: str
    reason: str
    at: dt.datetime


class SealOut(BaseModel):
    id: int
    code: str
    name: str
    title: str
    township_id: int
    township: str
    status: str
    status_zh: str
    status_since: dt.datetime
    cert_serial: str | None
    sm2_cert_serial: str | None = None
    replaces_id: int | None
    history: list[SealEventOut] = []

    @classmethod
    def of(cls, view: SealView) -> SealOut:
        """The wire form of a registry view (``history`` empty unless the view holds it)."""
        return cls.model_validate(view, from_attributes=True)


class SealRequestIn(BaseModel):
    township: str = Field(description="乡镇 id 或名称")
    reason: str = Field(description="事由")
    title: str | None = Field(default=None, description="印章名称后缀，默认为县的设置")


class SealActionIn(BaseModel):
    reason: str = Field(description="事由（必填）")


class LegacySealIn(BaseModel):
    name: str = Field(description="旧印章名称，如 克城镇林业站")
    disposition: Literal["封存", "保留"] = Field(default="封存", description="封存 或 保留（须县级批准）")
    approval_ref: str = Field(default="", description="县级批准文号（保留时必填）")


class UserIn(BaseModel):
    name: str
    role: Role = Field(description="clerk | approver | custodian | reform_admin | department")
    township: str | None = None
    department: str = ""


class UserOut(BaseModel):
    id: int
    name: str
    role: str
    role_zh: str
    township: str | None
    department: str

    @classmethod
    def of(cls, view: PersonView) -> UserOut:
        """The wire form of a registry view."""
        return cls.model_validate(view, from_attributes=True)


class TokenOut(BaseModel):
    token: str = Field(description="只显示这一次 / shown only once")
    expires_at: dt.datetime


class AuthorityItemOut(BaseModel):
    number: int
    name: str
    type: str
    mode: str
    department: str
    code: str

    @classmethod
    def of(cls, view: ListedItem) -> AuthorityItemOut:
        """The wire form of a registry view."""
        return cls.model_validate(view, from_attributes=True)


class AuditOut(BaseModel):
    at: dt.datetime
    actor: str
    action: str
    target: str
    outcome: str
    code: str
    detail: str


@dataclass(frozen=True)
class BatchItemOut(BatchItemView):
    """A file of a batch: its view, and where its stamped document is downloaded."""

    result_url: str | None = field(metadata={"description": "盖章后的 PDF（/api/v1/stamp-requests/{id}/result.pdf）"})


@dataclass(frozen=True)
class BatchOut(BatchSummary):
    """A batch with its progress (:class:`esign.workflow.BatchView`), each file as :class:`BatchItemOut`."""

    items: tuple[BatchItemOut, ...] = field(metadata={"description": "每个文件，按上传顺序"})
