"""esign.verify.changes: shortcuts give the answers of the full analysis they stand in for."""

from __future__ import annotations

from io import BytesIO

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from esign.verify.changes import _PageMap, classify_revision, dss_updated
from tests.verify.factory import Level
from tests.verify.scenarios import build


def _pdf(bodies: dict[int, bytes]) -> bytes:
    out = bytearray(b"%PDF-1.7\n")
    offsets = {}
    for n in sorted(bodies):
        offsets[n] = len(out)
        out += b"%d 0 obj\n" % n + bodies[n] + b"\nendobj\n"
    size = max(bodies) + 1
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for n in range(1, size):
        out += b"%010d 00000 n \n" % offsets[n] if n in offsets else b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    return bytes(out)


# A two-level page tree with look-alikes: 6 claims a parent that does not list it, 8 is listed but names the
# wrong parent, 9 is a /Pages node nobody lists, 10 a page under it, 11 a page whose parent chain loops.
TREE = {
    1: b"<< /Type /Catalog /Pages 2 0 R >>",
    2: b"<< /Type /Pages /Kids [3 0 R 7 0 R] /Count 4 >>",
    3: b"<< /Type /Pages /Parent 2 0 R /Kids [4 0 R 5 0 R 8 0 R] /Count 3 >>",
    4: b"<< /Type /Page /Parent 3 0 R /MediaBox [0 0 10 10] >>",
    5: b"<< /Type /Page /Parent 3 0 R /MediaBox [0 0 10 10] >>",
    6: b"<< /Type /Page /Parent 3 0 R /MediaBox [0 0 10 10] >>",
    7: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>",
    8: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>",
    9: b"<< /Type /Pages /Kids [10 0 R] /Count 1 >>",
    10: b"<< /Type /Page /Parent 9 0 R /MediaBox [0 0 10 10] >>",
    11: b"<< /Type /Page /Parent 12 0 R >>",
    12: b"<< /Type /Pages /Parent 12 0 R /Kids [11 0 R] >>",
}


def test_is_page_agrees_with_the_walk() -> None:
    reader = PdfFileReader(BytesIO(_pdf(TREE)))
    resolver = reader.get_historical_resolver(0)
    walked = _PageMap(resolver).pages
    assert set(walked) == {(4, 0), (5, 0), (8, 0), (7, 0)}  # written from TREE, not read from the code
    for n in range(1, 14):
        fresh = _PageMap(resolver)  # the climb alone, before any walk
        assert fresh._climbs_to_root((n, 0)) <= ((n, 0) in walked), n
        assert fresh.is_page((n, 0)) == ((n, 0) in walked), n
    assert _PageMap(resolver)._climbs_to_root((4, 0))  # the common case needs no walk


@pytest.mark.parametrize(
    ("scenario", "level"),
    [("fresh", Level.B_LT), ("fresh", Level.B_LTA), ("doc_timestamp", Level.B_LT), ("second_seal", Level.B_LTA)],
)
def test_dss_updated_is_the_deltas_flag(scenario: str, level: Level) -> None:
    reader = PdfFileReader(BytesIO(build(scenario, level).pdf))
    flags = [dss_updated(reader, k) for k in range(1, reader.xrefs.total_revisions)]
    assert flags == [classify_revision(reader, k).dss for k in range(1, reader.xrefs.total_revisions)]
    assert any(flags)
