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
  object): ``min(10 000 + n / 64, 200 000)``.
* **pages** — 2 000 (:data:`MAX_PAGES`; no township decision is longer; 200 pages are routine).
* **impressions** — seal images per stamping (repeated seals plus riding-seal strips, the
  register's 使用数): 200 (:data:`MAX_IMPRESSIONS`). A riding seal over more pages is refused:
  the strip would be thinner than 0.25 mm and the register would record a number nobody stamped.
* **page content for text search** — PDFium (keyword placement) decodes content streams, form
  XObjects, Type 3 glyph procedures and embedded fonts itself, outside pyHanko's limits; before a
  document reaches it, :func:`check_text_content` measures what PDFium would decode for the pages
  searched: ``min(8 MiB + n, 32 MiB)``.
* **CPU time** of the thread reading the document, checked at every decode and page:
  ``min(1.5 s + 0.25 s per MiB, 4 s)``, so a refused document is refused within 5 s of CPU.

Images are not decoded by either path (pyHanko copies them, PDFium's text extraction skips them),
so their declared size is not charged; their compressed filters, like any stream's, are bounded
when something does decode them. Standards followed: ISO 32000-1 §7.3.8 (stream filters), §7.5.4
and §7.5.8 (cross-reference tables and streams), §7.8.2 (content streams), §9.9 (embedded fonts).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import contextvars
import io
import re
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from pyhanko.pdf_utils import filters as _filters_module
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils import xref as _xref
from pyhanko.pdf_utils.decode_limits import (
    DecodeContext,
    DecodeLimits,
    DecodePurpose,
    DocumentDecodeBudget,
    StreamDecodeLimits,
)
from pyhanko.pdf_utils.misc import PdfDecodeLimitError
from pyhanko.pdf_utils.reader import PdfFileReader

from esign.errors import TooComplexError

__all__ = [
    "MAX_CPU_SECONDS",
    "MAX_DECODED_BYTES",
    "MAX_IMPRESSIONS",
    "MAX_OBJECTS",
    "MAX_PAGES",
    "MAX_TEXT_CONTENT_BYTES",
    "Budget",
    "Meter",
    "check_impressions",
    "check_text_content",
    "checkpoint",
    "measure_stream",
    "meter_of",
    "open_reader",
]

MiB = 1024 * 1024

MAX_DECODED_BYTES = 160 * MiB
"""Ceiling of the decoded bytes of one document (all streams, all revisions)."""
MAX_STREAM_BYTES = 64 * MiB
"""Ceiling of one decoded stream."""
MAX_OBJECTS = 200_000
"""Ceiling of cross-reference entries over all revisions."""
MAX_PAGES = 2_000
"""Most pages a document may have."""
MAX_IMPRESSIONS = 200
"""Most seal images one stamping may put on a document (the register's 使用数)."""
MAX_TEXT_CONTENT_BYTES = 32 * MiB
"""Ceiling of what PDFium may decode to search the text of a document."""
MAX_CPU_SECONDS = 4.0
"""Ceiling of the CPU time spent reading one document."""

_CHUNK = 256 * 1024


@dataclass(frozen=True)
class Budget:
    """The limits for one document; make it with :meth:`for_size`."""

    decoded_bytes: int
    """Bytes all stream decoders together may produce."""
    stream_bytes: int
    """Bytes one stream may decode to."""
    objects: int
    """Cross-reference entries over all revisions."""
    pages: int
    """Pages."""
    text_content_bytes: int
    """Decoded page content (content streams, forms, fonts) PDFium may parse for a text search."""
    cpu_seconds: float
    """CPU time of the reading thread."""

    @classmethod
    def for_size(cls, size: int) -> Budget:
        """The budget of a file of ``size`` bytes: a base, a share proportional to the file, a ceiling."""
        size = max(0, int(size))
        decoded = min(48 * MiB + 4 * size, MAX_DECODED_BYTES)
        return cls(
            decoded_bytes=decoded,
            stream_bytes=min(MAX_STREAM_BYTES, decoded),
            objects=min(10_000 + size // 64, MAX_OBJECTS),
            pages=MAX_PAGES,
            text_content_bytes=min(8 * MiB + size, MAX_TEXT_CONTENT_BYTES),
            cpu_seconds=min(1.5 + 0.25 * size / MiB, MAX_CPU_SECONDS),
        )

    def decode_limits(self) -> DecodeLimits:
        """pyHanko's per-stream limits for this budget (the document total is kept by :class:`Meter`)."""
        tight = {
            DecodePurpose.OBJECT_STREAM: StreamDecodeLimits(
                max_ratio=100, ratio_floor=4 * MiB, max_output_size=16 * MiB
            ),
            DecodePurpose.XREF_STREAM: StreamDecodeLimits(max_ratio=None, max_output_size=self.objects * 20),
            DecodePurpose.XMP_METADATA: StreamDecodeLimits(max_ratio=100, ratio_floor=MiB, max_output_size=4 * MiB),
            DecodePurpose.CERTIFICATE: StreamDecodeLimits(max_ratio=None, max_output_size=MiB),
            DecodePurpose.OCSP_RESPONSE: StreamDecodeLimits(max_ratio=None, max_output_size=4 * MiB),
            DecodePurpose.CRL: StreamDecodeLimits(max_ratio=50, ratio_floor=4 * MiB, max_output_size=None),
        }
        return DecodeLimits(
            per_stream=StreamDecodeLimits(max_ratio=1100, ratio_floor=MiB, max_output_size=self.stream_bytes),
            per_purpose=tight,
            document_budget=DocumentDecodeBudget(base_allowance=self.decoded_bytes, max_ratio=0),
        )


@dataclass
class Meter:
    """What one request has spent of its :class:`Budget`. Not shared between threads.

    The first limit crossed is remembered: pyHanko (and our own readers) catch some exceptions and
    carry on, so the callers ask :meth:`check` at the end and the refusal still wins.
    """

    budget: Budget
    decoded: int = 0
    objects: int = 0
    text_content: int = 0
    exceeded: TooComplexError | None = None
    _cpu_start: float = field(default_factory=time.thread_time)

    @classmethod
    def for_size(cls, size: int) -> Meter:
        """A fresh meter for a file of ``size`` bytes."""
        return cls(Budget.for_size(size))

    @property
    def cpu_seconds(self) -> float:
        """CPU time of this thread since the meter was made."""
        return time.thread_time() - self._cpu_start

    def refuse(self, what_zh: str, what_en: str, **data: Any) -> TooComplexError:
        """Remember and return the refusal (the first one is kept)."""
        if self.exceeded is None:
            self.exceeded = TooComplexError(
                f"文件内容过于复杂，超出单个文件的处理限额（{what_zh}），拒绝处理。",
                f"The document is too complex to process: {what_en}.",
                field="file",
                **data,
            )
        return self.exceeded

    @contextlib.contextmanager
    def active(self) -> Iterator[Meter]:
        """Make this the meter of the current context: cross-reference entries parsed by any reader,
        pyHanko's per-stream limits and :func:`checkpoint` charge it."""
        token = _ACTIVE.set(self)
        try:
            yield self
        finally:
            _ACTIVE.reset(token)

    def check(self, *, cpu: bool = True) -> None:
        """Raise the remembered refusal, and (``cpu``) refuse when the CPU time is spent."""
        if self.exceeded is not None:
            raise self.exceeded
        if not cpu:
            return
        spent = self.cpu_seconds
        if spent > self.budget.cpu_seconds:
            raise self.refuse(
                f"处理时间超过 {self.budget.cpu_seconds:.1f} 秒",
                f"reading it took more than {self.budget.cpu_seconds:.1f} s of CPU time",
                limit="cpu_seconds",
                cpu_seconds=round(spent, 2),
            )

    def charge_decoded(self, n: int) -> None:
        """Count ``n`` decoded bytes; refuse past the document total."""
        self.decoded += n
        if self.decoded > self.budget.decoded_bytes:
            raise self.refuse(
                f"解压后数据超过 {self.budget.decoded_bytes // MiB} MB",
                f"its streams decode to more than {self.budget.decoded_bytes // MiB} MiB",
                limit="decoded_bytes",
            )
        self.check()

    def charge_objects(self, n: int = 1) -> None:
        """Count cross-reference entries; refuse past the object budget."""
        self.objects += n
        if self.objects > self.budget.objects:
            raise self.refuse(
                f"对象数超过 {self.budget.objects}",
                f"it has more than {self.budget.objects} objects",
                limit="objects",
            )

    def check_pages(self, count: int) -> None:
        """Refuse a document with more pages than the budget."""
        if count > self.budget.pages:
            raise self.refuse(
                f"页数超过 {self.budget.pages}", f"it has more than {self.budget.pages} pages", limit="pages"
            )
        self.check()

    def charge_chunk(self, chunk: bytes) -> None:
        """:meth:`charge_text_content` for a decoded chunk of a font program."""
        self.charge_text_content(len(chunk))

    def charge_text_content(self, n: int) -> None:
        """Count page content PDFium would have to decode; refuse past the text-search budget."""
        self.text_content += n
        if self.text_content > self.budget.text_content_bytes:
            raise self.refuse(
                f"页面内容解压后超过 {self.budget.text_content_bytes // MiB} MB，无法检索文字",
                f"its page content decodes to more than {self.budget.text_content_bytes // MiB} MiB for text search",
                limit="text_content_bytes",
            )
        self.check()


_ACTIVE: contextvars.ContextVar[Meter | None] = contextvars.ContextVar("esign_budget_meter", default=None)


# ------------------------------------------------------------------------------- pyHanko reading


class _MeteredContext(DecodeContext):
    """pyHanko's decode context, charging the meter; historical revisions share it (no fresh budget)."""

    def __init__(self, limits: DecodeLimits, meter: Meter) -> None:
        super().__init__(limits, input_size=None)
        self.meter = meter

    def fresh(self) -> DecodeContext:
        return self

    @property
    def remaining_budget(self) -> int | None:
        return max(0, self.meter.budget.decoded_bytes - self.meter.decoded)

    def stage_output_cap(self, stream_cap: int | None) -> int | None:
        self.meter.check()
        remaining = self.remaining_budget
        assert remaining is not None
        if remaining <= 0:  # pyHanko asks zlib for cap + 1 bytes; max_length 0 would mean unlimited
            raise self.meter.refuse(
                f"解压后数据超过 {self.meter.budget.decoded_bytes // MiB} MB",
                f"its streams decode to more than {self.meter.budget.decoded_bytes // MiB} MiB",
                limit="decoded_bytes",
            )
        return remaining if stream_cap is None else min(stream_cap, remaining)

    def record_output(self, size: int) -> None:
        self.meter.charge_decoded(size)


def checkpoint() -> None:
    """Refuse if the active meter (:meth:`Meter.active`) is over budget; loops over pages,
    revisions and objects call this."""
    meter = _ACTIVE.get()
    if meter is not None:
        meter.check()


def check_impressions(count: int) -> None:
    """Refuse a stamping that would put more than :data:`MAX_IMPRESSIONS` seal images on a document."""
    if count > MAX_IMPRESSIONS:
        raise TooComplexError(
            f"一次盖章最多 {MAX_IMPRESSIONS} 处印章（骑缝章每页算一处），本次需要 {count} 处，拒绝处理。",
            f"One stamping puts at most {MAX_IMPRESSIONS} seal images on a document (a riding seal counts "
            f"one per page); this one needs {count}.",
            field="placement",
            limit="impressions",
            impressions=count,
        )


def _counted(entries: Iterator[Any]) -> Iterator[Any]:
    meter = _ACTIVE.get()
    for entry in entries:
        if meter is not None:
            meter.charge_objects()
            if meter.objects % 4096 == 0:
                meter.check()
        yield entry


_parse_table, _parse_stream = _xref.parse_xref_table, _xref.parse_xref_stream
_check_output_size = _filters_module.check_output_size


def _parse_xref_table(stream: BinaryIO, strict: bool) -> Iterator[Any]:
    return _counted(_parse_table(stream, strict))


def _parse_xref_stream(xref_stream: generic.StreamObject, strict: bool = True) -> Iterator[Any]:
    return _counted(_parse_stream(xref_stream, strict=strict))


def _check_output(size: int, cap: int | None) -> None:
    try:
        _check_output_size(size, cap)
    except PdfDecodeLimitError:
        meter = _ACTIVE.get()
        if meter is not None:  # remembered: pyHanko may catch it and carry on
            meter.refuse(
                f"某个数据流解压后超过 {cap} 字节", f"a stream decodes to more than {cap} bytes", limit="stream_bytes"
            )
        raise


# pyHanko parses every cross-reference entry when a reader is made; counting them as they are
# parsed is the only way to stop a 2-million-entry table before it is in memory. Outside
# open_reader (no meter in the context) the wrappers only pass the entries through.
_xref.parse_xref_table = _parse_xref_table
_xref.parse_xref_stream = _parse_xref_stream
_filters_module.check_output_size = _check_output


class _BudgetReader(PdfFileReader):
    """A pyHanko reader whose every stream decode (any revision) is charged to one :class:`Meter`."""

    def __init__(self, stream: BinaryIO, *, strict: bool, meter: Meter) -> None:
        self.meter = meter
        self._metered = _MeteredContext(meter.budget.decode_limits(), meter)
        with meter.active():
            super().__init__(stream, strict=strict, decode_limits=self._metered.limits)

    @property
    def decode_context(self) -> DecodeContext:
        return self._metered


def open_reader(source: bytes | BinaryIO, *, strict: bool, meter: Meter) -> PdfFileReader:
    """A pyHanko reader on ``source`` that charges ``meter``.

    :raises TooComplexError: past the object, decoded-byte or CPU budget while reading the
        cross-reference data (other parser errors propagate as pyHanko raises them).
    """
    stream = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    try:
        reader = _BudgetReader(stream, strict=strict, meter=meter)
    except Exception:
        meter.check()
        raise
    meter.check()
    return reader


# ----------------------------------------------------------------------- measuring without keeping


def _filters(stream: generic.StreamObject) -> list[tuple[str, Any]]:
    names = stream.get("/Filter")
    if names is None:
        return []
    names = names.get_object() if isinstance(names, generic.IndirectObject) else names
    if isinstance(names, generic.NameObject):
        return [(str(names), None)]
    if isinstance(names, generic.ArrayObject):
        return [(str(n.get_object()), None) for n in list(names)[:16]]
    return []


def _inflate(chunks: Iterator[bytes]) -> Iterator[bytes]:
    d = zlib.decompressobj()
    try:
        for chunk in chunks:
            data = chunk
            while True:
                out = d.decompress(data, _CHUNK)
                if out:
                    yield out
                data = d.unconsumed_tail
                if d.eof or (not data and not out):
                    break
            if d.eof:
                return
    except zlib.error:  # PDFium shows what decodes before the damage; so do we
        return


def _run_length(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """ISO 32000-1 §7.4.5 RunLengthDecode, a few KiB of input at a time."""
    carry = b""
    for chunk in chunks:
        data = carry + chunk
        i, out = 0, bytearray()
        while i < len(data):
            n = data[i]
            if n == 128:
                yield bytes(out)
                return
            if n < 128:
                if i + n + 2 > len(data):
                    break
                out += data[i + 1 : i + n + 2]
                i += n + 2
            else:
                if i + 2 > len(data):
                    break
                out += data[i + 1 : i + 2] * (257 - n)
                i += 2
            if len(out) >= _CHUNK:
                yield bytes(out)
                out = bytearray()
        carry = data[i:]
        yield bytes(out)


def _lzw(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """ISO 32000-1 §7.4.4 LZWDecode with the default early change; the table stays under 8 MiB."""
    table: list[bytes] = []
    width, bits, nbits = 9, 0, 0
    prev: bytes | None = None
    for chunk in chunks:
        out = bytearray()
        for byte in chunk:
            bits, nbits = ((bits << 8) | byte) & 0xFFFFFF, nbits + 8
            while nbits >= width:
                nbits -= width
                code = (bits >> nbits) & ((1 << width) - 1)
                if code == 256:
                    table, width, prev = [], 9, None
                    continue
                if code == 257:
                    yield bytes(out)
                    return
                if code < 256:
                    entry = bytes((code,))
                elif code - 258 < len(table):
                    entry = table[code - 258]
                elif prev is not None and code - 258 == len(table):
                    entry = prev + prev[:1]
                else:  # a code that cannot occur: the data is damaged
                    yield bytes(out)
                    return
                if prev is not None and len(table) < 4096 - 258:
                    table.append(prev + entry[:1])
                prev = entry
                out += entry
                if len(table) + 258 >= (1 << width) - 1 and width < 12:
                    width += 1
            if len(out) >= _CHUNK:
                yield bytes(out)
                out = bytearray()
        yield bytes(out)


def _ascii_hex(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """ISO 32000-1 §7.4.2 ASCIIHexDecode, chunk by chunk."""
    carry = b""
    for chunk in chunks:
        text, eod, _rest = chunk.partition(b">")
        digits = carry + _WHITESPACE.sub(b"", text)
        cut = len(digits) - len(digits) % 2
        try:
            yield binascii.unhexlify(digits[:cut])
        except binascii.Error:
            return
        carry = digits[cut:]
        if eod:
            break
    if carry:
        with contextlib.suppress(binascii.Error):
            yield binascii.unhexlify(carry + b"0")


def _ascii85(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """ISO 32000-1 §7.4.3 ASCII85Decode, chunk by chunk (whole groups; ``z`` for four zeros)."""
    carry = b""
    for chunk in chunks:
        text, eod, _ = chunk.partition(b"~>")
        clean = carry + _WHITESPACE.sub(b"", text)
        whole = _A85_GROUPS.match(clean)
        cut = whole.end() if whole else 0
        try:
            yield base64.a85decode(clean[:cut])
        except ValueError:
            return
        carry = clean[cut:]
        if eod or len(carry) >= 5:  # the end, or a character that is not ASCII85
            break
    if carry:
        try:
            yield base64.a85decode(carry[:4])
        except ValueError:
            return


_WHITESPACE = re.compile(rb"[\x00\t\n\x0c\r ]+")
_A85_GROUPS = re.compile(rb"(?:z|[!-u]{5})*")

_STAGES = {
    "/FlateDecode": _inflate,
    "/Fl": _inflate,
    "/RunLengthDecode": _run_length,
    "/RL": _run_length,
    "/LZWDecode": _lzw,
    "/LZW": _lzw,
    "/ASCIIHexDecode": _ascii_hex,
    "/AHx": _ascii_hex,
    "/ASCII85Decode": _ascii85,
    "/A85": _ascii85,
}


def _spent(chunks: Iterator[bytes], spend: Callable[[int], object]) -> Iterator[bytes]:
    for chunk in chunks:
        spend(len(chunk))
        yield chunk


def measure_stream(
    stream: generic.StreamObject, charge: Callable[[bytes], object], spend: Callable[[int], object] | None = None
) -> int:
    """The decoded size of ``stream``, found by decoding it chunk by chunk and discarding the output.

    ``charge`` is called with every decoded chunk as it is produced, ``spend`` with the size of
    every chunk an intermediate filter produces (a bomb may inflate to whitespace the next filter
    drops); either may raise to stop. Image codecs (DCT, JPX, JBIG2, CCITT) and the /Crypt filter
    of an encrypted file end the pipeline: a text search does not decode images.
    """
    raw = stream.encoded_data if stream._encoded_data is not None else stream.data
    chunks: Iterator[bytes] = (raw[i : i + _CHUNK] for i in range(0, max(len(raw), 1), _CHUNK))
    for n, (name, _params) in enumerate(_filters(stream)):
        stage = _STAGES.get(name)
        if stage is None:
            break
        if n and spend is not None:
            chunks = _spent(chunks, spend)
        chunks = stage(chunks)
    total = 0
    for chunk in chunks:
        total += len(chunk)
        charge(chunk)
    return total


def _resolve(value: Any) -> Any:
    return value.get_object() if isinstance(value, generic.IndirectObject) else value


def _dict(value: Any, key: str) -> generic.DictionaryObject | None:
    if not isinstance(value, generic.DictionaryObject) or key not in value:
        return None
    found = _resolve(value.raw_get(key))
    return found if isinstance(found, generic.DictionaryObject) else None


def check_text_content(reader: PdfFileReader, page_ids: list[tuple[int, int] | None], meter: Meter) -> None:
    """Measure what PDFium would decode to extract the text of these pages, against the budget.

    Counted, each stream once: the pages' content streams, and through their resources (and the
    resources of the forms, patterns and Type 3 fonts they reach, iteratively) form XObjects,
    tiling patterns, Type 3 glyph procedures and embedded font programs; inside content, the
    declared size of every inline image (PDFium decodes a filtered inline image to find its end).
    Pages are found by their object ids (:attr:`esign.stamp.inputs.PageInfo.object_id`).

    :raises TooComplexError: past :attr:`Budget.text_content_bytes` or the CPU budget.
    """
    seen: set[object] = set()
    todo: list[tuple[str, Any]] = []
    for page_id in page_ids:
        if page_id is None:
            continue
        page = reader.get_object(generic.Reference(page_id[0], page_id[1]))
        if not isinstance(page, generic.DictionaryObject):
            continue
        if "/Contents" in page:
            todo.append(("content", page.raw_get("/Contents")))
        node: Any = page
        for _ in range(64):  # resources may be inherited from the page tree
            if not isinstance(node, generic.DictionaryObject):
                break
            if "/Resources" in node:
                todo.append(("res", node.raw_get("/Resources")))
                break
            node = _resolve(node.raw_get("/Parent")) if "/Parent" in node else None
    while todo:
        kind, item = todo.pop()
        if isinstance(item, generic.IndirectObject):
            if (kind, item.idnum) in seen:
                continue
            seen.add((kind, item.idnum))
        obj = _resolve(item)
        if kind == "res":
            if isinstance(obj, generic.DictionaryObject):
                _queue_resources(obj, todo)
        elif isinstance(obj, generic.ArrayObject):
            todo.extend((kind, obj.raw_get(i)) for i in range(min(len(obj), 10_000)))
        elif isinstance(obj, generic.StreamObject):
            charge = _InlineImages(meter.charge_text_content) if kind == "content" else meter.charge_chunk
            measure_stream(obj, charge, meter.charge_text_content)
            if "/Resources" in obj:
                todo.append(("res", obj.raw_get("/Resources")))
    meter.check()


def _entries(d: generic.DictionaryObject | None) -> list[Any]:
    return [] if d is None else [d.raw_get(k) for k in list(d.keys())[:10_000]]


def _queue_resources(res: generic.DictionaryObject, todo: list[tuple[str, Any]]) -> None:
    for value in _entries(_dict(res, "/XObject")) + _entries(_dict(res, "/Pattern")):
        obj = _resolve(value)
        if isinstance(obj, generic.StreamObject) and _resolve(obj.get("/Subtype")) == "/Image":
            continue  # image XObjects are not decoded for text
        todo.append(("content", value))
    for value in _entries(_dict(res, "/Font")):
        font = _resolve(value)
        if not isinstance(font, generic.DictionaryObject):
            continue
        for desc_font in _descendants(font):
            descriptor = _dict(desc_font, "/FontDescriptor")
            for key in ("/FontFile", "/FontFile2", "/FontFile3"):
                if descriptor is not None and key in descriptor:
                    todo.append(("font", descriptor.raw_get(key)))
        todo.extend(("content", proc) for proc in _entries(_dict(font, "/CharProcs")))
        if "/Resources" in font:
            todo.append(("res", font.raw_get("/Resources")))


_BI = re.compile(rb"(?<![A-Za-z0-9])BI\s(.{0,4096}?)\sID\s", re.DOTALL)
_INLINE_KEY = re.compile(rb"/(W|Width|H|Height|BPC|BitsPerComponent|CS|ColorSpace|IM|ImageMask)\s*(/?[A-Za-z0-9.]+)")
_COMPONENTS = {b"/G": 1, b"/DeviceGray": 1, b"/CalGray": 1, b"/I": 1, b"/Indexed": 1, b"/RGB": 3, b"/DeviceRGB": 3}


class _InlineImages:
    """Charges a content stream's bytes and, on top, the declared size of each inline image in it."""

    def __init__(self, charge: Callable[[int], None]) -> None:
        self.charge = charge
        self.tail = b""

    def __call__(self, chunk: bytes) -> None:
        self.charge(len(chunk))
        window = self.tail + chunk
        end = 0
        for m in _BI.finditer(window):
            self.charge(_inline_size(m.group(1)))
            end = m.end()
        self.tail = window[max(end, len(window) - 4200) :]


def _inline_size(head: bytes) -> int:
    keys = {k: v for k, v in _INLINE_KEY.findall(head)}

    def num(*names: bytes, default: int) -> int:
        for n in names:
            if n in keys and keys[n].isdigit():
                return min(int(keys[n]), 1 << 20)
        return default

    mask = keys.get(b"IM", keys.get(b"ImageMask")) == b"true"
    bpc = 1 if mask else num(b"BPC", b"BitsPerComponent", default=8)
    comps = 1 if mask else _COMPONENTS.get(keys.get(b"CS", keys.get(b"ColorSpace", b"")), 4)
    return num(b"W", b"Width", default=1) * num(b"H", b"Height", default=1) * comps * max(bpc, 1) // 8


def _descendants(font: generic.DictionaryObject) -> list[generic.DictionaryObject]:
    out = [font]
    kids = _resolve(font.raw_get("/DescendantFonts")) if "/DescendantFonts" in font else None
    if isinstance(kids, generic.ArrayObject):
        out += [
            k
            for k in (_resolve(kids.raw_get(i)) for i in range(min(len(kids), 8)))
            if isinstance(k, generic.DictionaryObject)
        ]
    return out


def meter_of(reader: PdfFileReader) -> Meter | None:
    """The meter of a reader made by :func:`open_reader` (None for any other reader)."""
    return reader.meter if isinstance(reader, _BudgetReader) else None
