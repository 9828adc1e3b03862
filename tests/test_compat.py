"""esign.compat: asn1crypto keeps a definite length that ends in 0x80 as it is; pyHanko's hex strings read in one
pass give the same object and stream position as its own reader."""

from __future__ import annotations

import decimal
import inspect
import io
import random
import subprocess
import sys
from typing import Any

import pytest
from asn1crypto import core
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfStreamError

import esign  # noqa: F401  (applies esign.compat)
from esign import compat

# SEQUENCE { BOOLEAN (BER true: 01, DER would be FF), OCTET STRING (123 bytes) }: 128 bytes of
# contents, so the header is 30 81 80 - a definite length whose last byte is 0x80.
PARSED = b"\x30\x81\x80" + b"\x01\x01\x01" + b"\x04\x7b" + b"x" * 123


class Inner(core.Sequence):
    _fields = [("flag", core.Boolean), ("pad", core.OctetString)]  # noqa: RUF012 (asn1crypto's class-level schema)


class Outer(core.Sequence):
    _fields = [("inner", Inner), ("n", core.Integer)]  # noqa: RUF012 (asn1crypto's class-level schema)


class Outermost(core.Sequence):
    _fields = [("outer", Outer), ("more", core.SequenceOf, {"spec": Outer})]  # noqa: RUF012 (asn1crypto's class-level schema)


def test_parsed_bytes_come_back_unchanged():
    value = Inner.load(PARSED)
    assert value["flag"].native is True
    assert value.dump() == PARSED  # asn1crypto alone re-encodes it: 30 81 80 01 01 ff ...


def test_a_true_indefinite_length_is_still_re_encoded_as_der():
    ber = b"\x30\x80" + b"\x01\x01\x01" + b"\x04\x01x" + b"\x00\x00"
    value = Inner.load(ber)
    assert value.dump() == b"\x30\x06\x01\x01\xff\x04\x01x"


def test_building_around_it_does_not_re_encode_it(monkeypatch: pytest.MonkeyPatch):
    """The slow case: structures built from Python values (as pyHanko builds a CMS signature)
    around a parsed part; each dump re-encoded the part, exponentially in the nesting depth."""
    inner = Inner.load(PARSED)
    calls: list[Any] = []
    original = Inner._set_contents

    def counting(self: Inner, force: bool = False) -> None:
        calls.append(self)
        original(self, force)

    monkeypatch.setattr(Inner, "_set_contents", counting)
    outer = Outer({"inner": inner, "n": 1})
    top = Outermost({"outer": outer, "more": [Outer({"inner": inner, "n": n}) for n in range(3)]})
    for _ in range(3):
        der = top.dump()
    assert PARSED in der
    assert calls == []


def test_applying_twice_changes_nothing():
    before = core.Sequence.__dict__["dump"]
    compat.apply()
    assert core.Sequence.__dict__["dump"] is before


# --- pyHanko hex strings read in one pass -------------------------------------------------------------------


def _pyhanko_read_hex() -> Any:
    import esign.budget  # noqa: F401  (applies compat.fast_hex_strings)

    return generic.read_hex_string_from_stream, inspect.unwrap(generic.read_hex_string_from_stream)


HEX_CASES = [
    b"<>",
    b"<4E6F762073686D6F7A206B6120706F702E> 1 0 R",
    b"<901FA3>",
    b"<901FA>",  # odd: a final 0 is assumed (ISO 32000-1 7.3.4.3)
    b"<90 1f\na3\r\n\t\x0c\x00 7>>",
    b"<" + b"0123456789abcdef" * 6000 + b"> endobj",  # a signature's /Contents: several chunks
    b"<" + b"ab" * 200 + b"\n" * 3000 + b"cd>",  # the first chunk all digits, the '>' in a later one
    b"<41 % a comment > inside\n42>",  # pyHanko skips comments between digits
    b"<4142",  # no end
    b"<41x42>",  # not a hex digit
    b"<" + b"41" * 300 + b"G>",  # a bad digit after the first chunk
    b"<FEFF00410042>",  # UTF-16BE with a byte order mark: a text string
]


