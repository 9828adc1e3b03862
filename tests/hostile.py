"""Hostile PDFs built by code: each is small on disk and costs seconds and gigabytes to process
without a budget (issue 14, "Resource exhaustion"). Used by tests/test_budget.py and bench/hostile.py.

Every builder is deterministic and cached (some compress a gigabyte once, in chunks).
"""

from __future__ import annotations

import functools
import io
import os
import zlib
from pathlib import Path

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from tests.pdfgen import raw_pdf

__all__ = [
    "HOSTILE",
    "MiB",
    "classic_xref_bomb",
    "content_bomb",
    "cpu_seconds",
    "deep_object_stream",
    "dss_crl_bomb",
    "font_bomb",
    "huge_xref_stream",
    "image_bomb",
    "many_pages",
    "object_stream_bomb",
    "peak",
    "reset_peak",
    "riding_over",
    "rss",
]

MiB = 1024 * 1024
_PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "


@functools.cache
def deflated_fill(size: int, byte: bytes = b"\0", *, times: int = 1) -> bytes:
    """``size`` copies of ``byte`` deflated ``times`` times, compressed 1 MiB at a time."""
    chunk = byte * MiB
    c = zlib.compressobj(9)
    parts = [c.compress(chunk) for _ in range(size // MiB)]
    parts.append(c.compress(byte * (size % MiB)) + c.flush())
    data = b"".join(parts)
    for _ in range(times - 1):
        data = zlib.compress(data, 9)
    return data


def _stream(dict_body: bytes, data: bytes) -> bytes:
    return b"<< " + dict_body + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def _one_page(page_extra: bytes, *more: bytes) -> bytes:
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            _PAGE + page_extra + b" >>",
            *more,
        ]
    )


@functools.cache
def content_bomb(inflated: int = 1536 * MiB) -> bytes:
    """One page whose content stream is double-Flate ``inflated`` bytes of spaces (~3 KB file)."""
    data = deflated_fill(inflated, b" ", times=2)
    return _one_page(b"/Contents 4 0 R", _stream(b"/Filter [/FlateDecode /FlateDecode]", data))


@functools.cache
def font_bomb(inflated: int = 1024 * MiB) -> bytes:
    """One page of text whose embedded TrueType font program inflates to ``inflated`` bytes."""
    content = b"BT /F1 12 Tf 72 720 Td (hello) Tj ET"
    return _one_page(
        b"/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >>",
        _stream(b"", content),
        b"<< /Type /Font /Subtype /TrueType /BaseFont /Bomb /FirstChar 32 /LastChar 126 /FontDescriptor 6 0 R >>",
        b"<< /Type /FontDescriptor /FontName /Bomb /Flags 32 /FontBBox [0 0 1000 1000] /ItalicAngle 0 "
        b"/Ascent 800 /Descent -200 /CapHeight 700 /StemV 80 /FontFile2 7 0 R >>",
        _stream(b"/Filter [/FlateDecode /FlateDecode]", deflated_fill(inflated, times=2)),
    )


@functools.cache
def image_bomb(side: int = 40_000, *, xobject_inflated: int = 1024 * MiB) -> bytes:
    """One page drawing a ``side`` × ``side`` RGB inline image (and the same as an image XObject)
    whose Flate data is a few kilobytes: PDFium decodes a filtered inline image to find its end."""
    pixels = deflated_fill(16 * MiB)
    inline = b"q 100 0 0 100 0 0 cm BI /W %d /H %d /CS /RGB /BPC 8 /F /Fl ID " % (side, side) + pixels + b" EI Q"
    return _one_page(
        b"/Contents 4 0 R /Resources << /XObject << /Im1 5 0 R >> >>",
        _stream(b"", inline + b" q 100 0 0 100 0 0 cm /Im1 Do Q"),
        _stream(
            b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8 "
            b"/Filter [/FlateDecode /FlateDecode]" % (side, side),
            deflated_fill(xobject_inflated, times=2),
        ),
    )


@functools.cache
def many_pages(n: int = 10_000, text: bytes = b"(seal here) Tj") -> bytes:
    """``n`` pages sharing one small content stream (about 60 bytes a page)."""
    kids = b" ".join(b"%d 0 R" % (i + 5) for i in range(n))
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % n,
            _stream(b"", b"BT /F1 12 Tf 72 720 Td " + text + b" ET"),
            b"<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>",
            *[_PAGE + b"/Contents 3 0 R /Resources 4 0 R >>"] * n,
        ]
    )


def riding_over(n: int) -> bytes:
    """An ``n``-page document for a riding seal (one strip per page: ``n`` impressions)."""
    return many_pages(n)


