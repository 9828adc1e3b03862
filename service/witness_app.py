"""The witness's HTTP face: c2sp.org/tlog-witness ``POST /add-checkpoint``, plus a read-only view.

Statuses as the spec gives them (see :mod:`esign.ledger.witness`); a 409 answers the size the
witness last cosigned with ``Content-Type: text/x.tlog.size``. ``GET /logs`` (the monitoring side)
lists what the witness remembers, and ``GET /logs/{n}/checkpoint`` the last checkpoint it cosigned
of the n-th log, so a department can keep it or check the county against it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request, Response

from esign.ledger import Witness, WitnessRefusal

__all__ = ["create_witness_app"]

_log = logging.getLogger("esign.witness")


def create_witness_app(witness: Witness, *, clock: Callable[[], dt.datetime]) -> FastAPI:
    """The witness service for ``witness``."""
    app = FastAPI(title="esign 见证人 / tlog witness", version="1")

    @app.post("/add-checkpoint")
    async def add_checkpoint(request: Request) -> Response:
        body = await request.body()
        try:
            lines = witness.add_checkpoint(body, at=clock())
        except WitnessRefusal as e:
            if e.http_status == 409:
                return Response(f"{e.data['size']}\n", status_code=409, media_type="text/x.tlog.size")
            return Response(f"{e.message_zh} / {e.message_en}\n", status_code=e.http_status, media_type="text/plain")
        return Response(lines, media_type="text/plain; charset=utf-8")

    @app.get("/logs")
    def logs() -> list[dict[str, Any]]:
        return [
            {"origin": s.origin, "size": s.size, "updated_at": s.updated_at, "vkey": s.vkey}
            for s in witness.store.states()
        ]

    @app.get("/logs/{n}/checkpoint")
    def kept(n: int) -> Response:
        states = witness.store.states()
        if not 0 <= n < len(states) or not states[n].note:
            return Response("no checkpoint\n", status_code=404, media_type="text/plain")
        return Response(states[n].note, media_type="text/plain; charset=utf-8")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "witness": witness.cosigner.name, "vkey": witness.cosigner.verifier.vkey}

    return app