@pytest.mark.parametrize("data", HEX_CASES)
def test_hex_string_same_object_and_position_as_pyhanko(data: bytes) -> None:
    fast, original = _pyhanko_read_hex()
    assert getattr(fast, compat._PATCHED, False)
    streams = io.BytesIO(data + b" trailer"), io.BytesIO(data + b" trailer")
    results = []
    for read, stream in zip((fast, original), streams, strict=True):
        try:
            value = read(stream)
            results.append((type(value), bytes(value.original_bytes), stream.tell()))
        except Exception as e:
            results.append((type(e), b"", -1))
    assert results[0] == results[1]


def test_hex_string_values() -> None:
    fast, _ = _pyhanko_read_hex()
    assert fast(io.BytesIO(b"<901FA>")).original_bytes == b"\x90\x1f\xa0"
    assert fast(io.BytesIO(b"<90 1f\na3>")).original_bytes == b"\x90\x1f\xa3"
    assert str(fast(io.BytesIO(b"<FEFF00410042>"))) == "AB"
    stream = io.BytesIO(b"<41 % comment > x\n42> rest")
    assert fast(stream).original_bytes == b"AB" and stream.read() == b" rest"
    with pytest.raises(PdfStreamError):
        fast(io.BytesIO(b"<41x42>"))


# --- pyHanko arrays of numbers and names read in one pass ---------------------------------------------------------


class _Container:
    """What pyHanko's reader passes as ``container_ref`` (only its handler is asked for, by a reference)."""

    def get_pdf_handler(self) -> None:
        return None


CONTAINER = _Container()


def _pyhanko_read_array() -> Any:
    import esign.budget  # noqa: F401  (applies compat.fast_number_arrays)

    fast = generic.ArrayObject.read_from_stream
    return fast, inspect.unwrap(fast)


def _shape(value: Any) -> object:
    """Everything pyHanko's reader decides about an object: its type, its value and its container."""
    mine = getattr(value, "container_ref", None) is CONTAINER
    if isinstance(value, list):
        return (type(value), mine, [_shape(v) for v in value])
    if isinstance(value, generic.IndirectObject):
        return (type(value), mine, value.idnum, value.generation)
    if isinstance(value, int | decimal.Decimal | str | bytes):
        return (type(value), mine, str(value), repr(value))
    return (type(value), mine)


def _read_outcome(read: Any, data: bytes, *args: Any) -> tuple[object, ...]:
    stream = io.BytesIO(data)
    try:
        value = read(stream, *args)
    except Exception as e:  # the errors are part of what is compared
        return ("raised", type(e), str(e))
    return (_shape(value), stream.tell())


ARRAY_CASES = [
    b"[ 14 [ 346 ] 17 [ 557 471 558 ] 24 [ 549 558 ] ]",  # a CID font's /W
    b"[0 0 595.276 841.89]",
    b"[.5 -0 +3 1. -.5 +.5 0.0 -0.000 0001]",
    b"[1[2]3]",  # numbers touching brackets
    b"[1 [2 3] [ ] 4 []]",
    b"[]",
    b"[ ]",
    b"[[]]",
    b"[1\x002\t3\r4\n5\x0c6]",  # every white-space character
    b"[1 0 R]",  # a reference, not two numbers
    b"[1 0 R 2 0 R]",
    b"[5 [1 0 R] 6]",
    b"[1 0 Rx]",  # not a reference for pyHanko either
    b"[12 0 obj]",
    b"[1 % a comment\n 2]",
    b"[1 [2 % ] in a comment\n 3] 4]",
    b"[1\x0b2]",  # a vertical tab is not PDF white-space
    b"[1/Name 2]",
    b"[(1 2) 3]",
    b"[1.2.3]",
    b"[1-2]",
    b"[+-1]",
    b"[.]",
    b"[-]",
    b"[1,2]",
    b"[1e5]",
    b"[9" + b"9" * 5000 + b"]",  # more digits than int() takes
    b"[[[1]]]",
    b"[1 2",  # truncated
    b"[1 [2 3",
    b"[",
    b"",
    b"1 2]",
    b"[1 2 3]] 4",
    b"[" + b" ".join(b"%d" % i for i in range(20_000)) + b"]",  # far past the first chunks
    b"[" + b"1 [2 3] " * 5000 + b"0 R]",  # a reference after many chunks
    b"[" + b"7 " * 3000 + b"[" + b"8 " * 3000,  # the end missing after many chunks
]


