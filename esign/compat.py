"""Work-arounds for bugs in the libraries esign stands on, applied once when ``esign`` is imported.

asn1crypto (1.5.1, the latest release; wbond/asn1crypto#249): ``dump()`` takes any header whose
last byte is ``0x80`` for an indefinite-length (BER) encoding and re-encodes the value and
everything below it. A definite long-form length can end in ``0x80`` too (``82 14 80`` = 5248
bytes), so about one structure in 256 is re-encoded on every dump, and pyHanko dumps a CMS
signature it is building many times: the constructed parts are then re-encoded exponentially in
their depth, and a stamp that takes 0.1 s took 5-15 s. The bytes produced are the same either way.

The fix keeps asn1crypto's own code: before its ``dump`` runs, a header whose lengths are all
definite (the value has no end-of-contents trailer, which every indefinite length leaves) is
dropped, so asn1crypto computes the same header again instead of re-encoding the contents.

cryptography (51) bounds commonName by UTF-8 *bytes* (64) where X.520 bounds it by characters
(ub-common-name 64; RFC 5280 Appendix A.1), and warns each time it reads a longer one. A seal
name of 22 Chinese characters is 66 bytes: esign writes such names (:mod:`esign.pki.profiles`
checks the character bound) and reading them back must not print a warning to every user.

pyHanko (0.38) reads a hex string (``<...>``) one byte per Python call, skipping whitespace and
comments between the digits: a signature's /Contents (24 KiB reserved, 48 KiB of hex) took longer to
read than verifying the signature. :func:`fast_hex_strings` reads the common case, hex digits and
whitespace up to the first ``>``, in one pass and leaves every other case (a ``%`` inside, a stray
character, no ``>`` before the end) to pyHanko's own reader, so the object and the stream position
are the same either way. It is applied by :mod:`esign.budget.reader`, through which esign reads
every PDF, so that importing ``esign`` does not import pyHanko.

pyHanko (0.38) reads an array one element at a time, each number a few Python calls per byte: a CID font's
``/W`` widths (``[14 [346] 17 [557 471 558] ...]``, hundreds of numbers), which the page guard reads for
every stamp, took longer than the rest of the guard. :func:`fast_number_arrays` reads an array of plain
numbers and arrays of plain numbers (white-space between, nothing else: no comment, name, string or
reference) in one regular-expression pass and makes the very objects pyHanko's reader makes
(``NumberObject``, ``FloatObject`` from the same text, each with its ``container_ref``), leaving the stream
after the ``]`` as pyHanko does. Any other array (a reference, a comment, a malformed number, no ``]``
before the end) is read by pyHanko's own element-by-element loop, whose arrays nested inside come back here.
Applied by :mod:`esign.budget.reader` as the hex strings are. :func:`fast_names` likewise reads a name
(``/FontDescriptor``) up to its delimiter in one pass instead of a Python call per byte, and makes the
plain ones (printable ASCII, no ``#`` escape) itself; any other is decoded by pyHanko's own function.
It also writes a plain name in one piece, the very bytes pyHanko writes one call per byte (every name of
the signed revision, about 170 per stamp); any other name is written by pyHanko.

pyHanko (0.38): ``pyhanko/sign/__init__.py`` imports the signer, and through it the time-stamp client,
aiohttp and two SSL contexts built from the system's CA bundle, for every import of any
``pyhanko.sign.*`` module - validation included. A verifier process (``esign verify FILE``) pays about
as much for that as for its whole verification. :func:`defer_pyhanko_signing` makes the package's
own ``__init__`` run on the first use of a name it defines instead; submodules import as before.

asn1crypto (1.5.1) compares and hashes certificate names (RFC 5280 §7.1) by preparing every attribute value with
RFC 4518 string preparation, a per-character Python loop, on every comparison, and nothing keeps the result: path
building, issuer matching and every certificate registry repeat it for the same few names, and it cost more than
the signature checks. :func:`memoized_name_matching` keeps the prepared values of a relative distinguished name by
its exact DER encoding (a bounded, thread-safe cache), and the equality and ``hashable`` form of whole names by
their exact encodings; each is a function of those bytes alone, so the answers are the same. It is applied by
:mod:`esign.verify.certs`.
"""

from __future__ import annotations

import binascii
import functools
import importlib.util
import re
import sys
import threading
import warnings
from collections.abc import Callable
from typing import Any

from asn1crypto import core

