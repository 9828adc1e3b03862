"""The public rate limit's count, shared by every host through PostgreSQL (``rate_counts``).

One row per client address and minute. Taking a block adds to it with ``INSERT ... ON CONFLICT DO
UPDATE ... RETURNING``, so concurrent hosts never lose each other's counts. What the counts mean
(the sliding window, the blocks a process spends in memory) is ``service.ratelimit``'s.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, sessionmaker

from esign.db import session_scope
from esign.hosts.models import RateCountRow

__all__ = ["RateBlock", "SharedRateCount"]


@dataclass(frozen=True)
class RateBlock:
    """One address's shared count after a block was taken."""

    taken: int
    """The count of this minute, the new block included."""
    previous: int
    """The count of the minute before (0 when there was none)."""


class SharedRateCount:
    """The shared count in ``sessions``' database (PostgreSQL only: the upsert is its dialect's)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def take(self, client: str, *, minute: int, block: int, forget_older: bool = False) -> RateBlock:
        """Add ``block`` to ``client``'s count of ``minute``, in one transaction; with ``forget_older``,
        also delete the counts of minutes before the previous one (nothing reads them)."""
        table = RateCountRow.__table__
        take = (
            postgresql.insert(RateCountRow)
            .values(client=client, minute=minute, count=block)
            .on_conflict_do_update(index_elements=["client", "minute"], set_={"count": table.c.count + block})
            .returning(table.c.count)
        )
        with session_scope(self._sessions) as session:
            taken = session.execute(take).scalar_one()
            previous = session.scalar(
                select(RateCountRow.count).where(RateCountRow.client == client, RateCountRow.minute == minute - 1)
            )
            if forget_older:
                session.execute(delete(RateCountRow).where(RateCountRow.minute < minute - 1))
        return RateBlock(taken=taken, previous=previous or 0)
