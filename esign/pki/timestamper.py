"""An in-process pyHanko :class:`~pyhanko.sign.timestamps.api.TimeStamper` backed by the county TSA.

The stamping pipeline time-stamps signatures without an HTTP round trip. The clock is injected
(``clock``): the library never reads it.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable

from asn1crypto import tsp
from pyhanko.sign.timestamps.api import TimeStamper

from esign.pki.tsa import NextSerialAndTime, TimeStampAuthority

__all__ = ["InProcessTimeStamper"]


class InProcessTimeStamper(TimeStamper):
    """Answers pyHanko's time-stamp requests with ``authority``, serials from ``next_serial_and_time``."""

    def __init__(
        self,
        authority: TimeStampAuthority,
        next_serial_and_time: NextSerialAndTime,
        *,
        clock: Callable[[], dt.datetime],
        include_nonce: bool = True,
    ) -> None:
        super().__init__(include_nonce=include_nonce)
        self._nonce = include_nonce
        self._authority = authority
        self._next = next_serial_and_time
        self._clock = clock

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        """Answer ``req`` in process (synchronously; signing takes well under a millisecond)."""
        return self._authority.respond_to(req, self._next, at=self._clock())

    async def async_token_der(self, message_digest: bytes, md_algorithm: str) -> bytes:
        """The DER token over ``message_digest`` straight from the authority (no request or response
        is encoded or parsed); the same token :meth:`async_timestamp` returns."""
        nonce = secrets.randbits(63) if self._nonce else None
        return self._authority.token(message_digest, md_algorithm, self._next, at=self._clock(), nonce=nonce)