def _objstm_pdf(n: int, stream_body: bytes) -> bytes:
    """Objects 1..n compressed in object stream n + 1, found through a cross-reference stream (n + 2)."""
    out = bytearray(b"%PDF-1.7\n")
    stm_at = len(out)
    out += b"%d 0 obj\n" % (n + 1) + stream_body + b"\nendobj\n"
    rows = [b"\x00\x00\x00\x00\x00\xff\xff"]
    rows += [b"\x02" + (n + 1).to_bytes(4, "big") + i.to_bytes(2, "big") for i in range(n)]
    rows.append(b"\x01" + stm_at.to_bytes(4, "big") + b"\0\0")
    xref_at = len(out)
    rows.append(b"\x01" + xref_at.to_bytes(4, "big") + b"\0\0")
    out += b"%d 0 obj\n" % (n + 2) + _stream(
        b"/Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Filter /FlateDecode" % (n + 3), zlib.compress(b"".join(rows))
    )
    out += b"\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def _objstm_plain(held: list[bytes]) -> tuple[bytes, bytes]:
    header, body = b"", b""
    for i, obj in enumerate(held):
        header += b"%d %d " % (1 + i, len(body))
        body += obj + b"\n"
    return header, body


_OBJSTM_DOC = [
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
]


@functools.cache
def deep_object_stream(depth: int = 100_000) -> bytes:
    """Catalog, pages and a page whose /Deep array nests ``depth`` levels, all in an object stream."""
    held = [*_OBJSTM_DOC, _PAGE + b"/Deep " + b"[" * depth + b"0" + b"]" * depth + b" >>"]
    header, body = _objstm_plain(held)
    data = zlib.compress(header + body, 9)
    return _objstm_pdf(3, _stream(b"/Type /ObjStm /N 3 /First %d /Filter /FlateDecode" % len(header), data))


@functools.cache
def object_stream_bomb(inflated: int = 1024 * MiB) -> bytes:
    """Catalog and pages in an object stream padded with ``inflated`` bytes of spaces, double-Flate."""
    header, body = _objstm_plain([*_OBJSTM_DOC, _PAGE + b">>"])
    c = zlib.compressobj(9)
    parts = [c.compress(header + body)] + [c.compress(b" " * MiB) for _ in range(inflated // MiB)] + [c.flush()]
    data = zlib.compress(b"".join(parts), 9)
    return _objstm_pdf(
        3, _stream(b"/Type /ObjStm /N 3 /First %d /Filter [/FlateDecode /FlateDecode]" % len(header), data)
    )


@functools.cache
def huge_xref_stream(entries: int = 50_000_000, widths: bytes = b"[0 0 0]") -> bytes:
    """A cross-reference stream claiming ``entries`` rows; with /W [0 0 0] a row takes no bytes at
    all (each is an in-use object at offset 0), with wider rows the data is Flate-compressed zeros."""
    row = sum(int(w) for w in widths.strip(b"[]").split())
    data = deflated_fill(entries * row) if row else b""
    body = b"<< /Type /Catalog /Pages 2 0 R >>"
    out = bytearray(b"%PDF-1.7\n1 0 obj\n" + body + b"\nendobj\n")
    xref_at = len(out)
    out += b"2 0 obj\n" + _stream(
        b"/Type /XRef /Size %d /W %s /Root 1 0 R" % (entries, widths) + (b" /Filter /FlateDecode" if row else b""),
        data,
    )
    out += b"\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


@functools.cache
def classic_xref_bomb(entries: int = 1_000_000) -> bytes:
    """A one-page file whose classic ``xref`` table lists ``entries`` free objects (20 bytes each)."""
    base = raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", _PAGE + b">>"])
    head, _, _tail = base.rpartition(b"xref\n")
    table = b"xref\n0 %d\n" % entries + b"0000000000 65535 f \n" * entries
    return head + table + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (entries, len(head))


def dss_crl_bomb(stamped: bytes, *, streams: int = 80, inflated: int = 250 * MiB) -> bytes:
    """``stamped`` plus one incremental update whose /DSS /CRLs holds ``streams`` Flate streams that
    each inflate to ``inflated`` bytes (the same few hundred kilobytes, ``streams`` times)."""
    data = deflated_fill(inflated)
    writer = IncrementalPdfFileWriter(io.BytesIO(stamped), strict=False)
    refs = []
    for _ in range(streams):
        stream = generic.StreamObject({pdf_name("/Filter"): pdf_name("/FlateDecode")}, encoded_data=data)
        refs.append(writer.add_object(stream))
    writer.root[pdf_name("/DSS")] = generic.DictionaryObject(
        {pdf_name("/CRLs"): generic.ArrayObject(refs), pdf_name("/Certs"): generic.ArrayObject()}
    )
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


HOSTILE = {
    "content_bomb": content_bomb,
    "font_bomb": font_bomb,
    "image_bomb": image_bomb,
    "many_pages": many_pages,
    "deep_object_stream": deep_object_stream,
    "object_stream_bomb": object_stream_bomb,
    "huge_xref_stream": huge_xref_stream,
    "classic_xref_bomb": classic_xref_bomb,
}
"""The builders that need no stamped input, by name (the DSS bomb needs a stamped file)."""


# ------------------------------------------------------------------------ a process's figures in /proc


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(f"{field} not in /proc/{pid}/status")


def rss(pid: int) -> int:
    """Resident set size of process ``pid`` now, bytes."""
    return _status_kib(pid, "VmRSS") * 1024


def reset_peak(pid: int) -> None:
    """Reset the peak RSS (VmHWM) of ``pid`` to its current RSS (Linux ``clear_refs`` 5)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def peak(pid: int) -> int:
    """Peak resident set size of ``pid`` since :func:`reset_peak`, bytes."""
    return _status_kib(pid, "VmHWM") * 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
