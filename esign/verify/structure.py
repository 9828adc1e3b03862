"""Byte-level checks of a signed PDF, done by esign itself rather than trusted to the PDF library.

For each signature: the /ByteRange has exactly four non-negative integers; the first range starts
at 0; the gap between the two ranges is exactly the ``<hex>`` of this signature dictionary's
/Contents (so nothing else is left unsigned); the second range ends at the end (``%%EOF``) of a
revision; the signature dictionary sits in that revision and was not redefined later. For the
file: every object body in an incremental update is listed in that update's cross-reference
section (viewers that repair files would otherwise show unlisted objects), and nothing but
whitespace follows the last ``%%EOF``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

from esign.verify.report import ChangeInfo, Coverage, Finding

__all__ = ["HEADER_WINDOW", "RevisionLayout", "check_byte_range", "find_header", "layout_of", "stray_objects"]

#: How far into the file the ``%PDF-`` header may start (ISO 32000 tolerates leading junk; we do not
#: tolerate more than this).
HEADER_WINDOW = 1024

_OBJ_HEADER = re.compile(rb"(?<![0-9])(\d{1,10})\s+(\d{1,5})\s+obj\b")
# The same headers read backwards from ``obj``: a pattern that starts with a literal is searched for like a
# literal (the forward one tries every position of a 50 KB signature value); ``\b`` after ``obj`` is checked apart,
# since a look-behind in front of the literal would cost the literal search.
_OBJ_HEADER_BACKWARDS = re.compile(rb"jbo\s+([0-9]{1,5})\s+([0-9]{1,10})(?![0-9])")
_WORD = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_HEX = re.compile(rb"[0-9A-Fa-f]*")
_WHITESPACE = b" \t\r\n\f\x00"


def find_header(data: bytes) -> int | None:
    """Offset of ``%PDF-`` within the first :data:`HEADER_WINDOW` bytes, or None."""
    pos = data.find(b"%PDF-", 0, HEADER_WINDOW + 5)
    return None if pos < 0 else pos


@dataclass(frozen=True)
class RevisionLayout:
    """Where each revision of the file ends."""

    eof_ends: tuple[int | None, ...]
    """Per revision (0-based), the offset just after its ``%%EOF`` marker; None if not found."""
    line_ends: tuple[int | None, ...]
    """The same, including the end-of-line marker after ``%%EOF`` if there is one."""
    size: int
    """File size."""

    def revision_ending_at(self, offset: int) -> int | None:
        """The revision whose end is ``offset`` (with or without the EOL after ``%%EOF``)."""
        for i, (a, b) in enumerate(zip(self.eof_ends, self.line_ends, strict=True)):
            if offset in (a, b):
                return i
        return None


def layout_of(data: bytes, reader: PdfFileReader) -> RevisionLayout:
    """Find each revision's ``%%EOF`` after its cross-reference section."""
    eof_ends: list[int | None] = []
    line_ends: list[int | None] = []
    for rev in range(reader.xrefs.total_revisions):
        info = reader.xrefs.get_xref_container_info(rev)
        pos = data.find(b"%%EOF", info.end_location)
        if pos < 0:
            eof_ends.append(None)
            line_ends.append(None)
            continue
        end = pos + 5
        eol = end
        if data[eol : eol + 2] == b"\r\n":
            eol += 2
        elif data[eol : eol + 1] in (b"\n", b"\r"):
            eol += 1
        eof_ends.append(end)
        line_ends.append(eol)
    return RevisionLayout(tuple(eof_ends), tuple(line_ends), len(data))


def _finding(code: str, zh: str, en: str) -> Finding:
    return Finding(code, zh, en)


def check_byte_range(
    data: bytes,
    reader: PdfFileReader,
    layout: RevisionLayout,
    sig_ref: generic.Reference | None,
    byte_range: object,
    contents: bytes | None,
) -> Coverage:
    """Check one signature's /ByteRange against the bytes of the file (see the module docstring)."""
    problems: list[Finding] = []
    revisions = reader.xrefs.total_revisions
    values: list[int] = []
    ok_shape = isinstance(byte_range, list | tuple)
    if isinstance(byte_range, list | tuple):
        for v in byte_range:
            if isinstance(v, bool) or not isinstance(v, int):
                ok_shape = False
                break
            values.append(int(v))
    if not ok_shape or len(values) != 4 or any(v < 0 for v in values):
        problems.append(
            _finding(
                "byte_range_malformed",
                "签名的字节范围（ByteRange）格式不正确。",
                "The signature's /ByteRange is not four non-negative integers.",
            )
        )
        return Coverage(tuple(values), None, revisions, False, False, tuple(problems))

    a, b, c, d = values
    if a != 0:
        problems.append(
            _finding(
                "byte_range_not_from_start", "签名未从文件开头开始覆盖。", "The first byte range does not start at 0."
            )
        )
    if not (0 < b < c) or c + d > len(data):
        problems.append(
            _finding(
                "byte_range_out_of_bounds",
                "签名的字节范围重叠、颠倒或超出文件。",
                "The byte ranges overlap, are out of order or run past the end of the file.",
            )
        )
        return Coverage(tuple(values), None, revisions, False, False, tuple(problems))

    gap = data[b:c]
    gap_ok = len(gap) >= 2 and gap[:1] == b"<" and gap[-1:] == b">" and _HEX.fullmatch(gap[1:-1]) is not None
    if gap_ok and len(gap) % 2 == 0:
        try:
            gap_ok = contents is not None and bytes.fromhex(gap[1:-1].decode("ascii")) == contents
        except ValueError:
            gap_ok = False
    else:
        gap_ok = False
    if not gap_ok:
        problems.append(
            _finding(
                "byte_range_gap_not_contents",
                "签名未覆盖的部分不是签名值本身，文件中有未受签名保护的内容。",
                "The gap between the byte ranges is not exactly this signature's /Contents hex string.",
            )
        )

    end = c + d
    signed_revision = layout.revision_ending_at(end)
    if signed_revision is None:
        problems.append(
            _finding(
                "byte_range_not_revision_end",
                "签名覆盖范围的结尾不是文件某一版本的结尾。",
                "The second byte range does not end at the end (%%EOF) of a revision.",
            )
        )

    if sig_ref is not None and signed_revision is not None:
        problems.extend(_check_sig_dict_placement(data, reader, sig_ref, signed_revision, b, c))

    whole_revision = not problems and signed_revision is not None
    rest = data[end:]
    whole_file = whole_revision and not rest.strip(_WHITESPACE)
    return Coverage(tuple(values), signed_revision, revisions, whole_revision, whole_file, tuple(problems))


