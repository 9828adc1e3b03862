"""The OFD side of a stamp request: the same request, approval and commit as a PDF (one register
entry per stamp, written by :func:`esign.workflow.commit.stamp_and_commit` in its one transaction);
only the document checks at submission and the signing differ. An OFD is recognised by content
(:func:`esign.ofd.is_ofd`: a ZIP whose OFD.xml has the ``ofd:OFD`` root), never by its name.

Signing uses the seal's SM2 key and certificate and its GB/T 38540 seal data (the ``.esl`` the seal
lifecycle keeps), time-stamped by the county's SM2 TSA (:class:`esign.pki.sm2_tsa.Sm2TimeStamper`,
serials and genTime from the store like ``/pki/sm2/tsa``); see :mod:`esign.ofd.stamp`.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from esign.deployment import Deployment
from esign.errors import NotFoundError, StateError, TooLargeError
from esign.hosts import BlobStore
from esign.ofd import is_ofd
from esign.ofd.stamp import OfdSigner, check_ofd, stamp_ofd
from esign.pki import store as pki_store
from esign.pki.sm2_certs import Sm2Certificate
from esign.pki.sm2_tsa import Sm2TimeStamper
from esign.registry.models import Seal
from esign.registry.seals import seal_data
from esign.registry.townships import organisation_name
from esign.ses.seal import parse_seal
from esign.ses.signature import Timestamper
from esign.stamp import Placement, default_keywords, with_keywords

__all__ = ["check_ofd_request", "is_ofd", "sign_ofd"]


def _size(data: bytes, max_bytes: int) -> None:
    if len(data) > max_bytes:
        raise TooLargeError(
            f"文件过大：{len(data)} 字节，上限 {max_bytes} 字节",
            f"the file is too large: {len(data)} bytes, the limit is {max_bytes}",
            code="too_large",
            size=len(data),
            max_bytes=max_bytes,
        )


def check_ofd_request(dep: Deployment, seal: Seal, data: bytes, placement: Placement) -> int:
    """Refuse, at submission, an OFD the stamp would refuse (package, pages, placement, a locked
    signature list); returns its page count."""
    _size(data, dep.settings.max_upload_bytes)
    keywords = default_keywords(seal.township.name, organisation_name(seal.township))
    return check_ofd(data, with_keywords(placement, keywords))


def _signer(dep: Deployment, seal: Seal, at_holder: list[dt.datetime]) -> OfdSigner:
    if not seal.sm2_key_id or not seal.sm2_cert_serial:
        raise StateError(
            "该印章没有国密（SM2）证书，不能在 OFD 文件上盖章。",
            "The seal has no SM2 certificate: it cannot stamp OFD documents.",
            code="seal_without_sm2",
        )
    with dep.transaction() as session:
        try:
            der = seal_data(session, seal).der
        except NotFoundError as exc:
            raise StateError(exc.message_zh, exc.message_en, code="seal_data_not_found") from exc
        row = session.get(Seal, seal.id)
        assert row is not None
        company = row.township.county.name
    parsed = parse_seal(der)
    want = int(seal.sm2_cert_serial, 16)
    cert = next((c for c in parsed.signer_certs if Sm2Certificate.from_der(c).asn1.serial_number == want), None)
    if cert is None:
        raise StateError(
            "印章数据中没有该印章的 SM2 证书。",
            "The seal data does not list the seal's SM2 certificate.",
            code="seal_data_mismatch",
        )

    def next_serial_and_time(at: dt.datetime) -> tuple[int, dt.datetime]:
        with dep.transaction() as s:
            serial, gen_time = pki_store.tsa_next(s, at)
        at_holder.append(gen_time)
        return serial, gen_time

    stamper = Sm2TimeStamper(dep.sm2_pki.timestamp_authority(), next_serial_and_time, lambda: at_holder[0])
    # the stamper is callable (or, in older trees, has .timestamp): either way bytes in, token out
    stamp = cast(Timestamper, getattr(stamper, "timestamp", stamper))
    return OfdSigner(der, dep.sm2_keys.signer(seal.sm2_key_id), cert, stamp, company)


def sign_ofd(
    dep: Deployment,
    blobs: BlobStore,
    *,
    seal: Seal,
    input_sha256: str,
    placement: Placement,
    township_name: str,
    organisation: str,
    qr_png: bytes,
    entry_id: str,
    url: str,
    at: dt.datetime,
) -> tuple[str, dt.datetime, int]:
    """Stamp the stored OFD into a new stored file: its SHA-256, the TSA's genTime, the impressions."""
    holder = [at]
    signer = _signer(dep, seal, holder)
    data = blobs.get(input_sha256)
    stamped = stamp_ofd(
        data,
        with_keywords(placement, default_keywords(township_name, organisation)),
        signer,
        at=at,
        entry_id=entry_id,
        verify_url=url,
        qr_png=lambda: qr_png,
    )
    digest = blobs.put(stamped.data, durable=True)
    return digest, holder[-1], stamped.impressions