@pytest.mark.parametrize("data", ARRAY_CASES, ids=lambda d: repr(d[:40]))
def test_number_array_same_objects_and_position_as_pyhanko(data: bytes) -> None:
    fast, original = _pyhanko_read_array()
    assert getattr(fast, compat._PATCHED, False)
    for tail in (b"", b" trailer", b"R", b"]"):
        assert _read_outcome(fast, data + tail, CONTAINER) == _read_outcome(original, data + tail, CONTAINER)


def test_number_arrays_generated_against_pyhanko() -> None:
    fast, original = _pyhanko_read_array()
    rng = random.Random(21)
    plain = [b"1", b"0", b"-0", b"+3", b".5", b"1.", b"-.25", b"123456", b"[1 2]", b"[ ]"]
    odd = [b"1 0 R", b"%c\n", b"/N", b"(s)", b"<41>", b"1.2.3", b"-", b".", b"true", b"null", b"R", b"\x00", b"\x0b"]
    compared = 0
    for length in (0, 1, 5, 40, 400, 3000):
        for _ in range(200 if length < 1000 else 20):
            tokens = [rng.choice(odd) if rng.random() < 0.05 else rng.choice(plain) for _ in range(length)]
            body = b"".join(t + rng.choice([b" ", b"", b"\n", b"  "]) for t in tokens)
            for data in (b"[" + body + b"]", b"[" + body, b"[" + body + b"] 1 0 R"):
                assert _read_outcome(fast, data, CONTAINER) == _read_outcome(original, data, CONTAINER), data[:200]
                compared += 1
    assert compared > 3000


def test_number_arrays_are_read_without_pyhanko_elementwise(monkeypatch: pytest.MonkeyPatch) -> None:
    fast, _ = _pyhanko_read_array()
    calls: list[object] = []
    read_object = generic.read_object

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return read_object(*args, **kwargs)

    monkeypatch.setattr(generic, "read_object", counted)
    widths = fast(io.BytesIO(b"[ 14 [ 346 ] 17 [ 557 471.5 ] ] /FontDescriptor"), CONTAINER)
    assert widths == [14, [346], 17, [557, decimal.Decimal("471.5")]] and calls == []
    assert type(widths[3][1]) is generic.FloatObject and widths[1].container_ref is CONTAINER
    fast(io.BytesIO(b"[1 0 R]"), CONTAINER)
    assert len(calls) == 1  # the reference: pyHanko's reader


def test_nested_arrays_cost_pyhanko_s_stack_depth() -> None:
    """A nested array is read by the same two frames a level as pyHanko's (no wrapper frame on top)."""
    fast, original = _pyhanko_read_array()
    depth = (sys.getrecursionlimit() - len(inspect.stack()) - 50) // 2
    data = b"[" * depth + b"1 0 R" + b"]" * depth
    assert _read_outcome(fast, data, CONTAINER) == _read_outcome(original, data, CONTAINER)
    assert _read_outcome(fast, data, CONTAINER)[1] == len(data)


def _pyhanko_read_name() -> Any:
    import esign.budget  # noqa: F401  (applies compat.fast_names)

    fast = generic.NameObject.read_from_stream
    return fast, inspect.unwrap(fast)


