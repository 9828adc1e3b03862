"""Assembling one township's monthly register from the database (the PDF itself is :mod:`~esign.oversight.pdf`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from esign.oversight.api import BEIJING, RegisterFilter, Scope, month_bounds
from esign.oversight.pdf import MonthlyRegister, register_title
from esign.oversight.register import iter_register
from esign.registry.models import Township

__all__ = ["monthly_register"]


def monthly_register(
    session: Session, scope: Scope, township: Township, month: str, *, at: dt.datetime
) -> MonthlyRegister:
    """The lines of ``township``'s register in ``month`` (``YYYY-MM``, Beijing time) that ``scope`` allows.

    ``at`` is printed as the time the document was produced.
    """
    since, until = month_bounds(month)
    rows = iter_register(session, scope, RegisterFilter(since=since, until=until, township_id=township.id))
    county = township.county
    title = register_title(county.name, township.name, county.seal_title, month)
    first = since.astimezone(BEIJING).date()
    last = until.astimezone(BEIJING).date() - dt.timedelta(days=1)
    return MonthlyRegister(title, (first, last), tuple(r.line for r in rows), at)
