"""Signing in to the web pages: sessions of their own, ended at sign-out, and a limit on failures.

A web session is not the person's API token. Signing in (with a password, or with a token) opens a
session whose id is 256 random bits handed to the browser once; the database keeps its SHA-256,
the person, when it expires (:data:`SESSION_LIFETIME` after sign-in) and when it was ended. Signing
out ends it here, so a copied cookie is worth nothing afterwards (OWASP Session Management Cheat
Sheet: server-side invalidation at logout, an absolute timeout, no session id reuse).

Failed sign-ins are counted in the database - so the count holds across worker processes and hosts -
per account (the SHA-256 of the name typed, whether or not such an account exists) and per client
address. Past :data:`MAX_FAILURES_PER_ACCOUNT` or :data:`MAX_FAILURES_PER_ADDRESS` failures within
:data:`FAILURE_WINDOW`, sign-in is refused (:class:`~esign.errors.TooManyAttemptsError`, HTTP 429)
without checking the password, until enough failures have left the window (OWASP Authentication
Cheat Sheet, "Protect against automated attacks"). A refused attempt is not counted, so the wait
never grows by trying. Not done: CAPTCHAs, notifying the account holder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from esign.errors import AuthError, TooManyAttemptsError
from esign.registry.accounts import Actor, authenticate_password, authenticate_token
from esign.registry.models import LoginFailure, WebSession

__all__ = [
    "FAILURE_WINDOW",
    "MAX_FAILURES_PER_ACCOUNT",
    "MAX_FAILURES_PER_ADDRESS",
    "SESSION_LIFETIME",
    "end_session",
    "session_actor",
    "sign_in_with_password",
    "sign_in_with_token",
]

#: How long a web session lasts from sign-in (a working day).
SESSION_LIFETIME = dt.timedelta(hours=8)
#: Failures counted are those of the last 15 minutes.
FAILURE_WINDOW = dt.timedelta(minutes=15)
#: Failed sign-ins to one account within the window before its sign-in is refused.
MAX_FAILURES_PER_ACCOUNT = 10
#: Failed sign-ins from one client address within the window (a township office shares one address).
MAX_FAILURES_PER_ADDRESS = 50

_SESSION_PREFIX = "ess_"


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


def _account(name: str) -> bytes:
    return _digest("account\0" + name.strip())


def sign_in_with_password(session: Session, name: str, password: str, *, address: str, at: dt.datetime) -> str:
    """Check a name and password and open a web session; returns the session id (shown once).

    Raises :class:`~esign.errors.TooManyAttemptsError` past the limits, :class:`~esign.errors.AuthError`
    for a wrong name or password (the failure is recorded in ``session``: commit it).
    """
    account = _account(name)
    _refuse_when_throttled(session, account=account, address=address, at=at)
    try:
        actor = authenticate_password(session, name, password)
    except AuthError:
        _record_failure(session, account=account, address=address, at=at)
        raise
    session.execute(delete(LoginFailure).where(LoginFailure.account == account))
    return _open(session, actor, at=at)


def sign_in_with_token(session: Session, token: str, *, address: str, at: dt.datetime) -> str:
    """Open a web session for the holder of an API token; returns the session id (shown once).

    The token itself never becomes the cookie. Failures count against the address only.
    """
    _refuse_when_throttled(session, account=None, address=address, at=at)
    try:
        actor = authenticate_token(session, token, at=at)
    except AuthError:
        _record_failure(session, account=None, address=address, at=at)
        raise
    return _open(session, actor, at=at)


def session_actor(session: Session, session_id: str, *, at: dt.datetime) -> Actor:
    """The person a web session stands for; unknown, expired, ended sessions and deactivated
    people are refused alike (:class:`~esign.errors.AuthError`, code ``session_expired``)."""
    row = session.scalar(select(WebSession).where(WebSession.digest == _digest(session_id.strip())))
    if row is None or row.ended_at is not None or row.expires_at <= at or not row.person.active:
        raise AuthError(
            "登录已过期或已退出，请重新登录。", "Signed out or session expired; sign in again.", code="session_expired"
        )
    return Actor.from_person(row.person)


def end_session(session: Session, session_id: str, *, at: dt.datetime) -> None:
    """Sign out: the session is refused from now on (an unknown id is ignored)."""
    row = session.scalar(select(WebSession).where(WebSession.digest == _digest(session_id.strip())))
    if row is not None and row.ended_at is None:
        row.ended_at = at


def _open(session: Session, actor: Actor, *, at: dt.datetime) -> str:
    session.execute(delete(WebSession).where(WebSession.expires_at < at))  # nothing refers to them
    value = _SESSION_PREFIX + secrets.token_urlsafe(32)
    assert actor.person_id is not None
    session.add(
        WebSession(digest=_digest(value), person_id=actor.person_id, created_at=at, expires_at=at + SESSION_LIFETIME)
    )
    session.flush()
    return value


def _record_failure(session: Session, *, account: bytes | None, address: str, at: dt.datetime) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.at < at - FAILURE_WINDOW))
    session.add(LoginFailure(account=account, address=address[:64], at=at))
    session.flush()


def _refuse_when_throttled(session: Session, *, account: bytes | None, address: str, at: dt.datetime) -> None:
    since = at - FAILURE_WINDOW
    limits = [(LoginFailure.address == address[:64], MAX_FAILURES_PER_ADDRESS)]
    if account is not None:
        limits.insert(0, (LoginFailure.account == account, MAX_FAILURES_PER_ACCOUNT))
    wait = 0.0
    for where, limit in limits:
        recent = LoginFailure.at > since
        if (session.scalar(select(func.count()).select_from(LoginFailure).where(where, recent)) or 0) < limit:
            continue
        # Allowed again when the limit-th most recent failure leaves the window.
        oldest_counted = session.scalar(
            select(LoginFailure.at).where(where, recent).order_by(LoginFailure.at.desc()).offset(limit - 1).limit(1)
        )
        if oldest_counted is not None:
            wait = max(wait, (oldest_counted + FAILURE_WINDOW - at).total_seconds())
    if wait > 0:
        minutes = max(1, math.ceil(wait / 60))
        raise TooManyAttemptsError(
            f"登录失败次数过多，请 {minutes} 分钟后再试。",
            f"Too many failed sign-ins; try again in {minutes} minute(s).",
            retry_after=math.ceil(wait),
        )