__all__ = [
    "apply",
    "defer_pyhanko_signing",
    "fast_hex_strings",
    "fast_names",
    "fast_number_arrays",
    "memoized_name_matching",
    "quiet_dsa_warning",
]

_PATCHED = "_esign_definite_lengths"


def _definite_lengths_kept(dump: Callable[..., bytes]) -> Callable[..., bytes]:
    @functools.wraps(dump)
    def wrapper(self: Any, force: bool = False) -> bytes:
        header = self._header
        if not force and header is not None and header[-1:] == b"\x80" and not self._trailer:
            self._header = None  # a definite length ending in 0x80: rebuilt from the same contents
        return dump(self, force)

    setattr(wrapper, _PATCHED, True)
    return wrapper


_HEX_BODY = re.compile(rb"[0-9A-Fa-f \n\r\t\f\x00]*")  # ISO 32000-1 §7.3.4.3 digits and §7.2.2 white-space
_WHITESPACE = b" \n\r\t\f\x00"  # deleted by bytes.translate (a regular expression tried every byte of a /Contents)
_CHUNK = 64 * 1024


def _one_pass(read_hex: Callable[[Any], Any], pdf_string: Callable[[bytes], Any]) -> Callable[[Any], Any]:
    @functools.wraps(read_hex)
    def read(stream: Any) -> Any:
        start = stream.tell()
        if stream.read(1) == b"<":
            parts: list[bytes] = []
            size = 256  # most hex strings are short (/ID); a signature's /Contents is read in a few chunks
            while chunk := stream.read(size):
                size = min(2 * size, _CHUNK)
                end = chunk.find(b">")
                body = chunk if end < 0 else chunk[:end]
                if _HEX_BODY.fullmatch(body) is None:
                    break  # a comment or a stray byte: pyHanko decides
                parts.append(body)
                if end >= 0:
                    digits = b"".join(parts).translate(None, _WHITESPACE)
                    stream.seek(start + 1 + sum(map(len, parts)) + 1)
                    return pdf_string(binascii.unhexlify(digits + b"0" if len(digits) % 2 else digits))
        stream.seek(start)
        return read_hex(stream)  # pyHanko's own reader: comments, errors, end of stream

    setattr(read, _PATCHED, True)
    return read


def fast_hex_strings() -> None:
    """Read PDF hex strings in one pass (see the module docstring; idempotent)."""
    from pyhanko.pdf_utils import generic

    if not getattr(generic.read_hex_string_from_stream, _PATCHED, False):
        fast = _one_pass(generic.read_hex_string_from_stream, generic.pdf_string)
        generic.read_hex_string_from_stream = fast  # type: ignore[assignment]


# ISO 32000-1 §7.2.2 white-space; a number as pyHanko reads one: a run of [+,-.0-9] (NumberObject.NumberPattern)
# that is a well-formed integer or real (§7.3.3), so that the int()/Decimal() of it cannot fail.
_WS = rb"[ \n\r\t\f\x00]*"
_NUM = rb"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?![+,\-.0-9])"
# '[' then numbers and flat arrays of numbers; what follows the match must be ']' for the fast path
_NUMBER_ARRAY = re.compile(rb"\[(?:" + _WS + rb"(?:" + _NUM + rb"|\[(?:" + _WS + _NUM + rb")*" + _WS + rb"\]))*" + _WS)
# what may be left at the end of a chunk when the array goes on in the next one
_CUT = re.compile(_WS + rb"(?:\[(?:" + _WS + _NUM + rb")*" + _WS + rb")?[+\-.0-9]*")
_ITEMS = re.compile(r"\[([^\]]*)\]|([^\s\x00\[\]]+)")  # in a matched array: a flat array, or a number