def _check_sig_dict_placement(
    data: bytes, reader: PdfFileReader, sig_ref: generic.Reference, revision: int, b: int, c: int
) -> list[Finding]:
    xrefs = reader.xrefs
    problems: list[Finding] = []
    try:
        introduced = xrefs.get_introducing_revision(sig_ref)
        last = xrefs.get_last_change(sig_ref)
        offset = xrefs.get_historical_ref(sig_ref, revision)
    except Exception:  # pyHanko raises several error types for refs it cannot place
        introduced = last = -1
        offset = None
    if introduced != revision or last != revision:
        problems.append(
            _finding(
                "signature_dict_not_in_signed_revision",
                "签名字典不在其签署的文件版本中，或签署后被改写。",
                "The signature dictionary is not in the revision it signs, or was redefined later.",
            )
        )
        return problems
    if not isinstance(offset, int) or not (0 <= offset < b):
        problems.append(
            _finding(
                "signature_dict_misplaced",
                "签名值不在签名字典之内。",
                "The signature value is not inside the signature dictionary's object.",
            )
        )
        return problems
    m = _OBJ_HEADER.match(data, offset)
    closing = data.find(b"endobj", c)
    if (
        m is None
        or int(m.group(1)) != sig_ref.idnum
        or data.find(b"endobj", offset, b) != -1
        or closing < 0
        or _OBJ_HEADER.search(data, c, closing) is not None
    ):
        problems.append(
            _finding(
                "signature_dict_misplaced",
                "签名值不在签名字典之内。",
                "The signature value is not inside the signature dictionary's object.",
            )
        )
    return problems


def stray_objects(data: bytes, reader: PdfFileReader, layout: RevisionLayout) -> list[ChangeInfo]:
    """Object bodies in incremental updates that their cross-reference section does not list,
    and data after the last ``%%EOF``: both are content a repairing viewer may show unsigned."""
    out: list[ChangeInfo] = []
    xrefs = reader.xrefs
    for rev in range(1, xrefs.total_revisions):
        start, end = layout.line_ends[rev - 1], layout.line_ends[rev]
        if start is None or end is None:
            continue
        section = xrefs.get_xref_data(rev)
        listed = {off for (_gen, off) in section.standard_xrefs.values()}
        meta = xrefs.get_xref_container_info(rev)
        if meta.stream_ref is not None:
            listed.add(meta.start_location)
        for offset, number, generation in _object_headers(data, start, end):
            if offset not in listed:
                out.append(
                    ChangeInfo(
                        revision=rev,
                        kind="unlisted_object",
                        object_ref=f"{number} {generation}",
                        page=None,
                        detail=f"object body at offset {offset} is not in the revision's cross-reference section",
                    )
                )
    last = layout.line_ends[-1] if layout.line_ends else None
    if last is not None and data[last:].strip(_WHITESPACE):
        tail = data[last:]
        rev = xrefs.total_revisions
        detail = f"{len(tail)} bytes after the last %%EOF"
        if _OBJ_HEADER.search(tail):
            detail += " (containing object bodies)"
        out.append(ChangeInfo(revision=rev, kind="trailing_data", object_ref=None, page=None, detail=detail))
    return out


def _object_headers(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    """Where ``_OBJ_HEADER.finditer(data, start, end)`` matches, in file order: offset, object and generation
    number. Found backwards from each ``obj`` (see ``_OBJ_HEADER_BACKWARDS``); the byte before ``start`` is read
    too, as the forward pattern's look-behind reads it."""
    low = max(0, start - 1)
    backwards = bytearray(data[low:end])
    backwards.reverse()
    out: list[tuple[int, int, int]] = []
    for m in _OBJ_HEADER_BACKWARDS.finditer(backwards):
        after = end - m.start()  # just after ``obj``, forwards: ``\b`` (the end of the range counts as one)
        offset = end - m.end()
        if offset < start or (after < end and data[after] in _WORD):
            continue
        out.append((offset, int(m.group(2)[::-1]), int(m.group(1)[::-1])))
    out.reverse()
    return out
