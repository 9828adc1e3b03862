"""Wire schemas of the HTTP API (pydantic lives here and in settings only)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from esign.registry import ListedItem, PersonView, Role, SealView, TownshipView

__all__ = [
    "AuditOut",
    "AuthorityItemOut",
    "BatchItemOut",
    "BatchOut",
    "BatchSummaryOut",
    "ErrorOut",
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


class ErrorOut(BaseModel):
    code: str
    message_zh: str
    message_en: str


class BatchItemOut(BaseModel):
    position: int = Field(description="上传顺序（从1开始）")
    file_name: str
    request_id: int | None = Field(description="对应的用印申请；上传时被拒收的文件为 null")
    status: str = Field(description="refused | pending | stamped | failed | rejected")
    entry_id: str | None
    verify_url: str | None
    result_url: str | None = Field(description="盖章后的 PDF（/api/v1/stamp-requests/{id}/result.pdf）")
    error: ErrorOut | None = Field(description="拒收或最近一次盖章失败的原因")


class BatchSummaryOut(BaseModel):
    id: int
    status: str = Field(description="open | pending | running | done | rejected")
    township: str
    seal_code: str
    item: str
    document_type: str
    reason: str
    level: str
    clerk: str
    approver: str | None
    created_at: dt.datetime
    decided_at: dt.datetime | None
    finished_at: dt.datetime | None
    decision_reason: str
    total: int = Field(description="成为用印申请的文件数")
    stamped: int
    failed: int
    rejected: int
    pending: int
    refused: int = Field(description="上传时被拒收的文件数（不计入 total）")


class BatchOut(BatchSummaryOut):
    items: list[BatchItemOut]