def _number_arrays(read_array: Callable[..., Any], generic: Any) -> Callable[..., Any]:
    from pyhanko.pdf_utils.misc import PdfReadError, read_non_whitespace

    array, number, real = generic.ArrayObject, generic.NumberObject, generic.FloatObject
    plain = generic.ContentOpReading.NO

    def _whole(stream: Any, container_ref: Any) -> Any:
        """The array when it is numbers and flat arrays of numbers, the stream after its ']'; else None."""
        start = stream.tell()
        size = 512
        while True:
            buf = stream.read(size)
            found = _NUMBER_ARRAY.match(buf)
            if found is None:
                break
            end = found.end()
            if buf[end : end + 1] == b"]":
                try:
                    arr = _built(buf[1:end].decode("ascii"), container_ref)
                except (ValueError, ArithmeticError):  # e.g. more digits than int() takes: pyHanko raises
                    break
                stream.seek(start + end + 1)
                return arr
            if len(buf) < size or _CUT.fullmatch(buf, end) is None:
                break  # not such an array (or its end is missing): pyHanko reads it
            size *= 4  # the array goes on past this chunk
            stream.seek(start)
        stream.seek(start)
        return None

    @functools.wraps(read_array)
    def read(stream: Any, container_ref: Any, in_content_stream: Any = plain) -> Any:
        if in_content_stream is plain:
            arr = _whole(stream, container_ref)
            if arr is not None:
                return arr
        # pyHanko's own loop (ArrayObject.read_from_stream), repeated here rather than called so that a
        # nested array costs the two frames a level it costs in pyHanko
        arr = array()
        if stream.read(1) != b"[":
            raise PdfReadError("Could not read array")
        while True:
            if read_non_whitespace(stream) == b"]":
                return arr
            stream.seek(-1, 1)
            arr.append(generic.read_object(stream, container_ref, in_content_stream=in_content_stream))

    def _numbers(text: str, container_ref: Any) -> list[Any]:
        values = [real(item) if "." in item else number(item) for item in text.replace("\x00", " ").split()]
        for value in values:
            value.container_ref = container_ref
        return values

    def _built(text: str, container_ref: Any) -> Any:
        if "[" not in text:
            return array(_numbers(text, container_ref))
        arr = array()
        for inner, item in _ITEMS.findall(text):
            if item:
                value = real(item) if "." in item else number(item)
            else:
                value = array(_numbers(inner, container_ref))
            value.container_ref = container_ref
            arr.append(value)
        return arr

    setattr(read, _PATCHED, True)
    return read


def fast_number_arrays() -> None:
    """Read PDF arrays of plain numbers in one pass (see the module docstring; idempotent)."""
    from pyhanko.pdf_utils import generic

    current = generic.ArrayObject.__dict__["read_from_stream"].__func__
    if not getattr(current, _PATCHED, False):
        generic.ArrayObject.read_from_stream = staticmethod(_number_arrays(current, generic))  # type: ignore[method-assign]


_NAME = re.compile(rb"/([^ \n\r\t\f\x00()<>\[\]{}/%]*)")  # §7.3.5: up to white-space or a delimiter
_PLAIN_NAME = re.compile(rb"[!\"$-~]*")  # printable ASCII without '#': nothing to decode


def _one_pass_names(read_name: Callable[[Any], Any], generic: Any) -> Callable[[Any], Any]:
    name, decode = generic.NameObject, generic._decode_name

    @functools.wraps(read_name)
    def read(stream: Any) -> Any:
        start = stream.tell()
        buf = stream.read(128)
        found = _NAME.match(buf)
        if found is not None and (found.end() < len(buf) or len(buf) < 128):  # the end is in this chunk
            stream.seek(start + found.end())
            body = found.group(1)
            return name("/" + body.decode("ascii")) if _PLAIN_NAME.fullmatch(body) else decode(body)
        stream.seek(start)
        return read_name(stream)

    setattr(read, _PATCHED, True)
    return read


# what pyHanko writes as it is (every other byte becomes #XX): printable ASCII but '#' and the delimiters
_PLAIN_NAME_BYTES = re.compile(
    b"/[" + b"".join(re.escape(bytes([c])) for c in range(0x21, 0x7F) if c not in b"#()<>[]{}/%") + b"]*"
)


