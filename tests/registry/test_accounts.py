"""People, tokens and passwords: tokens are stored hashed, shown once, expire and can be revoked."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import select

from esign.errors import AuthError, ConflictError, InputError
from esign.registry import Disposition, Role, add_person, find_township, issue_token
from esign.registry.accounts import authenticate_password, authenticate_token, revoke_token, set_password
from esign.registry.legacy import list_legacy_seals, record_legacy_seal
from esign.registry.models import Token

from .conftest import T0

DAY = dt.timedelta(days=1)


def test_token_is_stored_only_as_a_digest_and_authenticates(session):
    person = add_person(session, "张三", Role.CLERK, township=find_township(session, "克城镇"), at=T0)
    token = issue_token(session, person, at=T0, valid_for=DAY)
    row = session.scalar(select(Token).where(Token.person_id == person.id))
    assert row.digest == hashlib.sha256(token.encode()).digest()
    assert token.encode() not in row.digest
    actor = authenticate_token(session, token, at=T0 + dt.timedelta(hours=1))
    assert (actor.person_id, actor.name, actor.role, actor.township_id) == (
        person.id,
        "张三",
        Role.CLERK,
        person.township_id,
    )
    officer = add_person(session, "赵民政", Role.DEPARTMENT, department="蒲县民政局", at=T0)
    other = authenticate_token(session, issue_token(session, officer, at=T0, valid_for=DAY), at=T0)
    assert (other.person_id, other.role, other.township_id, other.department) == (
        officer.id,
        Role.DEPARTMENT,
        None,
        "蒲县民政局",
    )


def test_expired_revoked_and_unknown_tokens_are_refused_alike(session):
    person = add_person(session, "李四", Role.APPROVER, township=find_township(session, "克城镇"), at=T0)
    token = issue_token(session, person, at=T0, valid_for=DAY)
    with pytest.raises(AuthError):
        authenticate_token(session, token, at=T0 + DAY)
    fresh = issue_token(session, person, at=T0, valid_for=10 * DAY)
    revoke_token(
        session, session.scalar(select(Token).where(Token.digest == hashlib.sha256(fresh.encode()).digest())).id, at=T0
    )
    with pytest.raises(AuthError):
        authenticate_token(session, fresh, at=T0)
    with pytest.raises(AuthError) as err:
        authenticate_token(session, "esk_forged", at=T0)
    assert err.value.code == "invalid_token"
    kept = issue_token(session, person, at=T0, valid_for=10 * DAY)
    assert authenticate_token(session, kept, at=T0).person_id == person.id
    person.active = False  # a person who left: every token of theirs stops at once
    session.flush()
    with pytest.raises(AuthError) as err:
        authenticate_token(session, kept, at=T0)
    assert err.value.code == "invalid_token"


def test_township_roles_need_a_township_and_names_are_unique(session):
    with pytest.raises(InputError) as err:
        add_person(session, "王五", Role.CLERK, at=T0)
    assert err.value.code == "township_required"
    with pytest.raises(InputError):
        add_person(session, "赵六", Role.DEPARTMENT, at=T0)
    add_person(session, "赵六", Role.DEPARTMENT, department="蒲县民政局", at=T0)
    with pytest.raises(ConflictError):
        add_person(session, "赵六", Role.REFORM_ADMIN, at=T0)


def test_password_login(session):
    person = add_person(session, "管理员", Role.REFORM_ADMIN, at=T0)
    with pytest.raises(InputError):
        set_password(person, "short")
    set_password(person, "一枚印章管审批2026")
    assert "一枚印章" not in (person.password_hash or "")
    assert authenticate_password(session, "管理员", "一枚印章管审批2026").role is Role.REFORM_ADMIN
    with pytest.raises(AuthError):
        authenticate_password(session, "管理员", "wrong password")


def test_old_station_seals_are_sealed_up_or_kept_with_county_approval(session):
    township = find_township(session, "克城镇")
    record_legacy_seal(session, township, "克城镇林业站", Disposition.SEALED_UP, actor="县审批局", at=T0)
    with pytest.raises(InputError) as err:
        record_legacy_seal(session, township, "克城镇水利站", Disposition.KEPT, actor="县审批局", at=T0)
    assert err.value.code == "approval_ref_required"
    record_legacy_seal(
        session,
        township,
        "克城镇水利站",
        Disposition.KEPT,
        actor="县审批局",
        at=T0,
        approval_ref="蒲政办函〔2023〕21号",
    )
    assert [(s.name, s.disposition) for s in list_legacy_seals(session, township_id=township.id)] == [
        ("克城镇林业站", "封存"),
        ("克城镇水利站", "保留"),
    ]
