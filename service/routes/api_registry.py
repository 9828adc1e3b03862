"""/api/v1: townships, seals and their lifecycle, people, tokens, audit events."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from esign.appearance import SealSpec, seal_pdf, seal_png
from esign.errors import NotFoundError
from esign.registry import (
    Disposition,
    Permission,
    Role,
    SealAction,
    SealStatus,
    add_person,
    add_township,
    authority_list,
    authorize,
    change_seal,
    find_person,
    find_seal,
    find_township,
    issue_token,
    list_audit,
    list_legacy_seals,
    list_seals,
    list_townships,
    organisation_name,
    record_event,
    record_legacy_seal,
    request_seal,
    seal_history,
    township_summary,
    visible_township_ids,
)
from esign.registry.models import Person, Seal
from esign.registry.seals import seal_data
from service.auth import CurrentActor
from service.clock import now
from service.deps import DbSession, Dep
from service.schemas import (
    AuditOut,
    AuthorityItemOut,
    LegacySealIn,
    SealActionIn,
    SealEventOut,
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


def _seal_out(session: DbSession, seal: Seal, *, history: bool = False) -> SealOut:
    return SealOut(
        id=seal.id,
        code=seal.code,
        name=seal.name,
        title=seal.title,
        township_id=seal.township_id,
        township=seal.township.name,
        status=seal.status,
        status_zh=SealStatus(seal.status).zh,
        status_since=seal.status_since,
        cert_serial=seal.cert_serial,
        sm2_cert_serial=seal.sm2_cert_serial,
        replaces_id=seal.replaces_id,
        history=[SealEventOut(**h.__dict__) for h in seal_history(session, seal)] if history else [],
    )


def _user_out(person: Person) -> UserOut:
    role = Role(person.role)
    return UserOut(
        id=person.id,
        name=person.name,
        role=role.value,
        role_zh=role.zh,
        township=person.township.name if person.township else None,
        department=person.department,
    )


@router.get("/me", response_model=UserOut, summary="当前用户 / who am I")
def me(actor: CurrentActor, session: DbSession) -> UserOut:
    authorize(actor, Permission.REGISTER_VIEW)
    return _user_out(find_person(session, actor.person_id or 0))


@router.get("/townships", response_model=list[TownshipOut], summary="乡镇列表 / townships")
def townships(actor: CurrentActor, session: DbSession) -> list[TownshipOut]:
    authorize(actor, Permission.TOWNSHIP_VIEW)
    rows = list_townships(session, only=visible_township_ids(actor))
    return [TownshipOut(**township_summary(session, t)) for t in rows]  # type: ignore[arg-type]


@router.post("/townships", response_model=TownshipOut, status_code=201, summary="添加乡镇 / add a township")
def township_add(body: TownshipIn, actor: CurrentActor, session: DbSession) -> TownshipOut:
    authorize(actor, Permission.TOWNSHIP_MANAGE)
    at = now()
    t = add_township(
        session, body.name, uscc=body.uscc, region_code=body.region_code, address=body.address, phone=body.phone, at=at
    )
    record_event(session, actor=actor.name, action="township.add", target=f"township:{t.id}", at=at, township_id=t.id)
    return TownshipOut(**township_summary(session, t))  # type: ignore[arg-type]


@router.get("/townships/{ref}", response_model=TownshipOut, summary="乡镇详情 / one township")
def township_show(ref: str, actor: CurrentActor, session: DbSession) -> TownshipOut:
    t = find_township(session, ref)
    authorize(actor, Permission.TOWNSHIP_VIEW, township_id=t.id)
    return TownshipOut(**township_summary(session, t))  # type: ignore[arg-type]


@router.get(
    "/townships/{ref}/authority-items",
    response_model=list[AuthorityItemOut],
    summary="职权清单 / the township's authority list",
)
def township_items(ref: str, actor: CurrentActor, session: DbSession) -> list[AuthorityItemOut]:
    t = find_township(session, ref)
    authorize(actor, Permission.TOWNSHIP_VIEW, township_id=t.id)
    return [
        AuthorityItemOut(
            number=a.number,
            name=a.item.name,
            type=a.item.type,
            mode=a.item.mode,
            department=a.item.department,
            code=a.item.code,
        )
        for a in authority_list(session, t)
    ]


@router.get("/seals", response_model=list[SealOut], summary="印章列表 / seals")
def seals(actor: CurrentActor, session: DbSession) -> list[SealOut]:
    authorize(actor, Permission.SEAL_VIEW)
    return [_seal_out(session, s) for s in list_seals(session, only_townships=visible_township_ids(actor))]


@router.post("/seals", response_model=SealOut, status_code=201, summary="申请刻制印章 / request a seal")
def seal_request(body: SealRequestIn, actor: CurrentActor, session: DbSession) -> SealOut:
    t = find_township(session, body.township)
    authorize(actor, Permission.SEAL_REQUEST, township_id=t.id)
    at = now()
    seal = request_seal(session, t, actor=actor.name, reason=body.reason, at=at, title=body.title)
    record_event(session, actor=actor.name, action="seal.request", target=f"seal:{seal.code}", at=at, township_id=t.id)
    return _seal_out(session, seal, history=True)


@router.get("/seals/{ref}", response_model=SealOut, summary="印章详情 / one seal with its history")
def seal_show(ref: str, actor: CurrentActor, session: DbSession) -> SealOut:
    seal = find_seal(session, ref)
    authorize(actor, Permission.SEAL_VIEW, township_id=seal.township_id)
    return _seal_out(session, seal, history=True)


@router.post("/seals/{ref}/{action}", response_model=SealOut, summary="印章状态变更 / seal lifecycle action")
def seal_action(
    ref: str, action: SealAction, body: SealActionIn, actor: CurrentActor, session: DbSession, dep: Dep
) -> SealOut:
    seal = find_seal(session, ref)
    authorize(actor, Permission.SEAL_DECIDE, township_id=seal.township_id)
    at = now()
    result = change_seal(session, seal, action, actor=actor.name, reason=body.reason, at=at, ca=dep.seal_ca)
    return _seal_out(session, result, history=True)


@router.get("/seals/{ref}/seal.esl", summary="国密电子印章数据 / the seal's GB/T 38540 seal data (SES_Seal, DER)")
def seal_esl(ref: str, actor: CurrentActor, session: DbSession) -> Response:
    seal = find_seal(session, ref)
    authorize(actor, Permission.SEAL_VIEW, township_id=seal.township_id)
    row = seal_data(session, seal)
    return Response(
        row.der,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{row.es_id}.esl"'},
    )


@router.get("/seals/{ref}/image.{fmt}", summary="印章图样 / the seal image (PNG or vector PDF)")
def seal_image(
    ref: str, fmt: str, actor: CurrentActor, session: DbSession, dpi: Annotated[int, Query(ge=72, le=1200)] = 300
) -> Response:
    seal = find_seal(session, ref)
    authorize(actor, Permission.SEAL_VIEW, township_id=seal.township_id)
    spec = SealSpec(name=organisation_name(seal.township), title=seal.title, code=seal.code)
    if fmt == "png":
        return Response(seal_png(spec, dpi=dpi), media_type="image/png")
    if fmt == "pdf":
        return Response(seal_pdf(spec), media_type="application/pdf")
    raise NotFoundError("仅支持 png 和 pdf 格式。", "Only png and pdf are available.", code="bad_image_format")


@router.get("/townships/{ref}/legacy-seals", summary="旧站所印章登记 / old station seals")
def legacy_seals(ref: str, actor: CurrentActor, session: DbSession) -> list[dict[str, str]]:
    t = find_township(session, ref)
    authorize(actor, Permission.TOWNSHIP_VIEW, township_id=t.id)
    return [
        {
            "name": r.name,
            "disposition": r.disposition,
            "approval_ref": r.approval_ref,
            "recorded_by": r.recorded_by,
            "at": r.at.isoformat(),
        }
        for r in list_legacy_seals(session, township_id=t.id)
    ]


@router.post("/townships/{ref}/legacy-seals", status_code=201, summary="登记旧印章：封存或经批准保留")
def legacy_seal_add(ref: str, body: LegacySealIn, actor: CurrentActor, session: DbSession) -> dict[str, str]:
    t = find_township(session, ref)
    authorize(actor, Permission.LEGACY_SEAL_RECORD, township_id=t.id)
    at = now()
    row = record_legacy_seal(
        session, t, body.name, Disposition(body.disposition), actor=actor.name, at=at, approval_ref=body.approval_ref
    )
    record_event(
        session,
        actor=actor.name,
        action="legacy_seal.record",
        target=f"township:{t.id}",
        at=at,
        township_id=t.id,
        detail=f"{row.name}: {row.disposition}",
    )
    return {"name": row.name, "disposition": row.disposition, "approval_ref": row.approval_ref}


@router.get("/users", response_model=list[UserOut], summary="用户列表 / people")
def users(actor: CurrentActor, session: DbSession) -> list[UserOut]:
    authorize(actor, Permission.USER_MANAGE)
    from sqlalchemy import select

    return [_user_out(p) for p in session.scalars(select(Person).order_by(Person.id))]


@router.post("/users", response_model=UserOut, status_code=201, summary="添加用户 / add a person")
def user_add(body: UserIn, actor: CurrentActor, session: DbSession) -> UserOut:
    authorize(actor, Permission.USER_MANAGE)
    at = now()
    township = find_township(session, body.township) if body.township else None
    person = add_person(session, body.name, Role(body.role), township=township, department=body.department, at=at)
    record_event(session, actor=actor.name, action="user.add", target=f"user:{person.name}", at=at)
    return _user_out(person)


@router.post("/users/{ref}/tokens", response_model=TokenOut, status_code=201, summary="签发令牌 / issue a token")
def user_token(
    ref: str, actor: CurrentActor, session: DbSession, days: Annotated[int, Query(ge=1, le=366)] = 90
) -> TokenOut:
    authorize(actor, Permission.USER_MANAGE)
    at = now()
    person = find_person(session, ref)
    token = issue_token(session, person, at=at, valid_for=dt.timedelta(days=days))
    record_event(session, actor=actor.name, action="token.issue", target=f"user:{person.name}", at=at)
    return TokenOut(token=token, expires_at=at + dt.timedelta(days=days))


@router.get("/audit", response_model=list[AuditOut], summary="审计事件 / audit events")
def audit(
    actor: CurrentActor,
    session: DbSession,
    outcome: Annotated[str | None, Query(pattern="^(ok|refused)$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditOut]:
    authorize(actor, Permission.AUDIT_VIEW)
    return [AuditOut(**r.__dict__) for r in list_audit(session, limit=limit, outcome=outcome)]
