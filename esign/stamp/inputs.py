"""Looking at an incoming PDF before anything is stamped on it.

:func:`inspect_pdf` opens untrusted bytes with pyHanko's reader and returns a frozen
:class:`PdfInfo`: the pages as a viewer shows them, encryption, existing and empty signature
fields, a PDF/A claim, the cross-reference style and the producer. Every refusal is an
:class:`~esign.errors.InputError` (or :class:`~esign.errors.TooLargeError`) with a stable code.

Guarantees: the input is read, never modified; the work done is bounded by the input's size and by
explicit limits on page-tree depth, page count and field nesting, so a hostile file ends in an error,
not a hang or an escaping ``RecursionError``. Not verified: whether existing signatures are valid
(that is :mod:`esign.verify`), or whether a PDF/A claim is true.
"""

from __future__ import annotations

import contextlib
import decimal
import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.crypt import AuthStatus, StandardSecurityHandler
from pyhanko.pdf_utils.reader import PdfFileReader

from esign import budget
from esign.errors import EsignError, InputError, TooComplexError, TooLargeError
from esign.stamp.geometry import Box, PageGeometry

__all__ = [
    "MAX_PAGES",
    "MAX_TREE_DEPTH",
    "PageInfo",
    "PdfInfo",
    "SignatureField",
    "describe",
    "inspect_pdf",
    "open_reader",
    "require_stampable",
]

MAX_PAGES = budget.MAX_PAGES
"""More pages than this is refused as ``too_complex`` (:mod:`esign.budget`)."""

MAX_TREE_DEPTH = 64
"""Deepest page tree or form-field tree accepted."""

_HEADER_WINDOW = 1024  # ISO 32000 lets readers find %PDF- within the first 1024 bytes
_LETTER = Box(0, 0, 612, 792)  # what readers assume when a page has no MediaBox at all
_XMP_WINDOW = 1 << 20


@dataclass(frozen=True)
class PageInfo:
    """One page as a viewer shows it."""

    index: int
    """0-based position in the document."""

    media_box: Box
    """The MediaBox in user space (inherited values resolved; Letter when absent)."""

    crop_box: Box
    """The CropBox clipped to the MediaBox (the MediaBox when absent): the visible region."""

    rotate: int
    """Clockwise display rotation, normalised to 0, 90, 180 or 270."""

    user_unit: float
    """Points per user-space unit (``/UserUnit``; 1 for practically every file)."""

    width_mm: float
    """Visible width in millimetres, after rotation."""

    height_mm: float
    """Visible height in millimetres, after rotation."""

    object_id: tuple[int, int] | None = None
    """The page object's number and generation (None for a page that is not an indirect object)."""

    @property
    def geometry(self) -> PageGeometry:
        """Conversions between the visible page in mm and user space."""
        return PageGeometry(self.crop_box, self.rotate, self.user_unit)


@dataclass(frozen=True)
class SignatureField:
    """A signature form field (``/FT /Sig``) and its first widget."""

    name: str
    """Fully qualified field name (partial names joined by dots)."""

    signed: bool
    """True when the field already holds a signature value (``/V``)."""

    page_index: int | None
    """0-based page of the widget; None when the widget is on no page."""

    rect: Box | None
    """Widget rectangle in the page's user space; None when it has none."""


@dataclass(frozen=True)
class PdfInfo:
    """What :func:`inspect_pdf` found. Describes the file; holds no document bytes or secrets."""

    size_bytes: int
    """Length of the input."""

    version: str
    """Version from the header, e.g. ``"1.7"``."""

    pages: tuple[PageInfo, ...]
    """Every page, in document order."""

    encrypted: bool
    """The file is encrypted (it was opened with the given password, or with the empty one)."""

    signatures: tuple[str, ...]
    """Names of signature fields that already carry a signature."""

    empty_signature_fields: tuple[SignatureField, ...]
    """Signature fields waiting for a signature."""

    pdfa: str | None
    """PDF/A claim from the XMP ``pdfaid`` schema, e.g. ``"2B"``; None without one. Not checked."""

    xref_stream: bool
    """The cross-reference data is (at least partly) in xref streams."""

    object_streams: bool
    """Some objects are stored compressed in object streams."""

    producer: str | None
    """``/Producer`` from the Info dictionary (else from XMP); None when absent."""

    revisions: int
    """Number of revisions (1 + incremental updates)."""

    form_drawn_by_viewer: bool = False
    """Filled-in form fields that only the viewer draws (``/NeedAppearances``): a signature turns
    that off, so their values would vanish from view (see :func:`require_stampable`)."""

    @property
    def page_count(self) -> int:
        """Number of pages (at least 1: page-less files are refused)."""
        return len(self.pages)

    def page(self, number: int) -> PageInfo:
        """A page by 1-based number, negative counting from the end (-1 is the last page).

        :raises InputError: ``page_out_of_range``.
        """
        return self.pages[self.page_index(number)]

    def page_index(self, number: int) -> int:
        """The 0-based index of a 1-based (or negative, from the end) page number."""
        n = len(self.pages)
        if number == 0 or not -n <= number <= n:
            raise InputError(
                f"页码 {number} 超出范围：文件共 {n} 页（从 1 开始，负数从末页倒数）",
                f"page {number} is out of range: the document has {n} pages (numbered from 1, negative from the end)",
                code="page_out_of_range",
                field="page",
                page=number,
                page_count=n,
            )
        return number - 1 if number > 0 else n + number


