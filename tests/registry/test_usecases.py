"""The registry's use cases: one transaction each, the actor's permission checked inside it, the
refusal recorded there once, frozen views out."""

from __future__ import annotations

import dataclasses
import datetime as dt
from contextlib import AbstractContextManager

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from esign.db import make_read_session_factory, make_session_factory, session_scope
from esign.errors import AuthError, ForbiddenError, NotFoundError, StateError
from esign.registry import (
    Actor,
    Role,
    SealAction,
    SealStatus,
    allowed_actions,
    audit_events,
    person_add,
    person_list,
    seal_change,
    seal_list,
    seal_request,
    seal_show,
    token_actor,
    township_list,
    township_show,
    web_session_actor,
    web_sign_in,
    web_sign_out,
)
from esign.registry.models import AuditEvent, LoginFailure, Seal
from esign.verify import SealState

from .conftest import T0, FakeCA
from .test_seals import EXPECTED

OFFICE = Actor.console("改革办")


class Home:
    """A deployment's part the registry uses: transactions over ``engine`` (counted) and a seal CA."""

    def __init__(self, engine: Engine, ca: FakeCA) -> None:
        self.factory = make_session_factory(engine)
        self.reads = make_read_session_factory(engine)
        self.read = 0
        self.seal_ca = ca
        self.opened = 0

    def transaction(self) -> AbstractContextManager[Session]:
        self.opened += 1
        return session_scope(self.factory)

    def reading(self) -> AbstractContextManager[Session]:
        self.read += 1
        return session_scope(self.reads)

    def one_read(self) -> AbstractContextManager[Session]:
        return self.reading()

    def audit(self) -> list[tuple[str, str, str, str]]:
        with self.factory() as s:
            return [
                (e.actor, e.action, e.outcome, e.code) for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))
            ]


@pytest.fixture
def home(engine: Engine, session: Session, ca: FakeCA) -> Home:
    """The registry of conftest's ``session`` (蒲县 with 克城镇 and 古县乡), seen through use cases."""
    return Home(engine, ca)


def _township_id(home: Home, name: str) -> int:
    return next(t.id for t in township_list(home, OFFICE, at=T0) if t.name == name)


def _staff(home: Home, role: Role, township: str) -> Actor:
    return Actor(person_id=None, name=f"{township}{role.value}", role=role, township_id=_township_id(home, township))


def test_allowed_actions_follow_the_lifecycle():
    for status in SealStatus:
        want = tuple(a for a in SealAction if (status, a) in EXPECTED)
        assert allowed_actions(status) == want, status
    assert allowed_actions(SealStatus.REVOKED) == allowed_actions(SealStatus.REPLACED) == ()


def test_a_verifier_reads_only_what_could_have_stamped():
    assert [s.seal_state for s in SealStatus] == [
        SealState.UNKNOWN,  # requested
        SealState.UNKNOWN,  # approved
        SealState.ACTIVE,
        SealState.SUSPENDED,
        SealState.REVOKED,
        SealState.REVOKED,  # replaced: its certificate is revoked as superseded
    ]


def test_a_seal_from_request_to_active_in_one_transaction_per_step(home: Home):
    view = seal_request(home, OFFICE, "克城镇", reason="启用专用章", at=T0)
    assert (view.status, view.township, view.actions) == (SealStatus.REQUESTED, "克城镇", (SealAction.APPROVE,))
    assert view.organisation == "蒲县克城镇人民政府" and view.name.startswith(view.organisation)
    opened = home.opened
    approved = seal_change(home, OFFICE, view.code, SealAction.APPROVE, reason="批准", at=T0 + dt.timedelta(minutes=1))
    assert home.opened == opened + 1
    assert approved.cert_serial in home.seal_ca.issued
    active = seal_change(home, OFFICE, view.id, SealAction.ACTIVATE, reason="启用", at=T0 + dt.timedelta(minutes=2))
    assert active.status is SealStatus.ACTIVE
    assert [(h.from_status, h.to_status) for h in active.history] == [
        (None, "requested"),
        ("requested", "approved"),
        ("approved", "active"),
    ]
    assert active.actions == (SealAction.SUSPEND, SealAction.REVOKE, SealAction.REPLACE)
    assert home.audit()[-3:] == [
        ("改革办", "seal.request", "ok", ""),
        ("改革办", "seal.approve", "ok", ""),
        ("改革办", "seal.activate", "ok", ""),
    ]
    with pytest.raises(dataclasses.FrozenInstanceError):
        active.status = SealStatus.REVOKED  # type: ignore[misc]


