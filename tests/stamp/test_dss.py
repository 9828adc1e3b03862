"""The first DSS written directly, against the same update written by pyHanko's incremental writer.

For files with a cross-reference table and with cross-reference streams: pyHanko reads the result back
with every revision, the DSS holds the same certificates, OCSP answers and CRLs, the catalog and the
trailer keep their entries, the signature is untouched and intact, qpdf finds no fault, and (for tables,
the files it covers) esign's own check of the update (:mod:`esign.verify.dss_update`) recognises a first
DSS and nothing else.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from esign.stamp.dss import append_first_dss
from esign.stamp.signing import _flate_stream
from esign.verify.dss_update import adds_first_dss_only
from esign.verify.structure import layout_of
from tests import pdfgen
from tests.stamp.test_cms import _credentials

CERTS = (b"\x30\x03\x02\x01\x01", b"\x30\x03\x02\x01\x02")  # stand-ins: the writer stores bytes, never parses them
OCSPS = (b"\x30\x03\x02\x01\x03",)
CRLS = (b"\x30\x03\x02\x01\x04", b"\x30\x03\x02\x01\x05")


def _signed(stream_xrefs: bool, **kw: object) -> tuple[io.BytesIO, IncrementalPdfFileWriter]:
    data = pdfgen.build_pdf([pdfgen.Page(texts=pdfgen.decision_texts())], stream_xrefs=stream_xrefs, **kw)  # type: ignore[arg-type]
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    out = io.BytesIO()
    signers.sign_pdf(
        writer, signers.PdfSignatureMetadata(field_name="Sig"), signer=_credentials("ec").signer, output=out
    )
    return out, writer


def _by_pyhanko(signed: bytes) -> bytes:
    out = io.BytesIO(signed)
    writer = IncrementalPdfFileWriter(out, strict=False)

    def refs(items: tuple[bytes, ...]) -> generic.ArrayObject:
        return generic.ArrayObject([writer.add_object(_flate_stream(d)) for d in items])

    dss = generic.DictionaryObject(
        {
            generic.pdf_name("/Type"): generic.pdf_name("/DSS"),
            generic.pdf_name("/Certs"): refs(CERTS),
            generic.pdf_name("/OCSPs"): refs(OCSPS),
            generic.pdf_name("/CRLs"): refs(CRLS),
        }
    )
    writer.root[generic.pdf_name("/DSS")] = writer.add_object(dss)
    writer.update_root()
    writer.write_in_place()
    return out.getvalue()


def _ours(stream_xrefs: bool) -> tuple[bytes, bytes]:
    out, writer = _signed(stream_xrefs)
    signed = out.getvalue()
    done = append_first_dss(
        out,
        writer,
        certs=[_flate_stream(c) for c in CERTS],
        ocsps=[_flate_stream(o) for o in OCSPS],
        crls=[_flate_stream(c) for c in CRLS],
    )
    assert done
    return signed, out.getvalue()


def _dss(reader: PdfFileReader) -> dict[str, list[bytes]]:
    dss = reader.root["/DSS"]
    return {k: [r.get_object().data for r in dss[k]] for k in ("/Certs", "/OCSPs", "/CRLs")}


@pytest.mark.parametrize("stream_xrefs", [False, True])
def test_the_update_is_the_one_pyhanko_writes(stream_xrefs: bool) -> None:
    signed, ours = _ours(stream_xrefs)
    theirs = _by_pyhanko(signed)
    a, b = PdfFileReader(io.BytesIO(ours)), PdfFileReader(io.BytesIO(theirs))
    assert ours.startswith(signed)
    assert (
        a.xrefs.total_revisions
        == b.xrefs.total_revisions
        == PdfFileReader(io.BytesIO(signed)).xrefs.total_revisions + 1
    )
    assert a.has_xref_stream == b.has_xref_stream == stream_xrefs
    assert _dss(a) == _dss(b) == {"/Certs": list(CERTS), "/OCSPs": list(OCSPS), "/CRLs": list(CRLS)}
    assert set(a.root) == set(b.root) and all(a.root.raw_get(k) == b.root.raw_get(k) for k in a.root if k != "/DSS")
    for key in ("/Root", "/Info", "/Prev"):
        assert a.trailer.raw_get(key) == b.trailer.raw_get(key), key
    # /Size is one past the highest object number (pyHanko leaves the first free number unused)
    last = max(ref.idnum for ref in a.xrefs.explicit_refs_in_revision(a.xrefs.total_revisions - 1))
    assert int(a.trailer["/Size"]) == last + 1
    assert (
        a.trailer["/ID"][0] == b.trailer["/ID"][0]
        and a.trailer["/ID"][1] != PdfFileReader(io.BytesIO(signed)).trailer["/ID"][1]
    )
    # the integrity and the signature's mathematics, not trust: no trust roots (not the system's list)
    status = validate_pdf_signature(a.embedded_signatures[0], ValidationContext(trust_roots=[]))
    assert status.intact and status.valid
    if not stream_xrefs:  # esign's own proof covers files with cross-reference tables only
        assert adds_first_dss_only(ours, a, layout_of(ours, a), a.xrefs.total_revisions - 1)


@pytest.mark.skipif(not shutil.which("qpdf"), reason="qpdf")
@pytest.mark.parametrize("stream_xrefs", [False, True])
def test_qpdf_finds_no_fault(stream_xrefs: bool, tmp_path: Path) -> None:
    _signed_bytes, ours = _ours(stream_xrefs)
    path = tmp_path / "dss.pdf"
    path.write_bytes(ours)
    done = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No syntax or stream encoding errors" in done.stdout


def test_an_encrypted_file_or_a_second_dss_is_left_to_pyhanko() -> None:
    data = pdfgen.build_pdf([pdfgen.Page(texts=pdfgen.decision_texts())], user_password="pw")
    reader = PdfFileReader(io.BytesIO(data))
    reader.decrypt("pw")
    writer = IncrementalPdfFileWriter(io.BytesIO(data), prev=reader)
    out = io.BytesIO(data)
    assert not append_first_dss(out, writer, certs=[], ocsps=[], crls=[])
    assert out.getvalue() == data
    _signed_bytes, ours = _ours(False)
    again = io.BytesIO(ours)
    assert not append_first_dss(again, IncrementalPdfFileWriter(io.BytesIO(ours)), certs=[], ocsps=[], crls=[])
    assert again.getvalue() == ours
