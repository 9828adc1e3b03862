"""The PKI's online use cases: what ``/pki`` and ``/pki/sm2`` answer relying parties, each in one transaction.

``transaction`` is the deployment's factory (``dep.transaction``; the PKI does not know the
deployment). Each commits before its answer leaves: a published CRL number or time-stamp serial is
never handed out again, even when a worker dies right after.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from esign.pki import store
from esign.pki.ca import CountyPKI
from esign.pki.crl import current_crl
from esign.pki.ocsp import OcspResponder
from esign.pki.tsa import NextSerialAndTime

if TYPE_CHECKING:
    from esign.db import Transactions
    from esign.pki.sm2_ca import Sm2CountyPKI, Sm2OcspResponder

__all__ = ["crl_of", "ocsp_answer", "sm2_crl_of", "sm2_ocsp_answer", "tsa_serials"]


def crl_of(transaction: Transactions, pki: CountyPKI, *, at: dt.datetime) -> bytes:
    """The issuing CA's current CRL (DER), made and stored first when a revocation happened since the last
    one or it nears its nextUpdate (:func:`esign.pki.crl.current_crl`)."""
    with transaction() as session:
        return current_crl(session, pki, at=at)


def sm2_crl_of(transaction: Transactions, pki: Sm2CountyPKI, *, at: dt.datetime) -> bytes:
    """The SM2 issuing CA's current CRL (DER), as :func:`crl_of` for the ECDSA one."""
    with transaction() as session:
        return pki.current_crl(session, at=at)


def ocsp_answer(transaction: Transactions, responder: OcspResponder, request_der: bytes, *, at: dt.datetime) -> bytes:
    """The DER OCSPResponse to ``request_der``, from the certificate statuses in the store; the
    responder's cache is keyed on the store's revocation epoch, read in the same transaction."""
    with transaction() as session:
        return responder.respond(
            request_der, lambda serial: store.status(session, serial), at=at, epoch=store.revocation_epoch(session)
        )


def sm2_ocsp_answer(
    transaction: Transactions, responder: Sm2OcspResponder, request_der: bytes, *, at: dt.datetime
) -> bytes:
    """The DER OCSPResponse of the SM2 responder to ``request_der``, from the store."""
    with transaction() as session:
        return responder.respond(request_der, lambda serial: store.status(session, serial), at=at)


def tsa_serials(transaction: Transactions) -> NextSerialAndTime:
    """What a time-stamping authority asks for each token: the next serial and genTime, from the store,
    each in a transaction of its own committed before the token is signed (:func:`esign.pki.store.tsa_next`)."""

    def next_serial_and_time(at: dt.datetime) -> tuple[int, dt.datetime]:
        with transaction() as session:
            return store.tsa_next(session, at)

    return next_serial_and_time