NAME_CASES = [
    b"/FontDescriptor 7 0 R",
    b"/Type/Font",
    b"/",
    b"/ ",
    b"/A#20B",  # an escape: pyHanko decodes it
    b"/A#2",
    b"/A#GG",
    b"/\xe4\xb8\xad\xe6\x96\x87",  # UTF-8 bytes, not escaped
    b"/\x80\x81",  # not UTF-8: Latin-1
    b"/A\x01B",
    b"/A\x7fB",
    b"/" + b"N" * 127,  # the delimiter in the next chunk
    b"/" + b"N" * 500 + b"#41",
    b"/" + b"N" * 500,
    b"/A(B",
    b"/A%B",
    b"/A\x00B",
    b"Name",
    b"",
]


@pytest.mark.parametrize("data", NAME_CASES, ids=lambda d: repr(d[:24]))
def test_name_same_object_and_position_as_pyhanko(data: bytes) -> None:
    fast, original = _pyhanko_read_name()
    assert getattr(fast, compat._PATCHED, False)
    for tail in (b"", b" ", b">>", b"/Next"):
        assert _read_outcome(fast, data + tail) == _read_outcome(original, data + tail)


def test_names_generated_against_pyhanko() -> None:
    fast, original = _pyhanko_read_name()
    rng = random.Random(7)
    alphabet = [b"A", b"z", b"#20", b"#", b"#4", b"#GG", b"\x80", b"\xe4\xb8\xad", b"\x7f", b"\x01", b" ", b"/"]
    alphabet += [b"[", b"%", b"~", b"!", b'"', b"$", b"1", b".", b"\x00", b"\x0b"]
    for _ in range(3000):
        body = b"".join(rng.choice(alphabet) for _ in range(rng.choice([0, 1, 3, 10, 60, 130, 300])))
        for data in (b"/" + body, b"/Name" + body + b" rest"):
            assert _read_outcome(fast, data) == _read_outcome(original, data), data


def test_names_written_as_pyhanko_writes_them() -> None:
    import esign.budget  # noqa: F401  (applies compat.fast_names)

    fast = generic.NameObject.write_to_stream
    original = inspect.unwrap(fast)
    assert fast is not original and getattr(fast, compat._PATCHED, False)
    rng = random.Random(11)
    names = ["/FontDescriptor", "/", "/A#B", "/A B", "/中文", "/A(B", "/A/B", "/A%", "/~!$&'*+,-.:;=?@^_`|", "Name"]
    names += ["/" + "".join(chr(rng.choice([*range(0x20, 0x80), 0xE9, 0x4E2D])) for _ in range(n)) for n in range(40)]
    names += ["/" + "".join(chr(c) for c in range(0x21, 0x7F))]
    for text in names:
        outcomes = []
        for write in (fast, original):
            stream = io.BytesIO()
            try:
                write(generic.NameObject(text), stream)
                outcomes.append(stream.getvalue())
            except Exception as e:
                outcomes.append((type(e), str(e)))
        assert outcomes[0] == outcomes[1], text
    stream = io.BytesIO()
    fast(generic.NameObject("/A#B"), stream)
    assert stream.getvalue() == b"/A#23B"


# --- asn1crypto name matching memoized by the bytes of each name (part) --------------------------------------


def _name(*attrs: tuple[str, str, str]) -> asn1_x509.Name:
    """A name from (type, string kind, value) parts, one attribute per RDN."""
    rdns = []
    for kind, string, value in attrs:
        rdns.append(
            asn1_x509.RelativeDistinguishedName(
                [
                    asn1_x509.NameTypeAndValue(
                        {"type": kind, "value": asn1_x509.DirectoryString(name=string, value=value)}
                    )
                ]
            )
        )
    return asn1_x509.Name.load(asn1_x509.Name(name="", value=asn1_x509.RDNSequence(rdns)).dump())


NAMES = [
    _name(
        ("common_name", "utf8_string", "蒲县克城镇人民政府行政审批服务专用章"),
        ("organization_name", "utf8_string", "蒲县"),
    ),
    _name(
        ("common_name", "utf8_string", "蒲县克城镇人民政府行政审批服务专用章"),
        ("organization_name", "utf8_string", "隰县"),
    ),
    _name(("common_name", "printable_string", "County  Root"), ("country_name", "printable_string", "CN")),
    _name(("common_name", "utf8_string", "county root"), ("country_name", "printable_string", "CN")),
    _name(("common_name", "utf8_string", "County Root CA"), ("country_name", "printable_string", "CN")),
    _name(("country_name", "printable_string", "CN"), ("common_name", "utf8_string", "County Root")),
]