def _malformed(detail: str) -> InputError:
    return InputError(
        f"PDF 文件已损坏或不完整，无法读取（{detail}）",
        f"the PDF is damaged or truncated and cannot be read ({detail})",
        code="pdf_malformed",
    )


def _too_complex(detail: str) -> TooComplexError:
    return TooComplexError(
        f"PDF 文件结构过于复杂，拒绝处理（{detail}）",
        f"the PDF's structure is too complex to process ({detail})",
        field="file",
    )


def _check_stream(stream: BinaryIO, max_bytes: int) -> int:
    size = stream.seek(0, io.SEEK_END)
    stream.seek(0)
    if not size:
        raise InputError("上传的文件是空的", "the input is empty", code="empty_input")
    if size > max_bytes:
        raise TooLargeError(
            f"文件过大：{size} 字节，上限 {max_bytes} 字节",
            f"the file is too large: {size} bytes, the limit is {max_bytes}",
            code="too_large",
            size=size,
            max_bytes=max_bytes,
        )
    head = stream.read(_HEADER_WINDOW)
    stream.seek(0)
    if b"%PDF-" not in head:
        raise InputError("上传的文件不是 PDF 文件", "the input is not a PDF file", code="not_pdf")
    return size


def open_reader(source: bytes | BinaryIO, *, password: str | None = None, max_bytes: int) -> PdfFileReader:
    """A pyHanko reader on ``source`` (the bytes, or a seekable binary file), size-checked and decrypted.

    An encrypted file without a password is tried with the empty user password (files that only
    restrict permissions open that way in every viewer). A file is read as needed, not loaded.
    Everything read through the reader is charged to a per-document :class:`esign.budget.Meter`.

    :raises InputError: ``empty_input``, ``not_pdf``, ``pdf_malformed``,
        ``pdf_encrypted``, ``pdf_wrong_password``, ``pdf_encryption_unsupported``.
    :raises TooComplexError: ``too_complex`` (:mod:`esign.budget`).
    :raises TooLargeError: ``too_large``.
    """
    stream = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    size = _check_stream(stream, max_bytes)
    meter = budget.Meter.for_size(size)
    with meter.active(), _wrapped("reading the cross-reference data"):
        # strict=False: real producers write slightly irregular files that every viewer accepts
        reader = budget.open_reader(stream, strict=False, meter=meter)
        encrypted = reader.encrypted
    if encrypted:
        with meter.active():
            _decrypt(reader, password)
    return reader


def _decrypt(reader: PdfFileReader, password: str | None) -> None:
    with _wrapped("reading the encryption dictionary"):
        handler = reader.security_handler
        if not isinstance(handler, StandardSecurityHandler):
            raise InputError(
                "PDF 文件使用证书加密，不支持；请上传未加密的文件",
                "the PDF is encrypted for certificate holders, which is not supported; upload an unencrypted file",
                code="pdf_encryption_unsupported",
            )
        status = reader.decrypt(password if password is not None else "").status
    if status != AuthStatus.FAILED:
        return
    if password is None:
        raise InputError(
            "PDF 文件已加密，请提供打开密码",
            "the PDF is encrypted; a password is needed to open it",
            code="pdf_encrypted",
            field="password",
        )
    raise InputError(
        "PDF 文件的打开密码不正确", "the password for the PDF is wrong", code="pdf_wrong_password", field="password"
    )


