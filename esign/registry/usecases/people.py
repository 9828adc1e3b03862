"""People, their API tokens and passwords, and the audit trail, as the service and the CLI use them:
one transaction per call, authorized (managing people is the reform office's), frozen views out.

Token values are returned once, by :func:`person_add` and :func:`token_issue`, and never kept.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from esign.registry.accounts import (
    Actor,
    Role,
    add_person,
    find_person,
    issue_token,
    list_people,
    list_tokens,
    revoke_token,
    set_password,
)
from esign.registry.api import RegistryHome
from esign.registry.audit import AuditRecord, list_audit, record_event
from esign.registry.authz import Permission, authorize
from esign.registry.models import Person
from esign.registry.townships import find_township
from esign.registry.usecases._run import use_case
from esign.registry.views import IssuedToken, NewPerson, PersonView, TokenView

__all__ = [
    "audit_events",
    "password_set",
    "person_add",
    "person_list",
    "token_issue",
    "token_list",
    "token_revoke",
    "whoami",
]


def _person_view(person: Person) -> PersonView:
    return PersonView(
        id=person.id,
        name=person.name,
        role=Role(person.role),
        township=person.township.name if person.township else None,
        department=person.department,
    )


def _issue(session: Session, person: Person, *, valid_for: dt.timedelta, at: dt.datetime) -> IssuedToken:
    token = issue_token(session, person, at=at, valid_for=valid_for)
    return IssuedToken(person=person.name, token=token, expires_at=at + valid_for)


def whoami(home: RegistryHome, actor: Actor, *, at: dt.datetime) -> PersonView:
    """The person ``actor`` stands for. ``at`` dates a refusal."""
    with use_case(home, actor, Permission.REGISTER_VIEW.value, "me", at=at) as session:
        authorize(actor, Permission.REGISTER_VIEW)
        return _person_view(find_person(session, actor.person_id or 0))


def person_list(home: RegistryHome, actor: Actor, *, at: dt.datetime) -> list[PersonView]:
    """Everyone with an account, in the order they were added."""
    with use_case(home, actor, Permission.USER_MANAGE.value, "users", at=at) as session:
        authorize(actor, Permission.USER_MANAGE)
        return [_person_view(p) for p in list_people(session)]


def person_add(
    home: RegistryHome,
    actor: Actor,
    name: str,
    role: Role,
    *,
    at: dt.datetime,
    township: str | int | None = None,
    department: str = "",
    token_valid_for: dt.timedelta | None = None,
) -> NewPerson:
    """Add a person (township roles need a township, department viewers a department), with its
    audit event, and issue their first token when ``token_valid_for`` is given."""
    with use_case(home, actor, "user.add", f"user:{name}", at=at) as session:
        authorize(actor, Permission.USER_MANAGE)
        t = find_township(session, township) if township else None
        person = add_person(session, name, role, township=t, department=department, at=at)
        token = _issue(session, person, valid_for=token_valid_for, at=at) if token_valid_for else None
        record_event(
            session,
            actor=actor.name,
            action="user.add",
            target=f"user:{person.name}",
            at=at,
            township_id=t.id if t else None,
        )
        return NewPerson(_person_view(person), token)


def token_issue(
    home: RegistryHome, actor: Actor, person: str | int, *, valid_for: dt.timedelta, at: dt.datetime
) -> IssuedToken:
    """Issue a new token to ``person`` (id or name), with its audit event."""
    with use_case(home, actor, "token.issue", f"user:{person}", at=at) as session:
        authorize(actor, Permission.USER_MANAGE)
        row = find_person(session, person)
        issued = _issue(session, row, valid_for=valid_for, at=at)
        record_event(session, actor=actor.name, action="token.issue", target=f"user:{row.name}", at=at)
        return issued


def token_list(home: RegistryHome, actor: Actor, person: str | int, *, at: dt.datetime) -> list[TokenView]:
    """A person's tokens (ids and dates; the values are not kept)."""
    with use_case(home, actor, Permission.USER_MANAGE.value, f"user:{person}", at=at) as session:
        authorize(actor, Permission.USER_MANAGE)
        return [
            TokenView(t.id, t.label, t.created_at, t.expires_at, t.revoked_at)
            for t in list_tokens(session, find_person(session, person))
        ]


def token_revoke(home: RegistryHome, actor: Actor, token_id: int, *, at: dt.datetime) -> None:
    """Revoke one token by its id, with the audit event."""
    with use_case(home, actor, "token.revoke", f"token:{token_id}", at=at) as session:
        authorize(actor, Permission.USER_MANAGE)
        revoke_token(session, token_id, at=at)
        record_event(session, actor=actor.name, action="token.revoke", target=f"token:{token_id}", at=at)


def password_set(home: RegistryHome, actor: Actor, person: str | int, password: str, *, at: dt.datetime) -> None:
    """Set a person's web password (at least 8 characters; stored as an scrypt hash)."""
    with use_case(home, actor, Permission.USER_MANAGE.value, f"user:{person}", at=at) as session:
        authorize(actor, Permission.USER_MANAGE)
        set_password(find_person(session, person), password)


def audit_events(
    home: RegistryHome, actor: Actor, *, at: dt.datetime, limit: int = 100, outcome: str | None = None
) -> list[AuditRecord]:
    """The newest audit events (all, or ``ok`` or ``refused`` ones)."""
    with use_case(home, actor, Permission.AUDIT_VIEW.value, "audit", at=at) as session:
        authorize(actor, Permission.AUDIT_VIEW)
        return list_audit(session, limit=limit, outcome=outcome)
