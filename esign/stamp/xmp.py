"""Documents whose XMP metadata packet is not well-formed XML (ISO 16684-1 requires it to be).

Some producers write one; Ghostscript 10.0's PDF 2.0 output has ``pdf:Producer=UnknownProducer``,
an attribute value without quotes. pyHanko updates the packet in every incremental update it
writes and refuses a packet it cannot parse. :func:`repair_metadata` replaces the catalog's
``/Metadata`` stream in the writer's (signed) revision before that: with the same packet,
attribute values quoted, when that makes it parse (everything is kept: PDF/A identification,
titles, dates), otherwise with a fresh packet made from the document information dictionary
(title, author, subject, creator; pyHanko adds producer and dates). The input file itself is never
changed.
"""

from __future__ import annotations

import io
import re
from enum import StrEnum

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.metadata.model import DocumentMetadata
from pyhanko.pdf_utils.metadata.xmp_xml import MetadataStream, XmpXmlProcessingError, parse_xmp, update_xmp_with_meta
from pyhanko.pdf_utils.writer import BasePdfFileWriter

__all__ = ["XmpRepair", "repair_metadata"]

#: ``name=value`` with an unquoted value inside a tag: the value is quoted.
_UNQUOTED = re.compile(rb"(\s[A-Za-z_][\w.:-]*\s*=\s*)([^\s\"'<>=/][^\s\"'<>=]*?)(?=\s|/?>)")


class XmpRepair(StrEnum):
    """What was done to a malformed XMP packet."""

    QUOTED = "quoted"
    """Attribute values were quoted; everything else is kept."""
    REPLACED = "replaced"
    """The packet could not be mended; a new one was made from the information dictionary."""

    @property
    def note(self) -> str:
        """A line for the stamp result (Chinese, then English)."""
        if self is XmpRepair.QUOTED:
            return (
                "原文件的 XMP 元数据不是合法的 XML，已在盖章修订中修正（补全属性引号，内容保留）。"
                " / The document's XMP metadata was not well-formed XML; it was mended in the stamped "
                "revision (attribute quotes added, content kept)."
            )
        return (
            "原文件的 XMP 元数据不是合法的 XML，已在盖章修订中按文档信息字典重写。"
            " / The document's XMP metadata was not well-formed XML; it was rewritten in the stamped "
            "revision from the document information dictionary."
        )


def _parses(data: bytes) -> bool:
    try:
        parse_xmp(io.BytesIO(data))
    except (XmpXmlProcessingError, ValueError, UnicodeDecodeError):
        return False
    return True


def repair_metadata(writer: BasePdfFileWriter) -> XmpRepair | None:
    """Replace the catalog's XMP packet in ``writer`` if it is not well-formed; None if it is (or
    there is none)."""
    root = writer.root
    if "/Metadata" not in root:
        return None
    try:
        meta = root["/Metadata"]
        data = meta.data if isinstance(meta, generic.StreamObject) else None
    except Exception:  # an unreadable stream is as bad as an unparsable one
        data = b""
    if data is None or _parses(data):
        return None
    mended = _UNQUOTED.sub(rb'\1"\2"', data or b"")
    if mended != data and _parses(mended):
        stream, repair = MetadataStream(stream_data=mended), XmpRepair.QUOTED
    else:
        stream, repair = MetadataStream.from_xmp(update_xmp_with_meta(_info_of(writer))), XmpRepair.REPLACED
    handler = writer.security_handler
    stream._handler = handler  # encrypted like the rest of the document
    if handler is not None and not handler.encrypt_metadata:
        stream.add_crypt_filter()  # the document keeps its metadata in the clear (as pyHanko does)
    root[pdf_name("/Metadata")] = writer.add_object(stream)
    writer.update_root()
    return repair


def _info_of(writer: BasePdfFileWriter) -> DocumentMetadata:
    """What the document information dictionary says (title, author, subject, creator)."""
    texts: dict[str, str] = {}
    try:
        info = writer.trailer_view.get("/Info")
        info = info.get_object() if info is not None else None
        for key in ("/Title", "/Author", "/Subject", "/Creator"):
            if isinstance(info, generic.DictionaryObject) and isinstance(info.get(key), generic.TextStringObject):
                texts[key] = str(info[key])
    except Exception:  # an unreadable information dictionary keeps nothing
        texts = {}
    return DocumentMetadata(
        title=texts.get("/Title"),
        author=texts.get("/Author"),
        subject=texts.get("/Subject"),
        creator=texts.get("/Creator"),
    )
