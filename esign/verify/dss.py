"""The Document Security Store (ISO 32000-2 §12.8.4.3, PAdES B-LT): the certificates, CRLs and OCSP responses a
document carries for its own validation. Read only: everything found is material for path building and
revocation checks, never trust (trust comes from the caller's roots).

Every stream is decoded under the document's budget (:mod:`esign.budget`), with pyHanko's per-purpose limits; at
most 2000 items per array and VRI entries are read; a stream that cannot be decoded or a certificate that cannot be
parsed is skipped.
"""

from __future__ import annotations

from cryptography import x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.decode_limits import DecodePurpose
from pyhanko.pdf_utils.reader import PdfFileReader

from esign import budget
from esign.verify._pdf import dget

__all__ = ["had_dss_at_start", "read_dss"]

_MAX_DSS_ITEMS = 2000
_PURPOSES = {"c": DecodePurpose.CERTIFICATE, "r": DecodePurpose.CRL, "o": DecodePurpose.OCSP_RESPONSE}


def had_dss_at_start(reader: PdfFileReader) -> bool:
    """The first revision's catalog already has a /DSS."""
    try:
        root = reader.get_historical_resolver(0).get_object(
            reader.get_historical_resolver(0).trailer_view.raw_get("/Root").reference
        )
        return "/DSS" in root
    except Exception:
        return False


def _stream_bytes(item: object, purpose: DecodePurpose) -> bytes | None:
    """The decoded stream, or None when it is not one or cannot be decoded; a limit crossed
    (:mod:`esign.budget`) is remembered by the meter and refuses the document."""
    budget.checkpoint()
    try:
        obj = item.get_object() if isinstance(item, generic.IndirectObject) else item
    except Exception:
        return None
    if isinstance(obj, generic.StreamObject):
        try:
            return bytes(obj.read_data(purpose))
        except Exception:
            budget.checkpoint()
            return None
    return None


def _load_cert(der: bytes) -> x509.Certificate | None:
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError:
        return None


def read_dss(reader: PdfFileReader) -> tuple[tuple[x509.Certificate, ...], list[bytes], list[bytes]]:
    """Certificates, CRLs and OCSP responses of the latest DSS (and its VRI entries)."""
    certs: list[x509.Certificate] = []
    crls: list[bytes] = []
    ocsps: list[bytes] = []
    dss = dget(reader.root, "/DSS")
    if not isinstance(dss, generic.DictionaryObject):
        return (), [], []
    containers: list[generic.DictionaryObject] = [dss]
    vri = dget(dss, "/VRI")
    if isinstance(vri, generic.DictionaryObject):
        entries = (dget(vri, k) for k in list(vri.keys())[:_MAX_DSS_ITEMS])
        containers += [v for v in entries if isinstance(v, generic.DictionaryObject)]
    for c in containers:
        for key, sink in (
            ("/Certs", "c"),
            ("/Cert", "c"),
            ("/CRLs", "r"),
            ("/CRL", "r"),
            ("/OCSPs", "o"),
            ("/OCSP", "o"),
        ):
            arr = dget(c, key)
            if not isinstance(arr, generic.ArrayObject):
                continue
            purpose = _PURPOSES[sink]
            for i in range(min(len(arr), _MAX_DSS_ITEMS)):
                raw = _stream_bytes(arr.raw_get(i), purpose)
                if raw is None:
                    continue
                if sink == "c":
                    cert = _load_cert(raw)
                    if cert is not None:
                        certs.append(cert)
                elif sink == "r":
                    crls.append(raw)
                else:
                    ocsps.append(raw)
    return tuple(dict.fromkeys(certs)), list(dict.fromkeys(crls)), list(dict.fromkeys(ocsps))