def test_memoized_name_matching_answers_as_asn1crypto() -> None:
    import esign.verify.certs  # noqa: F401  (applies compat.memoized_name_matching)

    rdn, seq = asn1_x509.RelativeDistinguishedName, asn1_x509.RDNSequence
    patched = rdn.__dict__["_get_values"], seq.__dict__["__eq__"], seq.__dict__["hashable"]
    assert getattr(patched[0], compat._PATCHED, False) and getattr(patched[1], compat._PATCHED, False)
    assert getattr(patched[2].fget, compat._PATCHED, False)

    def answers(a: asn1_x509.Name, b: asn1_x509.Name) -> tuple[bool, bool, str, str]:
        a, b = asn1_x509.Name.load(a.dump()), asn1_x509.Name.load(b.dump())  # fresh objects: nothing kept on them
        return a == b, a != b, a.hashable, b.hashable

    for a in NAMES:
        for b in NAMES:
            memo = answers(a, b)
            rdn._get_values = inspect.unwrap(patched[0])
            seq.__eq__ = inspect.unwrap(patched[1])  # type: ignore[method-assign]
            seq.hashable = property(inspect.unwrap(patched[2].fget))  # type: ignore[method-assign, assignment]
            try:
                plain = answers(a, b)
            finally:
                rdn._get_values = patched[0]
                seq.__eq__, seq.hashable = patched[1], patched[2]  # type: ignore[method-assign, assignment]
            assert memo == plain, (a.human_friendly, b.human_friendly)
    # A name compared with itself and asked twice: the memo's second answer is its first.
    assert answers(NAMES[0], NAMES[0])[:2] == (True, False) == answers(NAMES[0], NAMES[0])[:2]
    # RFC 4518: case and inner white-space do not matter; a different county or order does.
    same = answers(NAMES[2], NAMES[3])
    assert same[0] and same[2] == same[3]
    assert not answers(NAMES[0], NAMES[1])[0] and not answers(NAMES[3], NAMES[4])[0]
    assert not answers(NAMES[4], NAMES[5])[0]


_DEFERRED = """
import sys
from esign.compat import defer_pyhanko_signing
defer_pyhanko_signing()
import pyhanko.sign.validation, pyhanko.sign.diff_analysis, pyhanko.sign.fields
signing = ("aiohttp", "pyhanko.sign.signers", "pyhanko.sign.timestamps")
print(sorted(m for m in sys.modules if m.startswith(signing)))
import pyhanko.sign
from pyhanko.sign import PdfSigner, signers
from pyhanko.sign.signers import pdf_signer
same = PdfSigner is signers.PdfSigner is pdf_signer.PdfSigner is pyhanko.sign.PdfSigner
print(same, "sign_pdf" in pyhanko.sign.__all__)
defer_pyhanko_signing()
print(sys.modules["pyhanko.sign"] is pyhanko.sign)
"""


def test_pyhanko_signing_deferred_until_a_signing_name_is_used() -> None:
    """Validation imports load no signer (nor aiohttp); the first signing name runs pyHanko's own
    ``__init__``, after which the package is the one pyHanko builds; deferring again changes nothing."""
    got = subprocess.run([sys.executable, "-c", _DEFERRED], capture_output=True, text=True, timeout=300)
    assert got.returncode == 0, got.stderr
    assert got.stdout.splitlines() == ["[]", "True True", "True"]


def test_pyhanko_signing_not_deferred_once_loaded() -> None:
    code = "import pyhanko.sign, sys; from esign.compat import defer_pyhanko_signing; " + (
        "m = sys.modules['pyhanko.sign']; defer_pyhanko_signing(); print(sys.modules['pyhanko.sign'] is m)"
    )
    got = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert got.stdout.strip() == "True", got.stderr
