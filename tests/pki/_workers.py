"""Worker for the multi-process TSA counter test (importable by spawned processes)."""

from __future__ import annotations

import datetime as dt

from esign.db import make_engine, make_session_factory, session_scope
from esign.pki import store


def tsa_serials(args: tuple[str, int, str]) -> list[tuple[int, str]]:
    """Take ``n`` (serial, genTime) pairs, each in its own transaction, all at the same ``at``."""
    url, n, at_iso = args
    at = dt.datetime.fromisoformat(at_iso)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    out = []
    for _ in range(n):
        with session_scope(factory) as s:
            serial, gen = store.tsa_next(s, at)
        out.append((serial, gen.isoformat()))
    engine.dispose()
    return out