def test_township_staff_see_only_their_township(home: Home):
    seal_request(home, OFFICE, "克城镇", reason="启用专用章", at=T0)
    seal_request(home, OFFICE, "古县乡", reason="启用专用章", at=T0)
    custodian = _staff(home, Role.CUSTODIAN, "古县乡")
    assert {s.township for s in seal_list(home, custodian, at=T0)} == {"古县乡"}
    assert {s.township for s in seal_list(home, OFFICE, at=T0)} == {"克城镇", "古县乡"}
    assert [t.name for t in township_list(home, custodian, at=T0)] == ["古县乡"]
    with pytest.raises(ForbiddenError):
        seal_show(home, custodian, "克城镇", at=T0)
    with pytest.raises(ForbiddenError):
        township_show(home, custodian, "克城镇", at=T0)


def test_a_refused_change_leaves_the_seal_and_records_the_refusal_once(home: Home):
    view = seal_request(home, OFFICE, "克城镇", reason="启用专用章", at=T0)
    clerk = _staff(home, Role.CLERK, "克城镇")
    before = home.audit()
    opened = home.opened
    with pytest.raises(ForbiddenError):
        seal_change(home, clerk, view.code, SealAction.APPROVE, reason="想批准", at=T0)
    assert home.opened == opened + 1  # the refusal is written in the use case's own transaction
    assert home.audit() == [*before, ("克城镇clerk", "seal.approve", "refused", "role_not_allowed")]
    assert seal_show(home, OFFICE, view.code, at=T0).status is SealStatus.REQUESTED
    assert home.seal_ca.issued == {}


def test_a_step_the_lifecycle_forbids_is_refused_and_recorded(home: Home):
    view = seal_request(home, OFFICE, "克城镇", reason="启用专用章", at=T0)
    with pytest.raises(StateError):
        seal_change(home, OFFICE, view.code, SealAction.REVOKE, reason="注销", at=T0)
    assert home.audit()[-1] == ("改革办", "seal.revoke", "refused", "illegal_seal_transition")


def test_a_missing_seal_is_answered_not_recorded(home: Home):
    before = home.audit()
    with pytest.raises(NotFoundError):
        seal_change(home, OFFICE, "不存在镇", SealAction.APPROVE, reason="批准", at=T0)
    assert home.audit() == before


def test_people_tokens_and_web_sessions(home: Home):
    added = person_add(
        home, OFFICE, "李四", Role.CUSTODIAN, township="克城镇", at=T0, token_valid_for=dt.timedelta(days=1)
    )
    assert (added.person.name, added.person.role, added.person.township) == ("李四", Role.CUSTODIAN, "克城镇")
    assert added.token is not None and added.token.expires_at == T0 + dt.timedelta(days=1)
    holder = token_actor(home, added.token.token, at=T0)
    assert (holder.name, holder.role) == ("李四", Role.CUSTODIAN)
    with pytest.raises(ForbiddenError):
        person_list(home, holder, at=T0)
    assert [p.name for p in person_list(home, OFFICE, at=T0)] == ["李四"]

    signed_in = web_sign_in(home, token=added.token.token, address="10.0.0.1", at=T0)
    assert signed_in.actor == holder
    assert web_session_actor(home, signed_in.session_id, at=T0) == holder
    web_sign_out(home, signed_in.session_id, at=T0)
    with pytest.raises(AuthError):
        web_session_actor(home, signed_in.session_id, at=T0)


def test_a_token_is_checked_in_a_read_and_a_refused_one_recorded_once(home: Home):
    added = person_add(
        home, OFFICE, "李四", Role.CLERK, township="克城镇", at=T0, token_valid_for=dt.timedelta(days=1)
    )
    assert added.token is not None
    before, opened, read = home.audit(), home.opened, home.read
    assert token_actor(home, added.token.token, at=T0).name == "李四"
    assert (home.opened, home.read) == (opened, read + 1)  # no writing transaction
    assert home.audit() == before
    with pytest.raises(AuthError):
        token_actor(home, "esk_not-a-token", at=T0)
    assert (home.opened, home.read) == (opened + 1, read + 2)  # refused in the read, recorded in a write
    assert home.audit() == [*before, ("public", "token.authenticate", "refused", "invalid_token")]


def test_a_failed_sign_in_is_counted_although_it_is_refused(home: Home):
    with pytest.raises(AuthError):
        web_sign_in(home, name="无此人", password="wrong-password", address="10.0.0.9", at=T0)
    with home.factory() as s:
        assert s.scalars(select(LoginFailure.address)).all() == ["10.0.0.9"]


def test_only_the_office_reads_the_audit_trail(home: Home):
    seal_request(home, OFFICE, "克城镇", reason="启用专用章", at=T0)
    assert [e.action for e in audit_events(home, OFFICE, at=T0, limit=1)] == ["seal.request"]
    with pytest.raises(ForbiddenError):
        audit_events(home, _staff(home, Role.APPROVER, "克城镇"), at=T0)
    with home.factory() as s:
        assert s.scalar(select(Seal.status)) == "requested"
