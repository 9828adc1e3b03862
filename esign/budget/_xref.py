"""Classic cross-reference tables (ISO 32000-1 §7.5.4) read a subsection at a time, counted before their
entries are made (internal; installed by :mod:`esign.budget.reader`).

pyHanko 0.38 reads a table one 20-byte line per Python call, makes an ``XRefEntry`` of each line and then
files it into the revision's ``XRefSectionData``: for a 200-page decision that was most of what grew with the
pages when a file was opened. Here a subsection whose lines all have the form §7.5.4 gives them (a 10-digit
offset, a 5-digit generation, ``n`` or ``f``, a two-byte end of line) is read in one piece, checked by one
regular expression, charged to the meter as one count *before* any of its entries is made, and filed as
pyHanko's ``process_entries`` files entries (the same dictionaries and set, the same order, the same highest
object number, the same error for a generation above 65535 in strict mode).

The first subsection not in that form, and everything after it in the same table, is pyHanko's: its own
parser, entry by entry, each entry charged as it is parsed. A subsection of the standard form that would pass
the object budget is refused once the entries that pass it are read, as entry-by-entry counting refuses it.
Either way the stream is left where pyHanko's parser leaves it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from pyhanko.pdf_utils import generic, misc
from pyhanko.pdf_utils.xref import XRefSectionData

from esign.budget.limits import Meter, active_meter

__all__ = ["Table"]

_ROW = 20
"""Bytes per line (ISO 32000-1 §7.5.4: "each entry shall be exactly 20 bytes long")."""
_ROWS = re.compile(rb"(?:[0-9]{10} [0-9]{5} [fn](?: \r| \n|\r\n))*+")
_MARK = 17
"""Where ``n`` or ``f`` stands in a line."""
_IN_USE = ord("n")
_CHUNK = 1024 * _ROW
_MAX_GENERATION = 0xFFFF

_PerEntry = Callable[[BinaryIO, bool], Iterator[Any]]
_Process = Callable[[XRefSectionData, Iterator[Any], bool], int]


class Table(Iterator[Any]):
    """The classic table at the stream's position, as pyHanko's ``parse_xref_table`` would yield it.

    :meth:`file_into` reads it into a section (what pyHanko's reader does with it); iterating it instead gives
    pyHanko's own entries (``per_entry``: its parser with per-entry counting).
    """

    def __init__(self, stream: BinaryIO, strict: bool, *, per_entry: _PerEntry, process: _Process) -> None:
        self._stream = stream
        self._strict = strict
        self._per_entry = per_entry
        self._process = process
        self._entries: Iterator[Any] | None = None

    def __next__(self) -> Any:
        if self._entries is None:
            self._entries = self._per_entry(self._stream, self._strict)
        return next(self._entries)

    def file_into(self, section: XRefSectionData, strict: bool) -> int:
        """File every entry into ``section`` as pyHanko's ``process_entries`` does; the highest object number
        listed (0 for none)."""
        stream, meter = self._stream, active_meter()
        highest = 0
        misc.read_non_whitespace(stream, seek_back=True)
        while True:
            start = stream.tell()
            rows = _subsection(stream, meter)
            if rows is None:  # not of the standard form: pyHanko reads the rest of the table
                stream.seek(start)
                rest = self._process(section, self._per_entry(stream, self._strict), strict)
                return max(highest, rest)
            first, block = rows
            if block:
                _file(section, first, block, strict)
                highest = max(highest, first + len(block) // _ROW - 1)
            misc.read_non_whitespace(stream, seek_back=True)
            if stream.read(7) == b"trailer":
                misc.read_non_whitespace(stream, seek_back=True)
                return highest
            stream.seek(-7, os.SEEK_CUR)


def _subsection(stream: BinaryIO, meter: Meter | None) -> tuple[int, bytes] | None:
    """The first object number and the lines of the subsection at the stream's position, charged to ``meter``;
    None (the stream anywhere) when they are not of the standard form."""
    try:
        first = generic.NumberObject.read_from_stream(stream)
        misc.read_non_whitespace(stream, seek_back=True)
        count = generic.NumberObject.read_from_stream(stream)
        misc.read_non_whitespace(stream, seek_back=True)
    except Exception:
        return None  # pyHanko reads it again and says what is wrong
    if type(first) is not generic.NumberObject or type(count) is not generic.NumberObject or first < 0 or count < 0:
        return None
    take = count if meter is None else min(count, max(0, meter.budget.objects - meter.objects) + 1)
    block = stream.read(take * _ROW)
    if len(block) != take * _ROW or _ROWS.fullmatch(block) is None:
        return None
    if meter is not None:
        meter.charge_objects(take)  # past the budget (take < count) this refuses, as counting line by line would
        meter.check()
    return int(first), block


def _file(section: XRefSectionData, first: int, block: bytes, strict: bool) -> None:
    """pyHanko's ``XRefSectionData.process_entries`` for lines of the standard form, a thousand at a time
    (what is made per line while they are filed stays small, whatever the size of the subsection)."""
    for at in range(0, len(block), _CHUNK):
        _file_lines(section, first + at // _ROW, block[at : at + _CHUNK], strict)


def _file_lines(section: XRefSectionData, first: int, block: bytes, strict: bool) -> None:
    numbers = block.split()  # offset, generation, n/f: three per line
    offsets = list(map(int, numbers[0::3]))
    generations = list(map(int, numbers[1::3]))
    marks = block[_MARK::_ROW]
    ids = range(first, first + len(offsets))
    # Object 0 (the head of the free list) is never filed; a run of in-use entries is filed in one go.
    k = 1 if first == 0 else 0
    if marks.count(_IN_USE, k) == len(marks) - k and max(generations, default=0) <= _MAX_GENERATION:
        section.standard_xrefs.update(zip(ids[k:], zip(generations[k:], offsets[k:], strict=True), strict=True))
        section.explicit_refs_in_revision.update(zip(ids[k:], generations[k:], strict=True))
        return
    for idnum, generation, mark, offset in zip(ids, generations, marks, offsets, strict=True):
        if generation > _MAX_GENERATION:
            if strict:
                raise misc.PdfStrictReadError(f"Illegal generation {generation} for object ID {idnum}.")
            continue
        if idnum == 0:
            continue
        if mark == _IN_USE:
            section.standard_xrefs[idnum] = (generation, offset)
            section.explicit_refs_in_revision.add((idnum, generation))
        else:
            section.freed[idnum] = generation
            section.explicit_refs_in_revision.add((idnum, generation - 1))
