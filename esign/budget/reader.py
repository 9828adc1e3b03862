"""pyHanko reading under the budget: a reader whose every stream decode, in any revision, is charged
to one :class:`~esign.budget.limits.Meter`, and cross-reference entries counted while they are parsed.

pyHanko 0.38's :class:`~pyhanko.pdf_utils.decode_limits.DecodeContext` bounds each decode with
``zlib.decompressobj(...).decompress(data, max_length)`` (never decode-then-check); here its
per-document allowance is the meter's, shared by the historical revisions instead of restarting
for each (``HistoricalResolver`` asks ``decode_context.fresh()``).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any, BinaryIO

from pyhanko.pdf_utils import filters as _filters_module
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils import xref as _xref
from pyhanko.pdf_utils.decode_limits import DecodeContext, DecodeLimits
from pyhanko.pdf_utils.misc import PdfDecodeLimitError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.xref import XRefEntry, XRefSectionData

from esign import compat
from esign.budget._xref import Table
from esign.budget.limits import Meter, active_meter

__all__ = ["meter_of", "open_reader"]


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
            self.meter.charge_decoded(0)
        return remaining if stream_cap is None else min(stream_cap, remaining)

    def record_output(self, size: int) -> None:
        self.meter.charge_decoded(size)


def _counted(entries: Iterator[Any]) -> Iterator[Any]:
    meter = active_meter()
    for entry in entries:
        if meter is not None:
            meter.charge_objects()
            if meter.objects % 4096 == 0:
                meter.check()
        yield entry


_parse_table, _parse_stream = _xref.parse_xref_table, _xref.parse_xref_stream
_process_entries = XRefSectionData.process_entries
_check_output_size = _filters_module.check_output_size


def _parse_table_counted(stream: BinaryIO, strict: bool) -> Iterator[Any]:
    return _counted(_parse_table(stream, strict))


def _parse_xref_table(stream: BinaryIO, strict: bool) -> Iterator[Any]:
    return Table(stream, strict, per_entry=_parse_table_counted, process=_process_entries)


def _file_entries(section: XRefSectionData, entries: Iterator[XRefEntry], strict: bool) -> Any:
    if isinstance(entries, Table):
        return entries.file_into(section, strict)
    return _process_entries(section, entries, strict)


def _parse_xref_stream(xref_stream: generic.StreamObject, strict: bool = True) -> Iterator[Any]:
    return _counted(_parse_stream(xref_stream, strict=strict))


def _check_output(size: int, cap: int | None) -> None:
    try:
        _check_output_size(size, cap)
    except PdfDecodeLimitError:
        meter = active_meter()
        if meter is not None:  # remembered: pyHanko may catch it and carry on
            meter.refuse(
                f"某个数据流解压后超过 {cap} 字节", f"a stream decodes to more than {cap} bytes", limit="stream_bytes"
            )
        raise


# pyHanko parses every cross-reference entry when a reader is made; counting them as they are
# parsed is the only way to stop a 2-million-entry table before it is in memory. A classic table
# is read a subsection at a time and counted before its entries are made (esign.budget._xref),
# an xref stream entry by entry. Outside open_reader (no meter in the context) nothing is counted.
_xref.parse_xref_table = _parse_xref_table
_xref.parse_xref_stream = _parse_xref_stream
XRefSectionData.process_entries = _file_entries  # type: ignore[method-assign,assignment]
_filters_module.check_output_size = _check_output
# Signature /Contents are hex strings of tens of KiB that pyHanko reads byte by byte (esign.compat).
compat.fast_hex_strings()
# A CID font's /W widths are hundreds of numbers, read for every page the guard measures (esign.compat).
compat.fast_number_arrays()
compat.fast_names()


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


def meter_of(reader: PdfFileReader) -> Meter | None:
    """The meter of a reader made by :func:`open_reader` (None for any other reader)."""
    return reader.meter if isinstance(reader, _BudgetReader) else None
