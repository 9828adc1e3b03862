"""/api/v1: townships, seals and their lifecycle, people, tokens, audit events.

Each route calls one registry use case (which checks the caller's permission and owns the
transaction) and turns its frozen view into the wire schema.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

import esign.registry as registry
from esign.appearance import SealSpec, seal_pdf, seal_png
from esign.errors import NotFoundError
from esign.registry import Disposition, LegacySealView, Role, SealAction
from service.auth import CurrentActor
from service.clock import now
from service.deps import Dep
from service.schemas import (
    AuditOut,
    AuthorityItemOut,
    LegacySealIn,
    SealActionIn,
    SealOut,
    SealRequestIn,
    TokenOut,
    TownshipIn,
    TownshipOut,
    UserIn,
    UserOut,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["registry"])


def _legacy_out(view: LegacySealView) -> dict[str, str]:
    return {
        "name": view.name,
        "disposition": view.disposition,
        "approval_ref": view.approval_ref,
        "recorded_by": view.recorded_by,
        "at": view.at.isoformat(),
    }


@router.get("/me", response_model=UserOut, summary="当前用户 / who am I")
def me(actor: CurrentActor, dep: Dep) -> UserOut:
    return UserOut.of(registry.whoami(dep, actor, at=now()))


@router.get("/townships", response_model=list[TownshipOut], summary="乡镇列表 / townships")
def townships(actor: CurrentActor, dep: Dep) -> list[TownshipOut]:
    return [TownshipOut.of(t) for t in registry.township_list(dep, actor, at=now())]


@router.post("/townships", response_model=TownshipOut, status_code=201, summary="添加乡镇 / add a township")
def township_add(body: TownshipIn, actor: CurrentActor, dep: Dep) -> TownshipOut:
    view = registry.township_add(
        dep, actor, body.name, uscc=body.uscc, region_code=body.region_code, address=body.address, phone=body.phone,
        at=now(),
    )  # fmt: skip
    return TownshipOut.of(view)


@router.get("/townships/{ref}", response_model=TownshipOut, summary="乡镇详情 / one township")
def township_show(ref: str, actor: CurrentActor, dep: Dep) -> TownshipOut:
    return TownshipOut.of(registry.township_show(dep, actor, ref, at=now()))


@router.get(
    "/townships/{ref}/authority-items",
    response_model=list[AuthorityItemOut],
    summary="职权清单 / the township's authority list",
)
def township_items(ref: str, actor: CurrentActor, dep: Dep) -> list[AuthorityItemOut]:
    return [AuthorityItemOut.of(i) for i in registry.township_authority(dep, actor, ref, at=now())]


@router.get("/seals", response_model=list[SealOut], summary="印章列表 / seals")
def seals(actor: CurrentActor, dep: Dep) -> list[SealOut]:
    return [SealOut.of(s) for s in registry.seal_list(dep, actor, at=now())]


@router.post("/seals", response_model=SealOut, status_code=201, summary="申请刻制印章 / request a seal")
def seal_request(body: SealRequestIn, actor: CurrentActor, dep: Dep) -> SealOut:
    return SealOut.of(registry.seal_request(dep, actor, body.township, reason=body.reason, at=now(), title=body.title))


@router.get("/seals/{ref}", response_model=SealOut, summary="印章详情 / one seal with its history")
def seal_show(ref: str, actor: CurrentActor, dep: Dep) -> SealOut:
    return SealOut.of(registry.seal_show(dep, actor, ref, at=now()))


@router.post("/seals/{ref}/{action}", response_model=SealOut, summary="印章状态变更 / seal lifecycle action")
def seal_action(ref: str, action: SealAction, body: SealActionIn, actor: CurrentActor, dep: Dep) -> SealOut:
    return SealOut.of(registry.seal_change(dep, actor, ref, action, reason=body.reason, at=now()))


@router.get("/seals/{ref}/seal.esl", summary="国密电子印章数据 / the seal's GB/T 38540 seal data (SES_Seal, DER)")
def seal_esl(ref: str, actor: CurrentActor, dep: Dep) -> Response:
    data = registry.seal_data_file(dep, actor, ref, at=now())
    return Response(
        data.der,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{data.es_id}.esl"'},
    )


@router.get("/seals/{ref}/image.{fmt}", summary="印章图样 / the seal image (PNG or vector PDF)")
def seal_image(
    ref: str, fmt: str, actor: CurrentActor, dep: Dep, dpi: Annotated[int, Query(ge=72, le=1200)] = 300
) -> Response:
    seal = registry.seal_show(dep, actor, ref, at=now(), history=False)
    spec = SealSpec(name=seal.organisation, title=seal.title, code=seal.code)
    if fmt == "png":
        return Response(seal_png(spec, dpi=dpi), media_type="image/png")
    if fmt == "pdf":
        return Response(seal_pdf(spec), media_type="application/pdf")
    raise NotFoundError("仅支持 png 和 pdf 格式。", "Only png and pdf are available.", code="bad_image_format")


@router.get("/townships/{ref}/legacy-seals", summary="旧站所印章登记 / old station seals")
def legacy_seals(ref: str, actor: CurrentActor, dep: Dep) -> list[dict[str, str]]:
    return [_legacy_out(r) for r in registry.legacy_seal_list(dep, actor, ref, at=now())]


@router.post("/townships/{ref}/legacy-seals", status_code=201, summary="登记旧印章：封存或经批准保留")
def legacy_seal_add(ref: str, body: LegacySealIn, actor: CurrentActor, dep: Dep) -> dict[str, str]:
    row = registry.legacy_seal_record(
        dep, actor, ref, body.name, Disposition(body.disposition), at=now(), approval_ref=body.approval_ref
    )
    return {"name": row.name, "disposition": row.disposition, "approval_ref": row.approval_ref}


@router.get("/users", response_model=list[UserOut], summary="用户列表 / people")
def users(actor: CurrentActor, dep: Dep) -> list[UserOut]:
    return [UserOut.of(p) for p in registry.person_list(dep, actor, at=now())]


@router.post("/users", response_model=UserOut, status_code=201, summary="添加用户 / add a person")
def user_add(body: UserIn, actor: CurrentActor, dep: Dep) -> UserOut:
    added = registry.person_add(
        dep, actor, body.name, Role(body.role), at=now(), township=body.township, department=body.department
    )
    return UserOut.of(added.person)


@router.post("/users/{ref}/tokens", response_model=TokenOut, status_code=201, summary="签发令牌 / issue a token")
def user_token(ref: str, actor: CurrentActor, dep: Dep, days: Annotated[int, Query(ge=1, le=366)] = 90) -> TokenOut:
    issued = registry.token_issue(dep, actor, ref, valid_for=dt.timedelta(days=days), at=now())
    return TokenOut(token=issued.token, expires_at=issued.expires_at)


@router.get("/audit", response_model=list[AuditOut], summary="审计事件 / audit events")
def audit(
    actor: CurrentActor,
    dep: Dep,
    outcome: Annotated[str | None, Query(pattern="^(ok|refused)$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditOut]:
    return [AuditOut(**r.__dict__) for r in registry.audit_events(dep, actor, at=now(), limit=limit, outcome=outcome)]
