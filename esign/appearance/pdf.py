"""Hand artwork to PDF: a pyHanko content object for stamping, or a standalone one-page PDF.

The standalone file is built by hand (six objects, Flate-compressed XObject) so that the same
artwork always gives the same bytes: no creation date, no random document ID.
"""

from __future__ import annotations

import hashlib
import math
import zlib

from pyhanko.pdf_utils.content import RawContent
from pyhanko.pdf_utils.layout import BoxConstraints

from esign.appearance.artwork import MM, Artwork
from esign.appearance.drawing import pdf_number

__all__ = ["raw_content", "standalone_pdf"]


def raw_content(art: Artwork) -> RawContent:
    """A pyHanko :class:`~pyhanko.pdf_utils.content.RawContent` with the artwork's operators,
    e.g. for ``StaticStampStyle(background=raw_content(art), background_opacity=1)``; it needs
    no resources. Build a fresh one per use (pyHanko content objects carry a writer).

    pyHanko keeps boxes in whole points, so the box is the artwork's rounded *up*; the artwork
    is drawn unscaled from the box's lower-left corner, hence :attr:`Artwork.anchor` still gives
    the seal centre. Give the stamp this same box (``rc.box``) so pyHanko does not rescale it.
    """
    box = BoxConstraints(width=math.ceil(art.width - 1e-6), height=math.ceil(art.height - 1e-6))
    return RawContent(art.content, box=box)


def standalone_pdf(art: Artwork, *, margin_mm: float = 0.0) -> bytes:
    """A one-page PDF showing ``art`` as a form XObject, page = box plus ``margin_mm`` each side."""
    if margin_mm < 0:
        raise ValueError("margin must not be negative")
    m = margin_mm * MM
    page_w, page_h = art.width + 2 * m, art.height + 2 * m
    xobj = zlib.compress(art.content, 9)
    page_ops = f"q 1 0 0 1 {pdf_number(m)} {pdf_number(m)} cm /Art Do Q\n".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {pdf_number(page_w)} {pdf_number(page_h)}] "
            "/Resources << /XObject << /Art 4 0 R >> >> /Contents 5 0 R >>"
        ).encode("ascii"),
        (
            f"<< /Type /XObject /Subtype /Form /BBox [0 0 {pdf_number(art.width)} {pdf_number(art.height)}] "
            f"/Resources << >> /Filter /FlateDecode /Length {len(xobj)} >>\nstream\n"
        ).encode("ascii")
        + xobj
        + b"\nendstream",
        f"<< /Length {len(page_ops)} >>\nstream\n".encode("ascii") + page_ops + b"endstream",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode("ascii") + body + b"\nendobj\n"
    xref_at = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode("ascii")
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode("ascii")
    doc_id = hashlib.sha256(bytes(out)).hexdigest()[:32]
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /ID [<{doc_id}> <{doc_id}>] >>\n"
        f"startxref\n{xref_at}\n%%EOF\n"
    ).encode("ascii")
    return bytes(out)
