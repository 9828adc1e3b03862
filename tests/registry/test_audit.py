"""``audited_transaction``: one transaction per use case, its refusal recorded in it, once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import AbstractContextManager

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from esign.db import make_session_factory, session_scope
from esign.errors import ForbiddenError, InputError
from esign.registry import Actor, Role, audited_step, audited_transaction, refusal_recorded
from esign.registry.models import AuditEvent

T0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
CLERK = Actor(person_id=7, name="张三", role=Role.CLERK, township_id=None)


class Transactions:
    """``dep.transaction`` over ``engine``, counting how many it opened."""

    def __init__(self, engine: Engine) -> None:
        self.factory = make_session_factory(engine)
        self.opened = 0

    def __call__(self) -> AbstractContextManager[Session]:
        self.opened += 1
        return session_scope(self.factory)

    def events(self) -> list[tuple[str, str, str, str, str]]:
        with self.factory() as s:
            rows = s.scalars(select(AuditEvent).order_by(AuditEvent.id))
            return [(e.actor, e.action, e.target, e.outcome, e.code or "") for e in rows]


@pytest.fixture
def tx(engine: Engine) -> Iterator[Transactions]:
    yield Transactions(engine)


def _work(session: Session) -> None:
    """Some state change that a refusal must undo (an audit event of the use case's own)."""
    session.add(AuditEvent(at=T0, actor="张三", action="thing.do", target="thing:1", outcome="ok", detail=""))
    session.flush()


def test_success_commits_the_work_in_one_transaction(tx: Transactions) -> None:
    with audited_transaction(tx, CLERK, "thing.do", "thing:1", at=T0) as session:
        _work(session)
    assert tx.opened == 1
    assert tx.events() == [("张三", "thing.do", "thing:1", "ok", "")]


def _refused(tx: Transactions, actor: Actor) -> ForbiddenError:
    """Work, then a refusal, in one audited transaction of ``actor``; the refusal, checked to reach the caller."""
    refusal = ForbiddenError("不可。", "No.", code="not_yours")
    with pytest.raises(ForbiddenError) as caught:
        with audited_transaction(tx, actor, "thing.do", "thing:1", at=T0) as session:
            _work(session)
            raise refusal
    assert caught.value is refusal
    return refusal


def test_a_refusal_rolls_back_the_work_and_is_recorded_once_in_the_same_transaction(tx: Transactions) -> None:
    refusal = _refused(tx, CLERK)
    assert tx.opened == 1
    assert tx.events() == [("张三", "thing.do", "thing:1", "refused", "not_yours")]
    assert refusal_recorded(refusal)


def test_an_unlisted_error_class_is_not_recorded(tx: Transactions) -> None:
    bad = InputError("坏。", "Bad.", code="bad")
    with pytest.raises(InputError):
        with audited_transaction(tx, CLERK, "thing.do", "thing:1", at=T0, refusals=(ForbiddenError,)) as session:
            _work(session)
            raise bad
    assert tx.events() == []
    assert not refusal_recorded(bad)


def test_an_unexpected_error_rolls_back_everything_and_records_nothing(tx: Transactions) -> None:
    with pytest.raises(ZeroDivisionError):
        with audited_transaction(tx, CLERK, "thing.do", "thing:1", at=T0) as session:
            _work(session)
            _ = 1 / 0
    assert tx.events() == []


def test_a_refusal_that_cannot_be_written_still_reaches_the_caller_and_nothing_is_kept(
    tx: Transactions, caplog: pytest.LogCaptureFixture
) -> None:
    """Writing the refusal fails (here its township does not exist; on PostgreSQL a NUL in the refused
    input does it too): that is logged, the transaction is given up, and the caller gets the refusal,
    not the database's error."""
    nowhere = Actor(person_id=7, name="张三", role=Role.CLERK, township_id=987654)
    refusal = _refused(tx, nowhere)
    assert not refusal_recorded(refusal)
    assert tx.events() == []
    assert "could not record a refused attempt" in caplog.text


def test_a_refusal_after_a_failed_flush_is_still_recorded(tx: Transactions) -> None:
    """The savepoint, not the transaction, holds the broken work: the refusal is written after it."""
    refusal = InputError("重复。", "Duplicate.", code="duplicate")
    with pytest.raises(InputError):
        with audited_transaction(tx, CLERK, "township.add", "township:x", at=T0) as session:
            _work(session)
            try:  # NOT NULL: the statement fails (and PostgreSQL aborts the transaction up to the savepoint)
                session.execute(text("INSERT INTO audit_events (actor) VALUES (NULL)"))
            except DBAPIError:
                raise refusal from None
    assert tx.events() == [("张三", "township.add", "township:x", "refused", "duplicate")]


def test_steps_record_their_own_refusal_and_keep_what_came_before(tx: Transactions) -> None:
    """Two steps in one transaction (ask, then approve): the second's refusal is recorded under its own
    action, once, and the first step's work is kept, as if each had committed on its own."""
    refusal = ForbiddenError("不可。", "No.", code="not_yours")
    with pytest.raises(ForbiddenError):
        with audited_transaction(tx, CLERK, "thing.ask", "thing:1", at=T0) as session:
            _work(session)
            with audited_step(session, CLERK, "thing.approve", "thing:2", at=T0):
                session.add(AuditEvent(at=T0, actor="张三", action="x", target="y", outcome="ok", detail=""))
                raise refusal
    assert tx.opened == 1
    assert tx.events() == [
        ("张三", "thing.do", "thing:1", "ok", ""),
        ("张三", "thing.approve", "thing:2", "refused", "not_yours"),
    ]


def test_on_refusal_runs_in_the_same_transaction_after_the_record(tx: Transactions) -> None:
    seen: list[str] = []

    def after(session: Session, exc: object) -> None:
        seen.append(getattr(exc, "code", ""))
        _work(session)

    with pytest.raises(InputError):
        with audited_transaction(tx, CLERK, "thing.do", "thing:9", at=T0, on_refusal=after):
            raise InputError("坏。", "Bad.", code="bad")
    assert seen == ["bad"]
    assert tx.opened == 1
    assert tx.events() == [("张三", "thing.do", "thing:9", "refused", "bad"), ("张三", "thing.do", "thing:1", "ok", "")]
