"""Classic cross-reference tables read a subsection at a time (esign/budget/_xref.py), against pyHanko's own
parser and filing as the second implementation: the same section data, highest object number, stream position
and errors, table by table and for whole files; and the object budget charged as line-by-line counting does."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from pyhanko.pdf_utils import xref as pyhanko_xref
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.xref import XRefSectionData, XRefSectionType

from esign import budget
from esign.budget import reader as budget_reader
from esign.errors import TooComplexError
from tests import hostile, pdfgen

# pyHanko's own functions, as esign.budget.reader found them before installing its own.
PYHANKO_PARSE, PYHANKO_FILE = budget_reader._parse_table, budget_reader._process_entries

FREE0 = b"0000000000 65535 f \n"


def row(offset: int, generation: int = 0, mark: bytes = b"n", eol: bytes = b" \n") -> bytes:
    return b"%010d %05d " % (offset, generation) + mark + eol


def rows(first_offset: int, count: int, eol: bytes = b" \n") -> bytes:
    return b"".join(row(first_offset + 100 * i, eol=eol) for i in range(count))


TRAILER = b"trailer\n<< /Size 9 >>\n"

#: (name, table as it follows the ``xref`` keyword, read a subsection at a time)
TABLES: list[tuple[str, bytes, bool]] = [
    ("one subsection", b"0 4\n" + FREE0 + rows(15, 3), True),
    ("CR LF lines", b"0 3\r\n" + FREE0[:-2] + b"\r\n" + rows(15, 2, eol=b"\r\n"), True),
    ("space CR lines", b"0 3\r" + FREE0[:-1] + b"\r" + rows(15, 2, eol=b" \r"), True),
    ("several subsections", b"0 1\n" + FREE0 + b"3 2\n" + rows(500, 2) + b"7 1\n" + row(900), True),
    (
        "free entries and generations",
        b"0 5\n" + FREE0 + row(0, 1, b"f") + row(120, 2) + row(0, 0, b"f") + row(300, 7),
        True,
    ),
    ("object 0 in use", b"0 2\n" + row(10) + row(20), True),
    ("longer than a chunk", b"0 9000\n" + FREE0 + rows(15, 4499) + row(0, 3, b"f") + rows(10**6, 4499), True),
    ("a subsection listed twice", b"1 2\n" + rows(10, 2) + b"2 1\n" + row(999), True),
    ("an empty subsection", b"0 1\n" + FREE0 + b"4 0\n" + b"5 1\n" + row(50), True),
    ("comments between subsections", b"0 1\n" + FREE0 + b"% a comment\n3 1 % another\n" + row(70), True),
    ("no table at all", b"", False),
    ("a 19-byte line", b"0 3\n" + FREE0 + b"0000000015 00000 n\n" + row(40), False),
    ("a 19-byte line after a good one", b"0 2\n" + FREE0 + row(15) + b"5 2\n0000000015 00000 n\n" + row(40), False),
    ("space-padded lines", b"0 2\n" + FREE0 + b"        15     0 n \n", False),
    ("an unknown mark", b"0 2\n" + FREE0 + row(15, 0, b"x"), False),
    ("a generation above 65535", b"0 2\n" + FREE0 + row(15, 99999), True),
    ("a free generation above 65535 first", b"0 2\n" + row(0, 70000, b"f") + row(15), True),
    ("a number of entries with a dot", b"0 1.0\n" + FREE0, False),
    ("a negative first number", b"-1 2\n" + rows(15, 2), False),
    ("fewer lines than announced", b"0 5\n" + FREE0 + rows(15, 2), False),
]


def _outcome(file: Any, parse: Any, table: bytes, strict: bool) -> tuple[object, ...]:
    stream = io.BytesIO(table + TRAILER)
    section = XRefSectionData()
    try:
        highest = file(section, parse(stream, strict), strict)
    except Exception as e:  # the errors are part of what is compared
        return ("raised", type(e), str(e))
    return (
        highest,
        list(section.standard_xrefs.items()),  # in filing order
        list(section.freed.items()),
        sorted(section.explicit_refs_in_revision),
        section.xrefs_in_objstm,
        section.obj_streams_used,
        stream.tell(),
    )


@pytest.fixture
def line_by_line(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times pyHanko's own parser was asked to read (part of) a table."""
    calls: list[int] = []

    def counted(stream: Any, strict: bool) -> Iterator[Any]:
        calls.append(1)
        return PYHANKO_PARSE(stream, strict)

    monkeypatch.setattr(budget_reader, "_parse_table_counted", counted)
    return calls


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize(("name", "table", "whole"), TABLES, ids=[t[0] for t in TABLES])
def test_a_table_is_filed_as_pyhanko_files_it(
    name: str, table: bytes, whole: bool, strict: bool, line_by_line: list[int]
) -> None:
    expected = _outcome(PYHANKO_FILE, PYHANKO_PARSE, table, strict)
    assert _outcome(XRefSectionData.process_entries, pyhanko_xref.parse_xref_table, table, strict) == expected
    # the standard form is read in one piece, anything else is pyHanko's from the first odd subsection on
    assert (not line_by_line) == whole, name
    if name == "one subsection":
        assert expected[0] == 3 and expected[1] == [(1, (0, 15)), (2, (0, 115)), (3, (0, 215))]


