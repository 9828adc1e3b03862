"""Web sign-in (esign.registry.signin) on SQLite and PostgreSQL: sessions expire and end; failures
are counted per account and per address in a sliding window."""

from __future__ import annotations

import datetime as dt

import pytest

from esign.errors import AuthError, TooManyAttemptsError
from esign.registry import Role, add_person, issue_token
from esign.registry.accounts import set_password
from esign.registry.signin import (
    FAILURE_WINDOW,
    MAX_FAILURES_PER_ACCOUNT,
    SESSION_LIFETIME,
    end_session,
    session_actor,
    sign_in_with_password,
    sign_in_with_token,
)

from .conftest import T0

SECOND = dt.timedelta(seconds=1)


@pytest.fixture
def admin(session):
    person = add_person(session, "李四", Role.REFORM_ADMIN, at=T0)
    set_password(person, "a good password")
    return person


def test_a_session_stands_for_its_person_until_it_expires_or_ends(session, admin):
    sid = sign_in_with_password(session, "李四", "a good password", address="10.1.1.1", at=T0)
    assert sid.startswith("ess_") and session_actor(session, sid, at=T0 + SESSION_LIFETIME - SECOND).name == "李四"
    with pytest.raises(AuthError) as exc:
        session_actor(session, sid, at=T0 + SESSION_LIFETIME)
    assert exc.value.code == "session_expired"
    other = sign_in_with_password(session, "李四", "a good password", address="10.1.1.1", at=T0)
    end_session(session, other, at=T0 + SECOND)
    with pytest.raises(AuthError):
        session_actor(session, other, at=T0 + 2 * SECOND)
    admin.active = False
    with pytest.raises(AuthError):
        session_actor(session, sid, at=T0 + SECOND)


def test_a_token_opens_a_session_whose_id_is_not_the_token(session, admin):
    token = issue_token(session, admin, at=T0, valid_for=dt.timedelta(days=90))
    sid = sign_in_with_token(session, token, address="10.1.1.2", at=T0)
    assert sid != token and session_actor(session, sid, at=T0).name == "李四"


def test_failures_lock_the_account_for_the_rest_of_the_window(session, admin):
    at = T0
    for n in range(MAX_FAILURES_PER_ACCOUNT):
        with pytest.raises(AuthError) as exc:
            sign_in_with_password(session, "李四", "wrong", address=f"10.2.0.{n}", at=at + n * SECOND)
        assert exc.value.code == "bad_credentials"
    later = at + MAX_FAILURES_PER_ACCOUNT * SECOND
    with pytest.raises(TooManyAttemptsError) as throttled:
        sign_in_with_password(session, "李四", "a good password", address="10.2.1.1", at=later)
    assert throttled.value.http_status == 429 and throttled.value.code == "too_many_attempts"
    # The oldest failure leaves the window at T0 + FAILURE_WINDOW: then one more try is allowed.
    assert throttled.value.data["retry_after"] == (FAILURE_WINDOW - MAX_FAILURES_PER_ACCOUNT * SECOND).seconds
    with pytest.raises(TooManyAttemptsError):
        sign_in_with_password(session, "李四", "a good password", address="10.2.1.1", at=at + FAILURE_WINDOW - SECOND)
    sid = sign_in_with_password(session, "李四", "a good password", address="10.2.1.1", at=at + FAILURE_WINDOW)
    assert session_actor(session, sid, at=at + FAILURE_WINDOW).name == "李四"
    # Success clears the account's count.
    with pytest.raises(AuthError) as exc:
        sign_in_with_password(session, "李四", "wrong", address="10.2.1.1", at=at + FAILURE_WINDOW + SECOND)
    assert exc.value.code == "bad_credentials"


def test_unknown_names_are_counted_like_accounts(session):
    for n in range(MAX_FAILURES_PER_ACCOUNT):
        with pytest.raises(AuthError):
            sign_in_with_password(session, "王五", "x", address=f"10.3.0.{n}", at=T0 + n * SECOND)
    with pytest.raises(TooManyAttemptsError):
        sign_in_with_password(session, "王五", "x", address="10.3.1.1", at=T0 + FAILURE_WINDOW / 2)