class _wrapped:
    """Turn whatever the parser raises on hostile or broken input into our errors."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        if exc is None or isinstance(exc, EsignError) or not isinstance(exc, Exception):
            return None
        budget.checkpoint()  # a budget crossed inside the parser is the reason, not what it broke
        if isinstance(exc, RecursionError):
            raise _too_complex(f"objects nested too deeply while {self.what}") from exc
        if isinstance(exc, MemoryError):
            raise _too_complex(f"out of memory while {self.what}") from exc
        # Any other failure inside the parser means the bytes are not a usable PDF.
        raise _malformed(f"{type(exc).__name__} while {self.what}: {exc}"[:300]) from exc


def inspect_pdf(data: bytes, *, password: str | None = None, max_bytes: int) -> PdfInfo:
    """Open ``data`` and describe it; see the module docstring for what is and is not checked.

    :raises InputError: as :func:`open_reader`, plus ``pdf_no_pages``.
    :raises TooLargeError: ``too_large``.
    """
    return describe(open_reader(data, password=password, max_bytes=max_bytes))


def require_stampable(info: PdfInfo) -> None:
    """Refuse a document whose visible content a signature would change.

    :raises InputError: ``pdf_form_needs_appearances`` - filled-in form fields that the viewer draws
        (LibreOffice's "create PDF form" export): signing must turn ``/NeedAppearances`` off, and the
        values would disappear from view.
    """
    if info.form_drawn_by_viewer:
        raise InputError(
            "该 PDF 表单中已填写的内容由阅读器临时绘制，盖章签名后将不再显示。"
            "请在导出 PDF 时取消“创建 PDF 表单”，或先“打印为 PDF”，再上传。",
            "the PDF's filled-in form fields are drawn by the viewer (NeedAppearances) and would no longer "
            "show once signed; export without 'create PDF form', or print to PDF, and upload again",
            code="pdf_form_needs_appearances",
        )


def describe(reader: PdfFileReader) -> PdfInfo:
    """Describe the document ``reader`` holds (from :func:`open_reader`). The objects it reads stay
    in the reader's cache, so a writer made from the same reader does not parse them again.

    :raises InputError: ``pdf_malformed``, ``pdf_no_pages``.
    :raises TooComplexError: ``too_complex``.
    """
    meter = budget.meter_of(reader)
    with meter.active() if meter is not None else contextlib.nullcontext():
        info = _describe(reader)
        budget.checkpoint()
    return info


def _describe(reader: PdfFileReader) -> PdfInfo:
    with _wrapped("reading the page tree"):
        root = reader.root
        if not isinstance(root, generic.DictionaryObject):
            raise _malformed("the document catalog is not a dictionary")
        pages, annot_pages = _read_pages(reader, root)
    if not pages:
        raise InputError("PDF 文件没有任何页面", "the PDF has no pages", code="pdf_no_pages")
    with _wrapped("reading the form fields"):
        fields, filled = _read_fields(root, annot_pages)
        form = _get(root, "/AcroForm")
        need = _get(form, "/NeedAppearances") if isinstance(form, generic.DictionaryObject) else None
        viewer_drawn = filled and isinstance(need, generic.BooleanObject) and bool(need.value)
    with _wrapped("reading the metadata"):
        xmp = _xmp_bytes(root)
        producer = _producer(reader, xmp)
        revisions = reader.xrefs.total_revisions
        object_streams = any(reader.xrefs.object_streams_used_in(r) for r in range(revisions))
    return PdfInfo(
        size_bytes=reader.stream.seek(0, io.SEEK_END),
        version="{}.{}".format(*reader.input_version),
        pages=tuple(pages),
        encrypted=reader.encrypted,
        signatures=tuple(f.name for f in fields if f.signed),
        empty_signature_fields=tuple(f for f in fields if not f.signed),
        pdfa=_pdfa_claim(xmp),
        xref_stream=bool(reader.has_xref_stream),
        object_streams=object_streams,
        producer=producer,
        revisions=revisions,
        form_drawn_by_viewer=bool(viewer_drawn),
    )


# ------------------------------------------------------------------------------------------- pages


def _box(value: Any) -> Box | None:
    """A rectangle from a PDF array; None if it is not four numbers."""
    if isinstance(value, generic.IndirectObject):
        value = value.get_object()
    if not isinstance(value, list) or len(value) != 4:
        return None
    nums = []
    for v in value:
        v = v.get_object() if isinstance(v, generic.IndirectObject) else v
        num = _number(v)
        if num is None:
            return None
        nums.append(num)
    try:
        return Box.from_corners(*nums)
    except ValueError:
        return None


def _get(d: Mapping[str, Any], key: str, default: Any = None) -> Any:
    """``d[key]`` dereferenced, or ``default`` (pyHanko's ``dict.get`` does not dereference)."""
    return d[key] if key in d else default


def _number(value: Any) -> float | None:
    """A finite number from a PDF numeric object (pyHanko's reals are Decimals), else None."""
    if isinstance(value, generic.IndirectObject):
        value = value.get_object()
    if isinstance(value, bool) or not isinstance(value, int | float | decimal.Decimal):
        return None
    try:
        num = float(value)
    except (ValueError, OverflowError):
        return None
    return num if math.isfinite(num) else None


def _read_pages(reader: PdfFileReader, root: generic.DictionaryObject) -> tuple[list[PageInfo], dict[int, int]]:
    """Walk the page tree iteratively with inheritance, cycle and size limits.

    Returns the pages and a map from annotation object number to page index. Each page object is
    dropped from the reader's cache once read, so memory does not grow with the page count; a
    writer finds a page again by its ``object_id``.
    """
    pages: list[PageInfo] = []
    annot_pages: dict[int, int] = {}
    if "/Pages" not in root:
        return pages, annot_pages
    seen: set[int] = set()
    # (node reference or object, inherited attributes, depth); reversed kids keep document order
    stack: list[tuple[Any, dict[str, Any], int]] = [(root.raw_get("/Pages"), {}, 0)]
    while stack:
        ref, inherited, depth = stack.pop()
        if depth > MAX_TREE_DEPTH:
            raise _too_complex(f"page tree deeper than {MAX_TREE_DEPTH}")
        if isinstance(ref, generic.IndirectObject):
            if ref.idnum in seen:
                raise _malformed("the page tree contains a cycle or a repeated page")
            seen.add(ref.idnum)
        node = ref.get_object()
        if not isinstance(node, generic.DictionaryObject):
            raise _malformed("a page tree node is not a dictionary")
        attrs = dict(inherited)
        for key in ("/MediaBox", "/CropBox", "/Rotate"):
            if key in node:
                attrs[key] = node[key]
        if "/Kids" in node and _get(node, "/Type") != "/Page":
            kids = node["/Kids"]
            if not isinstance(kids, generic.ArrayObject):
                raise _malformed("a page tree node's /Kids is not an array")
            if len(pages) + len(stack) + len(kids) > MAX_PAGES * 2:
                raise _too_complex(f"more than {MAX_PAGES} pages")
            for i in range(len(kids) - 1, -1, -1):
                stack.append((kids.raw_get(i), attrs, depth + 1))
            continue
        if len(pages) >= MAX_PAGES:
            raise _too_complex(f"more than {MAX_PAGES} pages")
        if len(pages) % 64 == 0:
            budget.checkpoint()
        index = len(pages)
        object_id = (ref.idnum, ref.generation) if isinstance(ref, generic.IndirectObject) else None
        pages.append(_page_info(index, node, attrs, object_id))
        annots = _get(node, "/Annots")
        if isinstance(annots, generic.ArrayObject):
            for i in range(len(annots)):
                a = annots.raw_get(i)
                if isinstance(a, generic.IndirectObject):
                    annot_pages.setdefault(a.idnum, index)
        if object_id is not None:
            reader.resolved_objects.pop((object_id[1], object_id[0]), None)
    return pages, annot_pages


def _page_info(
    index: int, node: generic.DictionaryObject, attrs: dict[str, Any], object_id: tuple[int, int] | None
) -> PageInfo:
    if "/MediaBox" in attrs:
        media = _box(attrs["/MediaBox"])
        if media is None or media.is_empty:
            raise _malformed(f"page {index + 1} has an unusable MediaBox")
    else:
        media = _LETTER
    crop = _box(attrs["/CropBox"]) if "/CropBox" in attrs else None
    crop = (crop.intersection(media) if crop is not None else None) or media
    raw_rotate = _number(_get(attrs, "/Rotate", 0)) or 0.0
    # viewers ignore a rotation that is not a multiple of 90
    rotate = int(raw_rotate) % 360 if raw_rotate.is_integer() and raw_rotate % 90 == 0 else 0
    unit = _number(_get(node, "/UserUnit", 1)) or 1.0
    user_unit = unit if 0 < unit < 1e4 else 1.0
    geometry = PageGeometry(crop, rotate, user_unit)
    w_mm, h_mm = geometry.visible_size_mm
    return PageInfo(index, media, crop, rotate, user_unit, w_mm, h_mm, object_id)


# ------------------------------------------------------------------------------------------ fields


def _read_fields(root: generic.DictionaryObject, annot_pages: dict[int, int]) -> tuple[list[SignatureField], bool]:
    """The signature fields, and whether any other field holds a value."""
    form = _get(root, "/AcroForm")
    if not isinstance(form, generic.DictionaryObject):
        return [], False
    top = _get(form, "/Fields")
    if not isinstance(top, generic.ArrayObject):
        return [], False
    out: list[SignatureField] = []
    filled = False
    seen: set[int] = set()
    # (reference, parent's qualified name, inherited /FT, inherited /V, depth)
    stack: list[tuple[Any, str, Any, Any, int]] = [
        (top.raw_get(i), "", None, None, 0) for i in range(len(top) - 1, -1, -1)
    ]
    while stack:
        ref, parent_name, parent_ft, parent_value, depth = stack.pop()
        if depth > MAX_TREE_DEPTH:
            raise _too_complex(f"form fields nested deeper than {MAX_TREE_DEPTH}")
        if isinstance(ref, generic.IndirectObject):
            if ref.idnum in seen:
                continue
            seen.add(ref.idnum)
        node = ref.get_object()
        if not isinstance(node, generic.DictionaryObject):
            continue
        partial = _get(node, "/T")
        name = parent_name if partial is None else (f"{parent_name}.{partial}" if parent_name else str(partial))
        ft = _get(node, "/FT", parent_ft)
        value = _get(node, "/V", parent_value)
        kids = _get(node, "/Kids")
        child_fields = []
        widgets = []
        if isinstance(kids, generic.ArrayObject):
            for i in range(len(kids)):
                k = kids.raw_get(i)
                kobj = k.get_object()
                if isinstance(kobj, generic.DictionaryObject) and "/T" in kobj:
                    child_fields.append(k)
                else:
                    widgets.append(k)
        else:
            widgets.append(ref)
        for k in reversed(child_fields):
            stack.append((k, name, ft, value, depth + 1))
        if ft != "/Sig" and not child_fields:
            filled = filled or value not in (None, "", "/Off")
        if ft != "/Sig" or partial is None:
            continue
        signed = isinstance(_get(node, "/V"), generic.DictionaryObject)
        page_index, rect = _widget_location(widgets, annot_pages)
        out.append(SignatureField(name, signed, page_index, rect))
    return out, filled


def _widget_location(widgets: list[Any], annot_pages: dict[int, int]) -> tuple[int | None, Box | None]:
    for w in widgets:
        wobj = w.get_object()
        if not isinstance(wobj, generic.DictionaryObject):
            continue
        rect = _box(_get(wobj, "/Rect"))
        page_index = annot_pages.get(w.idnum) if isinstance(w, generic.IndirectObject) else None
        return page_index, rect
    return None, None


# ---------------------------------------------------------------------------------------- metadata


def _xmp_bytes(root: generic.DictionaryObject) -> bytes:
    meta = _get(root, "/Metadata")
    if not isinstance(meta, generic.StreamObject):
        return b""
    return bytes(meta.data[:_XMP_WINDOW])


_PDFA_PART = re.compile(rb"pdfaid:part\s*(?:=\s*[\"'](\d)[\"']|>\s*(\d)\s*<)")
_PDFA_CONF = re.compile(rb"pdfaid:conformance\s*(?:=\s*[\"']([A-Za-z])[\"']|>\s*([A-Za-z])\s*<)")
_XMP_PRODUCER = re.compile(rb"pdf:Producer\s*(?:=\s*\"([^\"<]{0,500})\"|>([^<]{0,500})<)")


def _pdfa_claim(xmp: bytes) -> str | None:
    # A regular expression, not an XML parser: only a claim is reported, and untrusted XML with
    # entity tricks never reaches a parser this way.
    part = _PDFA_PART.search(xmp)
    if part is None:
        return None
    conf = _PDFA_CONF.search(xmp)
    level = (conf.group(1) or conf.group(2)).decode().upper() if conf else ""
    return (part.group(1) or part.group(2)).decode() + level


def _producer(reader: PdfFileReader, xmp: bytes) -> str | None:
    info = _get(reader.trailer_view, "/Info")
    if isinstance(info, generic.DictionaryObject):
        value = _get(info, "/Producer")
        if isinstance(value, str) and value:
            return value[:500]
    found = _XMP_PRODUCER.search(xmp)
    if found:
        return (found.group(1) or found.group(2)).decode("utf-8", "replace").strip() or None
    return None
