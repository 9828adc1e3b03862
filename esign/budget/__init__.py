"""The per-document budget: how much work and memory one untrusted PDF may cost, in one place.

Stamping (:mod:`esign.stamp`, the approval path of :mod:`esign.workflow`, ``esign stamp``) and
verification (:mod:`esign.verify`, ``esign verify``, ``POST /api/v1/verify``, the /verify page)
both read documents through :func:`open_reader` with a :class:`Meter` made from
:meth:`Budget.for_size`. Past any limit the work stops with :class:`~esign.errors.TooComplexError`
(code ``too_complex``, HTTP 422: the upload was within its size limit and well-formed as a
request, but its content is more than this service processes).

What is bounded, for a file of ``n`` bytes (the constants below are the fixed ceilings):

* **decoded bytes** — every byte any stream filter produces while the document is read, summed
  over the whole request, all revisions included: ``min(48 MiB + 4 n, 160 MiB)``; one stream at
  most 64 MiB, an object stream 16 MiB, DSS certificates 1 MiB, OCSP responses 4 MiB and CRLs
  ``max(4 MiB, 50 × encoded)`` (pyHanko's :class:`~pyhanko.pdf_utils.decode_limits.DecodeLimits`
  mechanism, whose per-document budget of ``max(256 MiB, 100 n)`` is far too loose for a public
  route and restarts for every historical revision; here the revisions share one budget).
  Decompression is bounded while it runs (pyHanko's ``zlib.decompressobj`` with ``max_length``,
  and :func:`measure_stream`'s chunked pipeline), never decoded first and checked after.
* **objects** — cross-reference entries over all revisions, counted while the tables and xref
  streams are parsed (a 20-byte ``xref`` line or a zero-width xref-stream row each cost a Python
  object; a table's subsection of the standard form is charged whole before its entries are made):
  ``min(10 000 + n / 64, 200 000)``.
* **pages** — 2 000 (:data:`MAX_PAGES`; no township decision is longer; 200 pages are routine).
* **impressions** — seal images per stamping (repeated seals plus riding-seal strips, the
  register's 使用数): 200 (:data:`MAX_IMPRESSIONS`). A riding seal over more pages is refused:
  the strip would be thinner than 0.25 mm and the register would record a number nobody stamped.
* **page content for text search** — PDFium (keyword placement) decodes content streams, form
  XObjects, Type 3 glyph procedures and embedded fonts itself, outside pyHanko's limits; before it
  parses a page, :func:`check_text_content` measures what it would decode for that page (shared
  fonts and forms once): ``min(8 MiB + n, 32 MiB)`` for all the pages a search reaches.
* **CPU time** of the thread reading the document, checked at every decode and page:
  ``min(1.5 s + 0.25 s per MiB, 4 s)``, so a refused document is refused within 5 s of CPU.

Image XObjects are not decoded by either path (pyHanko copies them, PDFium's text extraction
skips them), so their declared size is not charged; an inline image inside page content is (PDFium
decodes a filtered one to find where it ends). Not covered: the clerk's preview, which renders a
page with poppler's ``pdftocairo`` in a child process (30 s timeout; the server's memory is not
involved). A refusal is remembered by the meter, so a limit crossed inside pyHanko code that
catches the error still refuses the document. :func:`tune_allocator` (called by the service at
start) keeps glibc's mmap threshold fixed so that large decoded buffers go back to the system.
Standards followed: ISO 32000-1 §7.3.8 (stream filters), §7.5.4
and §7.5.8 (cross-reference tables and streams), §7.8.2 (content streams), §9.9 (embedded fonts).
"""

from esign.budget.content import check_text_content, measure_stream
from esign.budget.limits import (
    MAX_CPU_SECONDS,
    MAX_DECODED_BYTES,
    MAX_IMPRESSIONS,
    MAX_OBJECTS,
    MAX_PAGES,
    MAX_STREAM_BYTES,
    MAX_TEXT_CONTENT_BYTES,
    Budget,
    Meter,
    check_impressions,
    checkpoint,
    release_free_memory,
    tune_allocator,
)
from esign.budget.reader import meter_of, open_reader

__all__ = [
    "MAX_CPU_SECONDS",
    "MAX_DECODED_BYTES",
    "MAX_IMPRESSIONS",
    "MAX_OBJECTS",
    "MAX_PAGES",
    "MAX_STREAM_BYTES",
    "MAX_TEXT_CONTENT_BYTES",
    "Budget",
    "Meter",
    "check_impressions",
    "check_text_content",
    "checkpoint",
    "measure_stream",
    "meter_of",
    "open_reader",
    "release_free_memory",
    "tune_allocator",
]