def _whole_names(write_name: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(write_name)
    def write(self: Any, stream: Any, handler: Any = None, container_ref: Any = None) -> None:
        data = self.encode("utf8")
        if _PLAIN_NAME_BYTES.fullmatch(data) is None:
            return write_name(self, stream, handler, container_ref)
        stream.write(data)
        return None

    setattr(write, _PATCHED, True)
    return write


def fast_names() -> None:
    """Read PDF names in one pass and write the plain ones in one piece (see the module docstring; idempotent)."""
    from pyhanko.pdf_utils import generic

    name = generic.NameObject
    current = name.__dict__["read_from_stream"].__func__
    if not getattr(current, _PATCHED, False):
        name.read_from_stream = staticmethod(_one_pass_names(current, generic))  # type: ignore[method-assign]
    if not getattr(name.__dict__["write_to_stream"], _PATCHED, False):
        name.write_to_stream = _whole_names(name.__dict__["write_to_stream"])  # type: ignore[method-assign]


def memoized_name_matching(maxsize: int = 4096) -> None:
    """Keep asn1crypto's prepared name values by the exact bytes of each name part (see the module docstring;
    idempotent)."""
    from asn1crypto import x509 as asn1_x509

    rdn = asn1_x509.RelativeDistinguishedName
    get_values = rdn.__dict__["_get_values"]
    if getattr(get_values, _PATCHED, False):
        return

    @functools.lru_cache(maxsize=maxsize)
    def by_der(der: bytes) -> dict[str, str]:
        parsed = rdn.load(der)
        return dict(get_values(parsed, parsed))

    @functools.wraps(get_values)
    def values(self: Any, part: Any) -> dict[str, str]:
        return dict(by_der(part.dump()))

    setattr(values, _PATCHED, True)
    rdn._get_values = values

    # Whole names too: pyHanko matches every certificate of a CMS value against its signer's issuer, and
    # certvalidator files every certificate by its names' ``hashable`` form. Both answers are functions of the
    # exact encodings alone (computed on objects parsed from them, so nothing is kept on a caller's object).
    seq = asn1_x509.RDNSequence
    seq_eq, seq_hashable = seq.__dict__["__eq__"], seq.__dict__["hashable"].fget

    @functools.lru_cache(maxsize=maxsize)
    def equal_by_der(a: bytes, b: bytes) -> bool:
        return bool(seq_eq(seq.load(a), seq.load(b)))

    @functools.lru_cache(maxsize=maxsize)
    def hashable_by_der(der: bytes) -> str:
        return str(seq_hashable(seq.load(der)))

    @functools.wraps(seq_eq)
    def equal(self: Any, other: Any) -> bool:
        return isinstance(other, seq) and equal_by_der(self.dump(), other.dump())

    @functools.wraps(seq_hashable)
    def hashable(self: Any) -> str:
        return hashable_by_der(self.dump())

    setattr(equal, _PATCHED, True)
    setattr(hashable, _PATCHED, True)
    seq.__eq__ = equal
    seq.hashable = property(hashable)


def quiet_dsa_warning() -> None:
    """Hide the ``CryptographyDeprecationWarning: DSA is deprecated`` that pyHanko's imports of the
    DSA key types raise (cryptography 48+): it speaks to library authors, not to our users (esign never
    makes DSA seals). Only that warning, only from pyHanko's modules."""
    import warnings

    from cryptography.utils import CryptographyDeprecationWarning

    warnings.filterwarnings(
        "ignore", message="DSA is deprecated", category=CryptographyDeprecationWarning, module=r"pyhanko\."
    )


def defer_pyhanko_signing() -> None:
    """Import ``pyhanko.sign`` as an empty package whose ``__init__`` runs on first use of one of its names.

    ``import pyhanko.sign.validation`` then loads the validation modules only; ``from pyhanko.sign import
    signers``, ``pyhanko.sign.PdfSigner`` and the like run the real ``__init__`` first (once, under a lock),
    so every caller sees the package it expects. Does nothing once ``pyhanko.sign`` has been imported.
    """
    if "pyhanko.sign" in sys.modules:
        return
    spec = importlib.util.find_spec("pyhanko.sign")
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return
    loader = spec.loader
    package = importlib.util.module_from_spec(spec)
    lock = threading.Lock()

    def load_on_first_use(name: str) -> Any:
        with lock:
            if package.__dict__.get("__getattr__") is load_on_first_use:
                del package.__dict__["__getattr__"]
                loader.exec_module(package)
        return getattr(package, name)

    package.__dict__["__getattr__"] = load_on_first_use
    sys.modules["pyhanko.sign"] = package
    import pyhanko

    pyhanko.sign = package  # type: ignore[attr-defined]  # what the import system does for a submodule


def apply() -> None:
    """Patch asn1crypto's ``dump`` methods and quiet cryptography's byte count of names (idempotent)."""
    warnings.filterwarnings("ignore", message="Attribute's length must be >= 1 and <= 64", category=UserWarning)
    for cls in (core.Asn1Value, core.Choice, core.Primitive, core.Sequence, core.SequenceOf):
        dump = cls.__dict__.get("dump")
        if dump is not None and not getattr(dump, _PATCHED, False):
            cls.dump = _definite_lengths_kept(dump)
