"""People, roles and API tokens.

Tokens are shown once and stored only as SHA-256 digests; passwords (for the web pages) are
stored as scrypt hashes. A person belongs to one township, to the county (reform office) or to a
county department.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from esign.errors import AuthError, ConflictError, InputError, NotFoundError
from esign.registry.models import Person, Token, Township
from esign.text import as_id, bad_character, clean_text, optional_text

__all__ = [
    "Actor",
    "Role",
    "add_person",
    "authenticate_password",
    "authenticate_token",
    "find_person",
    "issue_token",
    "list_people",
    "list_tokens",
    "revoke_token",
    "set_password",
]

TOKEN_PREFIX = "esk_"  # noqa: S105 - a public prefix, not a secret


class Role(StrEnum):
    CLERK = "clerk"
    APPROVER = "approver"
    CUSTODIAN = "custodian"
    REFORM_ADMIN = "reform_admin"
    DEPARTMENT = "department"

    @property
    def zh(self) -> str:
        """The Chinese name of the role."""
        return {
            "clerk": "窗口人员（使用人）",
            "approver": "批准人",
            "custodian": "印章保管人",
            "reform_admin": "县审批服务管理局管理员",
            "department": "县直部门查看人",
        }[self.value]

    @property
    def township_bound(self) -> bool:
        """Whether people of this role belong to exactly one township."""
        return self in (Role.CLERK, Role.APPROVER, Role.CUSTODIAN)


@dataclass(frozen=True)
class Actor:
    """Who is acting: the authenticated person, or the public (no account)."""

    #: Database id of the person; None for the public.
    person_id: int | None
    #: Display name, recorded in audit events and the usage register.
    name: str
    #: Role, or None for the public.
    role: Role | None
    #: The township the person belongs to (township roles only).
    township_id: int | None = None
    #: The county department (department viewers only).
    department: str = ""

    @classmethod
    def public(cls) -> Actor:
        """A visitor without an account."""
        return cls(person_id=None, name="public", role=None)

    @classmethod
    def console(cls, name: str) -> Actor:
        """The operator at the server's console (the CLI), recorded as ``name``: it acts for the reform
        office, without an account. Whoever runs the CLI holds the data home and its keys already, so
        it is given the office's permissions; the service never makes this actor."""
        return cls(person_id=None, name=name, role=Role.REFORM_ADMIN)

    @classmethod
    def from_person(cls, person: Person) -> Actor:
        """The actor for a stored person."""
        return cls(
            person_id=person.id,
            name=person.name,
            role=Role(person.role),
            township_id=person.township_id,
            department=person.department,
        )


def add_person(
    session: Session,
    name: str,
    role: Role,
    *,
    at: dt.datetime,
    township: Township | None = None,
    department: str = "",
) -> Person:
    """Add a person; township roles need a township, department viewers a department."""
    name = clean_text(name, field="name", zh="姓名", limit=64)
    department = optional_text(department, field="department", zh="部门", limit=100)
    if role.township_bound and township is None:
        raise InputError(
            f"角色“{role.zh}”必须属于一个乡镇（--township）。",
            f"Role {role.value} needs a township (--township).",
            code="township_required",
            field="township",
        )
    if not role.township_bound and township is not None:
        raise InputError(
            f"角色“{role.zh}”不属于乡镇，请勿指定乡镇。",
            f"Role {role.value} does not belong to a township.",
            field="township",
        )
    if role is Role.DEPARTMENT and not department.strip():
        raise InputError(
            "县直部门查看人必须指定部门（--department）。",
            "A department viewer needs a department (--department).",
            code="department_required",
            field="department",
        )
    if session.scalar(select(Person).where(Person.name == name)) is not None:
        raise ConflictError(f"用户“{name}”已存在。", f"User {name!r} already exists.", code="user_exists")
    person = Person(
        name=name,
        role=role.value,
        township_id=township.id if township else None,
        department=department.strip(),
        created_at=at,
    )
    session.add(person)
    session.flush()
    return person


_PERSON_BY_NAME = select(Person).where(Person.name == bindparam("name_"))  # prebuilt: every stamp names two


