"""The validation data of a B-LT stamp written as the document's first DSS, directly after the signed revision.

The update holds what ISO 32000-2 (12.8.4.3) and ETSI EN 319 142-1 (5.4, PAdES-B-LT) ask for and nothing
else: one stream per certificate, OCSP answer and CRL, the DSS dictionary naming them, the catalog again
with its new /DSS entry, and a cross-reference section of the signed revision's kind (a table, or a
stream, each as pyHanko writes them) whose trailer repeats the signed revision's entries with a new
/Prev, /Size and second /ID. pyHanko would re-read the whole file to write the same update.

Written here only for a plain file: not encrypted, without a DSS yet, without a hybrid cross-reference
(/XRefStm), ending in the revision just signed. :func:`append_first_dss` says False for any other file
and writes nothing; the caller has pyHanko write the update then.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Sequence
from typing import BinaryIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError, read_non_whitespace
from pyhanko.pdf_utils.xref import XRefStream, write_xref_table

__all__ = ["append_first_dss"]

_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_OBJ_HEADER = re.compile(rb"\s*(\d+)\s+(\d+)\s+obj")
#: Entries of a cross-reference stream's dictionary that describe the stream, not the document.
_STREAM_KEYS = {"/Type", "/W", "/Index", "/Length", "/Filter", "/DecodeParms", "/Prev", "/Size"}


def _signed_trailer(output: BinaryIO) -> tuple[int, generic.DictionaryObject, bool] | None:
    """Where the last cross-reference section starts, its trailer and whether it is a stream."""
    end = output.seek(0, os.SEEK_END)
    output.seek(max(0, end - 64))
    found = _STARTXREF.search(output.read())
    if found is None:
        return None
    start = int(found.group(1))
    output.seek(start)
    head = output.read(4096)
    reference = generic.TrailerReference(None)  # nothing is dereferenced here
    if head.startswith(b"xref"):
        at = head.find(b"trailer")
        if at < 0:
            return None
        output.seek(start + at + len(b"trailer"))
        read_non_whitespace(output, seek_back=True)
        trailer = generic.read_object(output, reference)
        return (start, trailer, False) if isinstance(trailer, generic.DictionaryObject) else None
    header = _OBJ_HEADER.match(head)
    if header is None:
        return None
    output.seek(start + header.end())
    read_non_whitespace(output, seek_back=True)
    stream = generic.read_object(output, reference)
    if not isinstance(stream, generic.StreamObject) or stream.get("/Type") != "/XRef":
        return None
    return start, generic.DictionaryObject({k: stream.raw_get(k) for k in stream}), True


def append_first_dss(
    output: BinaryIO,
    signed: IncrementalPdfFileWriter,
    *,
    certs: Sequence[generic.StreamObject],
    ocsps: Sequence[generic.StreamObject],
    crls: Sequence[generic.StreamObject],
) -> bool:
    """Append the document's first DSS to ``output``, the file ``signed`` has just written (see the
    module docstring); False, with nothing written, for a file pyHanko should update instead."""
    if signed.security_handler is not None or "/DSS" in signed.root:
        return False
    try:
        last = _signed_trailer(output)
    except (PdfError, ValueError, TypeError, KeyError, AttributeError):
        last = None  # not the tail pyHanko writes: leave it to pyHanko
    if last is None:
        return False
    prev, trailer, as_stream = last
    if "/XRefStm" in trailer or "/Encrypt" in trailer or "/Root" not in trailer or "/Size" not in trailer:
        return False
    root_ref = trailer.raw_get("/Root")
    size = trailer["/Size"]
    if not isinstance(root_ref, generic.IndirectObject) or not isinstance(size, int):
        return False

    body = io.BytesIO()
    base = output.seek(0, os.SEEK_END)
    positions: dict[tuple[int, int], int] = {}
    next_id = int(size)

    def put(obj: generic.PdfObject, idnum: int | None = None, generation: int = 0) -> generic.IndirectObject:
        nonlocal next_id
        if idnum is None:
            idnum, next_id = next_id, next_id + 1
        positions[(generation, idnum)] = base + body.tell()
        body.write(b"%d %d obj\n" % (idnum, generation))
        obj.write_to_stream(body, None)
        body.write(b"\nendobj\n")
        return generic.IndirectObject(idnum, generation, None)

    def array(streams: Sequence[generic.StreamObject]) -> generic.ArrayObject:
        return generic.ArrayObject([put(s) for s in streams])

    dss = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/DSS"),
            pdf_name("/Certs"): array(certs),
            pdf_name("/OCSPs"): array(ocsps),
            pdf_name("/CRLs"): array(crls),
        }
    )
    dss_ref = put(dss)
    old_root = signed.root
    root = generic.DictionaryObject({k: old_root.raw_get(k) for k in old_root})
    root[pdf_name("/DSS")] = dss_ref
    put(root, root_ref.idnum, root_ref.generation)

    new_trailer: generic.DictionaryObject
    if as_stream:
        xref = XRefStream(positions)  # type: ignore[arg-type]
        xref.compress()
        new_trailer = xref
    else:
        new_trailer = generic.DictionaryObject()
    for key in trailer:
        if not (as_stream and key in _STREAM_KEYS) and key not in ("/Prev", "/Size"):
            new_trailer[pdf_name(key)] = trailer.raw_get(key)
    if "/ID" in trailer:
        first = trailer["/ID"][0]
        new_trailer[pdf_name("/ID")] = generic.ArrayObject([first, generic.ByteStringObject(os.urandom(16))])
    new_trailer[pdf_name("/Prev")] = generic.NumberObject(prev)
    if as_stream:
        xref_id = next_id
        xref_at = base + body.tell()
        positions[(0, xref_id)] = xref_at
        new_trailer[pdf_name("/Size")] = generic.NumberObject(xref_id + 1)
        body.write(b"%d 0 obj\n" % xref_id)
        new_trailer.write_to_stream(body, None)
        body.write(b"\nendobj\n")
    else:
        xref_at = base + body.tell()
        write_xref_table(body, positions)
        new_trailer[pdf_name("/Size")] = generic.NumberObject(next_id)
        body.write(b"trailer\n")
        new_trailer.write_to_stream(body, None)
    body.write(b"\nstartxref\n%d\n%%%%EOF\n" % xref_at)
    output.seek(base)
    output.write(body.getvalue())
    return True
