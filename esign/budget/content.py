"""Measuring what PDFium would decode, without keeping it: the page content of a keyword search.

PDFium decodes content streams, forms, Type 3 glyph procedures and embedded fonts with its own
decoders, outside pyHanko's limits. :func:`check_text_content` decodes each of them once more, a
chunk at a time through a pipeline of the stream's filters (ISO 32000-1 §7.4: Flate, LZW,
RunLength, ASCIIHex, ASCII85), discarding the output and charging its size, so a bomb is stopped
after the budget's bytes, never held.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
import zlib
from collections.abc import Callable, Iterator
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

from esign.budget.limits import Meter

__all__ = ["check_text_content", "measure_stream"]

_CHUNK = 256 * 1024


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


def check_text_content(
    reader: PdfFileReader, page_ids: list[tuple[int, int] | None], meter: Meter, *, seen: set[object] | None = None
) -> None:
    """Measure what PDFium would decode to extract the text of these pages, against the budget.

    Counted, each stream once: the pages' content streams, and through their resources (and the
    resources of the forms, patterns and Type 3 fonts they reach, iteratively) form XObjects,
    tiling patterns, Type 3 glyph procedures and embedded font programs; inside content, the
    declared size of every inline image (PDFium decodes a filtered inline image to find its end).
    Pages are found by their object ids (:attr:`esign.stamp.inputs.PageInfo.object_id`); pass the
    same ``seen`` to calls made page by page, so that shared fonts and forms are counted once.

    :raises TooComplexError: past :attr:`Budget.text_content_bytes` or the CPU budget.
    """
    seen = set() if seen is None else seen
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
        if b"BI" not in window:
            self.tail = window[-4200:]
            return
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
