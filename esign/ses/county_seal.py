"""A township seal's GB/T 38540 seal data as the county makes it (what ``NationalSealIssuer`` calls).

For one seal and its SM2 signing certificate, :class:`CountySealDataMaker` builds the SES_Seal v4
with :func:`esign.ses.seal.make_seal`:

* header ``ES``, version 4, vid ``esign``; esID = the seal's unique code (e.g. ``141033103001``);
* property: type 1 (单位印章), the seal's full registered name, certListType 1 with the seal's SM2
  signing certificate, createDate = validStart = the issuing time, validEnd = the certificate's notAfter
  (the seal data never outlives the key that signs with it);
* picture: the official red seal drawn from our vector artwork (:mod:`esign.appearance`), PNG
  (lossless with a transparent background, what ofdrw and the national platform's samples carry),
  42 x 42 mm, rendered at 300 dpi (print resolution at its true size);
* the maker certificate (制章者, the county reform office) and its SM2 signature over DER(SES_SealInfo).
"""

from __future__ import annotations

import datetime as dt
import logging

from esign.appearance import SealSpec, SealTextTooLongError, seal_png
from esign.pki._util import require_utc
from esign.pki.keystore.sm2 import Sm2Signer
from esign.pki.seal_issuer import SealIdentityView
from esign.pki.sm2_certs import Sm2Certificate
from esign.ses.seal import ORGANIZATION_SEAL, SealPicture, make_seal

__all__ = ["PICTURE_DPI", "CountySealDataMaker"]

_log = logging.getLogger(__name__)

#: Resolution of the seal picture in the seal data (42 mm at 300 dpi: about 500 pixels across).
PICTURE_DPI = 300


class CountySealDataMaker:
    """Makes seal data signed by the county's maker certificate and key."""

    def __init__(self, maker: Sm2Certificate, maker_signer: Sm2Signer, *, vid: str = "esign") -> None:
        self._maker = maker
        self._signer = maker_signer
        self._vid = vid

    def __call__(
        self, identity: SealIdentityView, certificate: Sm2Certificate, *, at: dt.datetime
    ) -> tuple[bytes, dt.datetime, dt.datetime] | None:
        """``(DER SES_Seal, validStart, validEnd)`` for the seal ``identity`` signing with ``certificate``;
        None when the seal's name cannot be drawn on a seal (the registry allows longer names than fit on
        42 mm: such a seal gets its certificates but no seal data, and cannot be stamped either)."""
        start = require_utc(at).replace(microsecond=0)
        end = certificate.asn1["tbs_certificate"]["validity"]["not_after"].native.astimezone(dt.UTC)
        spec = SealSpec(name=identity.organisation, title=identity.title, code=identity.code)
        try:
            png = seal_png(spec, dpi=PICTURE_DPI)
        except SealTextTooLongError:
            _log.warning("seal %s: its name does not fit on a seal; no GB/T 38540 seal data made", identity.code)
            return None
        picture = SealPicture(type="PNG", data=png, width_mm=round(spec.diameter_mm), height_mm=round(spec.diameter_mm))
        der = make_seal(
            es_id=identity.code,
            name=identity.seal_name,
            signer_certs=[certificate.der],
            created=start,
            valid_start=start,
            valid_end=end,
            picture=picture,
            maker_cert=self._maker.der,
            maker_key=self._signer,
            vid=self._vid,
            seal_type=ORGANIZATION_SEAL,
        )
        return der, start, end