def _sections(reader: PdfFileReader) -> list[tuple[object, ...]]:
    xrefs = reader.xrefs
    out = []
    for j in range(xrefs.total_revisions):
        d = xrefs.get_xref_data(j)
        out.append(
            (
                list(d.standard_xrefs.items()),
                list(d.freed.items()),
                sorted(d.explicit_refs_in_revision),
                d.xrefs_in_objstm,
                xrefs.get_xref_container_info(j),
            )
        )
    return out


def _stamped_with_dss() -> bytes:
    from tests.verify.factory import T0, TestPKI

    pki = TestPKI.create()
    seal = pki.issue_seal()
    signed = pki.sign(pdfgen.long_pdf(30), seal, at=T0)
    return pki.add_dss(signed, at=T0)


@pytest.mark.parametrize(
    "build",
    [lambda: pdfgen.long_pdf(30), lambda: pdfgen.sign_for_test(hostile.many_pages(30)), _stamped_with_dss],
    ids=["30 pages", "signed", "signed with a DSS"],
)
def test_whole_files_open_to_the_same_cross_reference_data(build: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    data = build()
    ours = _sections(PdfFileReader(io.BytesIO(data), strict=True))
    monkeypatch.setattr(pyhanko_xref, "parse_xref_table", PYHANKO_PARSE)
    monkeypatch.setattr(XRefSectionData, "process_entries", PYHANKO_FILE)
    assert _sections(PdfFileReader(io.BytesIO(data), strict=True)) == ours
    assert any(s[4].xref_section_type is XRefSectionType.STANDARD and len(s[0]) >= 30 for s in ours)


def _charged(table: bytes, meter: budget.Meter) -> None:
    with meter.active():
        XRefSectionData().process_entries(pyhanko_xref.parse_xref_table(io.BytesIO(table + TRAILER), True), True)


def test_entries_are_charged_a_subsection_at_a_time_up_to_the_budget() -> None:
    meter = budget.Meter.for_size(0)
    room = meter.budget.objects
    _charged(b"0 1\n" + FREE0 + b"1 %d\n" % (room - 1) + rows(15, room - 1), meter)
    assert meter.objects == room and meter.exceeded is None
    # one entry more, in a second table: refused once the entry past the budget is read
    with pytest.raises(TooComplexError) as exc:
        _charged(b"0 3\n" + FREE0 + rows(15, 2), meter)
    assert meter.objects == room + 1 and exc.value.data["limit"] == "objects"


def test_a_table_past_the_budget_is_refused_like_line_by_line_counting(monkeypatch: pytest.MonkeyPatch) -> None:
    huge = b"0 %d\n" % 50_000 + FREE0 * 50_000
    refusals = []
    for mode in ("ours", "pyHanko"):
        if mode == "pyHanko":
            monkeypatch.setattr(pyhanko_xref, "parse_xref_table", budget_reader._parse_table_counted)
            monkeypatch.setattr(XRefSectionData, "process_entries", PYHANKO_FILE)
        meter = budget.Meter.for_size(len(huge))
        with pytest.raises(TooComplexError):
            _charged(huge, meter)
        refusals.append((meter.objects, meter.exceeded))
    assert refusals[0] == refusals[1] and refusals[0][0] == budget.Budget.for_size(len(huge)).objects + 1


def test_the_million_entry_table_is_refused_at_the_budget() -> None:
    data = hostile.classic_xref_bomb(1_000_000)
    meter = budget.Meter.for_size(len(data))
    with pytest.raises(TooComplexError):
        budget.open_reader(data, strict=True, meter=meter)
    assert meter.objects == meter.budget.objects + 1


def test_iterated_directly_a_table_gives_pyhanko_entries() -> None:
    table = TABLES[3][1] + TRAILER
    ours = list(pyhanko_xref.parse_xref_table(io.BytesIO(table), True))
    assert ours == list(PYHANKO_PARSE(io.BytesIO(table), True)) and len(ours) == 4
