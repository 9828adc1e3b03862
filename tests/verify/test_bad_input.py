"""Bad input gives a clear report (or an InputError for caller mistakes), fast, never a crash."""

from __future__ import annotations

import datetime as dt
import time
from io import BytesIO

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import copy_into_new_writer

from esign.errors import InputError, TooLargeError
from esign.verify import Indication, SubIndication, verify_pdf
from tests.verify.docs import simple_pdf
from tests.verify.factory import Level
from tests.verify.scenarios import LATER, STAMPED, _county


def verify(data: bytes, **kw: object):
    return verify_pdf(data, trust_roots=[_county().root], at=LATER, **kw)  # type: ignore[arg-type]


def _encrypted() -> bytes:
    w = copy_into_new_writer(PdfFileReader(BytesIO(simple_pdf())))
    w.encrypt("owner", "user")
    out = BytesIO()
    w.write(out)
    return out.getvalue()


def _deeply_nested(depth: int = 100_000) -> bytes:
    body = b"<< /Type /Catalog /Pages 2 0 R /Deep " + b"[" * depth + b"]" * depth + b" >>"
    objs = [body, b"<< /Type /Pages /Kids [] /Count 0 >>"]
    out = bytearray(b"%PDF-1.7\n")
    offs = []
    for n, o in enumerate(objs, 1):
        offs.append(len(out))
        out += b"%d 0 obj\n" % n + o + b"\nendobj\n"
    x = len(out)
    out += b"xref\n0 3\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offs)
    out += b"trailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % x
    return bytes(out)


def _signed() -> bytes:
    county = _county()
    return county.sign(simple_pdf(), county.issue_seal(), at=STAMPED, level=Level.B_T)


CASES = {
    "empty": (b"", "empty"),
    "not_pdf": (b"hello, this is not a PDF" * 10, "not_a_pdf"),
    "png": (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "not_a_pdf"),
    "junk_before_header": (b"MZ" + simple_pdf(), "junk_before_header"),
    "header_only": (b"%PDF-1.7\n", "malformed_pdf"),
    "truncated_unsigned": (simple_pdf()[:200], "malformed_pdf"),
    "deeply_nested": (_deeply_nested(), None),
    "encrypted": (_encrypted(), "encrypted"),
    "no_signature": (simple_pdf(), "no_signature"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_report(name: str) -> None:
    data, code = CASES[name]
    started = time.monotonic()
    report = verify(data)
    assert time.monotonic() - started < 10
    assert report.indication is Indication.TOTAL_FAILED
    assert report.subindication in (SubIndication.FORMAT_FAILURE, SubIndication.NO_SIGNATURE_FOUND)
    assert report.problems and report.conclusion_zh.startswith("无效")
    if code is not None:
        assert report.problems[0].code == code
    assert report.to_dict()["signatures"] == []


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.9, 0.99])
def test_truncated_signed(cut: float) -> None:
    data = _signed()
    report = verify(data[: int(len(data) * cut)])
    assert report.indication is not Indication.TOTAL_PASSED


def test_bit_flips_in_signed_file_never_pass() -> None:
    data = bytearray(_signed())
    step = max(1, len(data) // 40)
    for pos in range(0, len(data), step):
        flipped = bytearray(data)
        flipped[pos] ^= 0x01
        report = verify(bytes(flipped))
        # a flip inside the hex signature value's zero padding may be harmless; anything else fails
        if report.indication is Indication.TOTAL_PASSED:
            m = data.find(b"/Contents <")
            assert m < pos < data.find(b">", m), pos


def test_too_large() -> None:
    with pytest.raises(TooLargeError) as e:
        verify(simple_pdf(), max_size=100)
    assert e.value.code == "too_large"


def test_naive_time_is_a_caller_error() -> None:
    with pytest.raises(InputError) as e:
        verify_pdf(simple_pdf(), trust_roots=[_county().root], at=dt.datetime(2025, 1, 1))
    assert e.value.code == "naive_time"


def test_no_trust_roots_is_a_caller_error() -> None:
    with pytest.raises(InputError) as e:
        verify_pdf(simple_pdf(), trust_roots=[], at=LATER)
    assert e.value.code == "bad_trust_roots"


def test_trust_roots_as_pem_bytes() -> None:
    from esign.pki import certificate_pem

    county = _county()
    report = verify_pdf(_signed(), trust_roots=certificate_pem(county.root), at=LATER, crls=[county.crl(LATER)])
    assert report.indication is Indication.TOTAL_PASSED


def test_garbage_revocation_data_is_ignored() -> None:
    county = _county()
    report = verify_pdf(_signed(), trust_roots=[county.root], at=LATER, crls=[b"junk"], ocsps=[b"\x30\x00"])
    assert report.subindication is SubIndication.TRY_LATER


def test_callable_inside_event_loop() -> None:
    import asyncio

    async def inside() -> SubIndication | None:
        return verify(simple_pdf()).subindication

    assert asyncio.run(inside()) is SubIndication.NO_SIGNATURE_FOUND