def find_person(session: Session, ref: str | int) -> Person:
    """A person by id or name."""
    person: Person | None = None
    row_id = as_id(ref)
    if row_id is not None:
        person = session.get(Person, row_id)
    elif isinstance(ref, str) and bad_character(ref) is None:  # no stored name holds a control character
        person = session.scalar(_PERSON_BY_NAME, {"name_": ref.strip()})
    if person is None:
        raise NotFoundError(f"用户“{ref}”不存在。", f"No user {ref!r}.", code="user_not_found")
    return person


def list_people(session: Session) -> list[Person]:
    """Everyone with an account, in the order they were added."""
    return list(session.scalars(select(Person).order_by(Person.id)))


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def issue_token(session: Session, person: Person, *, at: dt.datetime, valid_for: dt.timedelta, label: str = "") -> str:
    """Create a token for ``person`` and return it; this is the only time its value is visible."""
    value = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        Token(person_id=person.id, digest=_digest(value), label=label, created_at=at, expires_at=at + valid_for)
    )
    session.flush()
    return value


#: What a token check reads: the token's dates and its person, in one statement, as plain columns
#: (every API request runs it; no ORM objects are built for it).
_TOKEN_HOLDER = (
    select(
        Token.expires_at,
        Token.revoked_at,
        Person.active,
        Person.id,
        Person.name,
        Person.role,
        Person.township_id,
        Person.department,
    )
    .join(Person, Person.id == Token.person_id)
    .where(Token.digest == bindparam("digest"))
)


def authenticate_token(session: Session, token: str, *, at: dt.datetime) -> Actor:
    """The actor a bearer token stands for; expired, revoked or unknown tokens are refused alike."""
    row = session.execute(_TOKEN_HOLDER, {"digest": _digest(token.strip())}).one_or_none()
    if row is None or row.revoked_at is not None or row.expires_at <= at or not row.active:
        raise AuthError("令牌无效、已过期或已被撤销。", "Token invalid, expired or revoked.", code="invalid_token")
    return Actor(
        person_id=row.id, name=row.name, role=Role(row.role), township_id=row.township_id, department=row.department
    )


def list_tokens(session: Session, person: Person) -> list[Token]:
    """A person's tokens (digests only; the values were shown once and are not kept)."""
    return list(session.scalars(select(Token).where(Token.person_id == person.id).order_by(Token.id)))


def revoke_token(session: Session, token_id: int, *, at: dt.datetime) -> None:
    """Revoke one token by its id."""
    row = session.get(Token, token_id)
    if row is None:
        raise NotFoundError("令牌不存在。", "No such token.", code="token_not_found")
    row.revoked_at = at


def _scrypt(password: str, salt: bytes) -> bytes:
    """The password hash (scrypt, N=2^14, r=8, p=1): about 50 ms, the cost of every sign-in attempt."""
    return hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)


#: Hashed against when there is no password to check (an unknown name, a person without a web
#: password, a deactivated one), so that those answers take as long as a wrong password.
_NO_PASSWORD = (secrets.token_bytes(16), secrets.token_bytes(64))


def set_password(person: Person, password: str) -> None:
    """Set a person's web password (scrypt)."""
    if len(password) < 8:
        raise InputError("密码至少8个字符。", "Password must be at least 8 characters.", field="password")
    salt = secrets.token_bytes(16)
    person.password_hash = f"scrypt${salt.hex()}${_scrypt(password, salt).hex()}"


def authenticate_password(session: Session, name: str, password: str) -> Actor:
    """The actor for a name and password (web login).

    Every refusal costs one password hash, whether the name exists or not: the time of the answer
    does not tell which names are accounts.
    """
    # No account name holds a control character (esign.text): such a name is unknown, at the same cost.
    person = session.scalar(select(Person).where(Person.name == name.strip())) if bad_character(name) is None else None
    salt, want = _NO_PASSWORD
    usable = person is not None and bool(person.password_hash) and person.active
    if usable and person is not None and person.password_hash:
        _, salt_hex, want_hex = person.password_hash.split("$")
        salt, want = bytes.fromhex(salt_hex), bytes.fromhex(want_hex)
    ok = hmac.compare_digest(_scrypt(password, salt), want) and usable
    if not ok or person is None:
        raise AuthError("用户名或密码错误。", "Wrong name or password.", code="bad_credentials")
    return Actor.from_person(person)
