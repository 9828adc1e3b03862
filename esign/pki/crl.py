"""Certificate revocation lists of the issuing CA.

:func:`build_crl` is pure (entries in, DER out). :func:`publish_crl` and :func:`current_crl` read the
store: the registry calls :func:`publish_crl` after every revocation, hold or release, and the
``/pki/crl`` endpoint serves :func:`current_crl`, which reissues only when the stored CRL is stale.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy.orm import Session

from esign.errors import InputError
from esign.pki import store
from esign.pki._util import require_utc
from esign.pki.ca import CountyPKI
from esign.pki.keys import PrivateKey, signature_hash
from esign.pki.status import CertState, CertStatus, RevocationReason

__all__ = ["CRL_PERIOD", "CRL_REFRESH", "build_crl", "current_crl", "fresh_crl", "publish_crl"]

#: Default distance between thisUpdate and nextUpdate.
CRL_PERIOD = dt.timedelta(days=7)
#: :func:`current_crl` reissues when less than this remains before nextUpdate.
CRL_REFRESH = dt.timedelta(days=1)


def build_crl(
    issuer_cert: x509.Certificate,
    issuer_key: PrivateKey,
    entries: Iterable[CertStatus],
    *,
    number: int,
    at: dt.datetime,
    period: dt.timedelta = CRL_PERIOD,
) -> bytes:
    """A DER CRL signed by ``issuer_key``: thisUpdate ``at``, nextUpdate ``at + period``.

    Entries that are not revoked or held are skipped. Each entry carries its reason code except
    ``unspecified`` (RFC 5280 section 5.3.1: that code SHOULD be absent).
    """
    at = require_utc(at)
    if number < 1 or period <= dt.timedelta(0):
        raise InputError("CRL 编号和有效期必须为正。", "CRL number and period must be positive.", code="bad_crl")
    ski = issuer_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    b = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer_cert.subject)
        .last_update(at)
        .next_update(at + period)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
    )
    for entry in entries:
        if entry.state is CertState.GOOD or entry.revoked_at is None:
            continue
        rb = x509.RevokedCertificateBuilder().serial_number(entry.serial).revocation_date(entry.revoked_at)
        reason = entry.reason
        if entry.state is CertState.ON_HOLD:
            reason = RevocationReason.CERTIFICATE_HOLD
        if reason is not None and reason is not RevocationReason.UNSPECIFIED:
            rb = rb.add_extension(x509.CRLReason(reason.to_x509()), critical=False)
        b = b.add_revoked_certificate(rb.build())
    return b.sign(issuer_key, signature_hash(issuer_key)).public_bytes(Encoding.DER)


def publish_crl(session: Session, pki: CountyPKI, *, at: dt.datetime, period: dt.timedelta = CRL_PERIOD) -> bytes:
    """Build the issuing CA's CRL from the store with the next CRL number, store and return it (DER)."""
    at = require_utc(at)
    epoch = store.revocation_epoch(session)
    number = store.next_crl_number(session)
    der = build_crl(
        pki.issuing, pki.issuing_key, store.revoked_list(session, pki.issuing), number=number, at=at, period=period
    )
    store.save_crl(
        session, issuer=pki.issuing, number=number, epoch=epoch, this_update=at, next_update=at + period, der=der
    )
    return der


def current_crl(
    session: Session,
    pki: CountyPKI,
    *,
    at: dt.datetime,
    period: dt.timedelta = CRL_PERIOD,
    refresh: dt.timedelta = CRL_REFRESH,
) -> bytes:
    """The latest stored CRL if it reflects every revocation and is not close to expiry; else a new one."""
    stored = fresh_crl(session, pki.issuing, at=at, refresh=refresh)
    return stored if stored is not None else publish_crl(session, pki, at=at, period=period)


def fresh_crl(
    session: Session, issuer: x509.Certificate, *, at: dt.datetime, refresh: dt.timedelta = CRL_REFRESH
) -> bytes | None:
    """The latest stored CRL of ``issuer`` if it reflects every revocation and is not close to expiry."""
    at = require_utc(at)
    latest = store.latest_crl(session, issuer)
    if (
        latest is not None
        and latest.epoch == store.revocation_epoch(session)
        and latest.this_update <= at < latest.next_update - refresh
    ):
        return latest.der
    return None
