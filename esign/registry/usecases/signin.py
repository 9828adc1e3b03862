"""Who is calling: API tokens and the web pages' sessions, each check one transaction of its own.

The rules (session lifetime, the limits on failed sign-ins) are :mod:`esign.registry.signin`'s.
"""

from __future__ import annotations

import datetime as dt

from esign.errors import AuthError, EsignError, TooManyAttemptsError
from esign.registry.accounts import Actor, authenticate_token
from esign.registry.api import RegistryHome
from esign.registry.audit import audited_read, record_refusal
from esign.registry.signin import end_session, session_actor, sign_in_with_password, sign_in_with_token
from esign.registry.views import WebSignIn

__all__ = ["record_edge_refusal", "token_actor", "web_session_actor", "web_sign_in", "web_sign_out"]


def token_actor(home: RegistryHome, token: str, *, at: dt.datetime) -> Actor:
    """The person a bearer token stands for; unknown, expired and revoked tokens are refused alike
    (:class:`~esign.errors.AuthError`), and the refusal is recorded once (the public as actor, action
    ``token.authenticate``, at ``at``). A token that passes costs one statement that reads
    (:func:`~esign.registry.audited_read` with :meth:`RegistryHome.one_read`)."""
    # every API request comes here: one statement that reads, which waits for no writer
    return audited_read(
        home.one_read,
        home.transaction,
        Actor.public(),
        "token.authenticate",
        "token",
        lambda session: authenticate_token(session, token, at=at),
        at=at,
        refusals=(AuthError,),
    )


def record_edge_refusal(
    home: RegistryHome, actor: Actor, error: EsignError, *, action: str, target: str, at: dt.datetime
) -> None:
    """Record, in a transaction of its own, a refusal an edge decided before any use case ran (a web form
    whose CSRF token is missing or wrong): the edge's one place for it, so nothing else writes it."""
    with home.transaction() as session:
        record_refusal(
            session, actor=actor.name, action=action, target=target, error=error, at=at, township_id=actor.township_id
        )


def web_session_actor(home: RegistryHome, session_id: str, *, at: dt.datetime) -> Actor:
    """The person a web session stands for; unknown, expired and ended sessions are refused alike
    (:class:`~esign.errors.AuthError`, code ``session_expired``). A read: nothing is recorded."""
    with home.reading() as session:
        return session_actor(session, session_id, at=at)


def web_sign_in(
    home: RegistryHome, *, name: str = "", password: str = "", token: str = "", address: str, at: dt.datetime
) -> WebSignIn:
    """Open a web session with an API token (when given) or a name and password.

    A failed attempt is counted and recorded as a refused ``web.sign_in`` (committed) before its
    :class:`~esign.errors.AuthError` is raised; past the limits
    :class:`~esign.errors.TooManyAttemptsError` is raised without checking anything (nor recording it).
    """
    with home.transaction() as session:
        try:
            if token.strip():
                session_id = sign_in_with_token(session, token, address=address, at=at)
            else:
                session_id = sign_in_with_password(session, name, password, address=address, at=at)
        except EsignError as exc:
            failed = exc
            if isinstance(exc, AuthError) and not isinstance(exc, TooManyAttemptsError):
                # recorded here, once, with the failure count; the name typed is not kept (it may be a password)
                record_refusal(session, actor="public", action="web.sign_in", target="web_session", error=exc, at=at)
        else:
            return WebSignIn(session_id, session_actor(session, session_id, at=at))
    raise failed


def web_sign_out(home: RegistryHome, session_id: str, *, at: dt.datetime) -> None:
    """End a web session: it is refused from now on (an unknown id is ignored)."""
    with home.transaction() as session:
        end_session(session, session_id, at=at)
