"""Malformed XMP packets are mended (attribute quotes) or replaced, in the writer's revision only."""

from __future__ import annotations

import io

import pikepdf
import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from esign.stamp.xmp import XmpRepair, repair_metadata
from tests.pdfgen import decision_pdf

_GOOD = b"""<?xpacket begin='\xef\xbb\xbf' id='W5M0MpCehiHzreSzNTczkc9d'?>
<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>
<rdf:Description rdf:about="" xmlns:pdfaid='http://www.aiim.org/pdfa/ns/id/' pdfaid:part='2' pdfaid:conformance='B'/>
<rdf:Description rdf:about="" xmlns:pdf='http://ns.adobe.com/pdf/1.3/' pdf:Producer=UnknownProducer/>
</rdf:RDF></x:xmpmeta>
<?xpacket end='w'?>"""


def _with_metadata(packet: bytes) -> bytes:
    with pikepdf.open(io.BytesIO(decision_pdf())) as pdf:
        pdf.Root.Metadata = pdf.make_stream(packet, Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML)
        out = io.BytesIO()
        pdf.save(out, fix_metadata_version=False)  # pikepdf would rewrite (and so mend) the packet
        return out.getvalue()


def _repair(data: bytes) -> tuple[XmpRepair | None, bytes]:
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    repair = repair_metadata(writer)
    out = io.BytesIO()
    writer.write(out)  # pyHanko updates the packet here: it must parse now
    return repair, out.getvalue()


def test_unquoted_attribute_values_are_quoted_and_the_rest_kept() -> None:
    data = _with_metadata(_GOOD)
    repair, out = _repair(data)
    assert repair is XmpRepair.QUOTED
    assert out.startswith(data)  # an incremental update: the input bytes are untouched
    with pikepdf.open(io.BytesIO(out)) as pdf:
        xmp = pdf.Root.Metadata.read_bytes()
        assert (b"pdfaid:part" in xmp and b"'2'" in xmp) or b'"2"' in xmp  # PDF/A identification kept
        with pdf.open_metadata() as meta:
            assert meta["pdfaid:part"] == "2"


@pytest.mark.parametrize("packet", [b"<x:xmpmeta><rdf:RDF><unclosed></x:xmpmeta>", b"\xff\xfe not xml at all"])
def test_what_cannot_be_mended_is_replaced(packet: bytes) -> None:
    repair, out = _repair(_with_metadata(packet))
    assert repair is XmpRepair.REPLACED
    with pikepdf.open(io.BytesIO(out)) as pdf:
        with pdf.open_metadata() as meta:
            assert meta.get("pdf:Producer", "").startswith("pyHanko")  # a fresh, well-formed packet
            assert meta.get("dc:title") == "受理通知书"  # from the information dictionary


def test_well_formed_packets_are_left_alone() -> None:
    data = _with_metadata(_GOOD.replace(b"=UnknownProducer", b"='x'"))
    assert _repair(data)[0] is None
