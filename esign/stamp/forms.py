"""Artwork as form XObjects (ISO 32000-2 8.10), nested as the drawing nests.

An artwork placed on a page (or as a widget's appearance) becomes a small outer form that turns it
upright on a rotated page and places its parts; each part (a :class:`~esign.appearance.drawing.Placed`
drawing: the seal, its QR code) is a form of its own, clipped to its box by its /BBox as the inline
drawing clipped itself. A drawing is written once per document however often it is shown (a seal
repeated on several pages, the strips of a riding seal), and its compressed content is kept per
process while the drawing lives in the cache, so the seal is compressed once, not once per stamp.

Guarantees: what is painted is what :func:`esign.appearance.drawing.pdf_content` paints (the same
operators, the same clipping); the forms need no resources but each other, so nothing (no font, no
transparency group) is added to the page's resources beyond the outer form.
"""

from __future__ import annotations

import threading
import zlib

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.writer import BasePdfFileWriter

from esign.appearance.artwork import Artwork
from esign.appearance.drawing import Drawing, Placed, pdf_content, pdf_number

__all__ = ["FormMaker", "art_matrix"]

_ENCODED: dict[int, tuple[Drawing, bytes]] = {}
_ENCODED_LOCK = threading.Lock()
_MAX_ENCODED = 64


def _encoded(drawing: Drawing) -> bytes:
    """The compressed content of ``drawing`` (remembered by identity: a drawing is immutable, and the
    entry keeps it alive, so its id cannot be reused while the entry exists). The least recently used
    entry goes first: every stamp brings a QR code of its own, which must not push out the seal that
    every stamp shows."""
    key = id(drawing)
    with _ENCODED_LOCK:
        hit = _ENCODED.pop(key, None)
        if hit is not None and hit[0] is drawing:
            _ENCODED[key] = hit  # the most recent again
            return hit[1]
    data = zlib.compress(pdf_content(drawing))
    with _ENCODED_LOCK:
        _ENCODED.pop(key, None)
        while len(_ENCODED) >= _MAX_ENCODED:
            del _ENCODED[next(iter(_ENCODED))]
        _ENCODED[key] = (drawing, data)
    return data


def art_matrix(art: Artwork, rotate: int) -> tuple[tuple[float, ...], float, float, tuple[float, float]]:
    """Counter-rotation matrix for ``rotate``, the rotated box size, and where the anchor lands in it."""
    w, h = art.width, art.height
    ax, ay = art.anchor or (w / 2, h / 2)
    r = rotate % 360
    if r == 0:
        return (1, 0, 0, 1, 0, 0), w, h, (ax, ay)
    if r == 90:
        return (0, 1, -1, 0, h, 0), h, w, (h - ay, ax)
    if r == 180:
        return (-1, 0, 0, -1, w, h), w, h, (w - ax, h - ay)
    return (0, -1, 1, 0, 0, w), h, w, (ay, w - ax)


def _form(bbox: tuple[float, float], resources: generic.DictionaryObject | None = None) -> generic.DictionaryObject:
    d = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/XObject"),
            pdf_name("/Subtype"): pdf_name("/Form"),
            pdf_name("/BBox"): generic.ArrayObject([generic.FloatObject(v) for v in (0, 0, *bbox)]),
        }
    )
    if resources is not None:
        d[pdf_name("/Resources")] = resources
    return d


class FormMaker:
    """Form XObjects of artwork for one document being written."""

    def __init__(self, writer: BasePdfFileWriter) -> None:
        self._writer = writer
        self._drawings: dict[int, tuple[Drawing, generic.IndirectObject]] = {}

    def drawing(self, drawing: Drawing) -> generic.IndirectObject:
        """The form of ``drawing`` (BBox ``[0 0 width height]``), written once per document."""
        hit = self._drawings.get(id(drawing))
        if hit is not None and hit[0] is drawing:
            return hit[1]
        stream = generic.StreamObject(
            {**_form((drawing.width, drawing.height)), pdf_name("/Filter"): pdf_name("/FlateDecode")},
            encoded_data=_encoded(drawing),
        )
        ref = self._writer.add_object(stream)
        self._drawings[id(drawing)] = (drawing, ref)
        return ref

    def art(self, art: Artwork, rotate: int) -> tuple[generic.StreamObject, float, float, tuple[float, float]]:
        """The outer form of ``art`` turned upright for a page rotated by ``rotate``: the stream (not yet
        added to the document), its box size and where the anchor lands in it."""
        m, bw, bh, anchor = art_matrix(art, rotate)
        items = art.drawing.items
        parts: list[tuple[Drawing, float, float]] = []
        if items and all(isinstance(i, Placed) for i in items):
            parts = [(i.drawing, i.dx, i.dy) for i in items if isinstance(i, Placed)]
        else:
            parts = [(art.drawing, 0.0, 0.0)]
        xobjects = generic.DictionaryObject()
        ops = [b"q %g %g %g %g %g %g cm" % m]
        for n, (drawing, dx, dy) in enumerate(parts):
            name = f"/P{n}"
            xobjects[pdf_name(name)] = self.drawing(drawing)
            if dx or dy:
                at = f"q 1 0 0 1 {pdf_number(dx)} {pdf_number(dy)} cm {name} Do Q"
                ops.append(at.encode())
            else:
                ops.append(name.encode() + b" Do")
        ops.append(b"Q")
        resources = generic.DictionaryObject({pdf_name("/XObject"): xobjects})
        stream = generic.StreamObject(_form((bw, bh), resources), stream_data=b"\n".join(ops))
        return stream, bw, bh, anchor
