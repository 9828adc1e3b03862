"""A cheaper proof that an incremental update only added a document's first validation data (PAdES B-LT).

pyHanko's difference analysis, esign's second opinion on the changes after a signature
(:mod:`esign.verify.revisions`), starts by walking every object of the document to learn where each one is
used, so its cost grows with the pages. For the update a B-LT stamp ends with, which esign's own analysis
(:mod:`esign.verify.changes`) already found to touch nothing but the DSS, :func:`adds_first_dss_only` gives the
same assurance from the bytes of the file, and pyHanko is not asked. It holds only if all of this holds
(otherwise pyHanko is asked, as before):

1. **A plain file**: cross-reference tables only (no cross-reference streams, hybrid sections or object streams,
   in any revision), no encryption, every cross-reference entry pointing at its own object header, no two at the
   same place.
2. **The shape of a first DSS** (ISO 32000-2 §12.8.4.3): the update rewrites the catalog, whose only change is a
   /DSS entry it did not have; the DSS is a new dictionary of /Type, /Certs, /CRLs, /OCSPs and /VRI whose arrays
   are direct arrays of references to streams, and whose /VRI entries (keys as pyHanko's DSS rule requires; new
   dictionaries, direct or not) hold /Cert, /CRL and /OCSP arrays of the same kind, a /TS stream, /TU and /Type.
   The update writes nothing else, except the XMP metadata stream the catalog already named (rewritten in place,
   well-formed XMP by pyHanko's own check of it), and the trailer keeps its /Root and /Info.
3. **Nobody else uses what the update wrote**: the whole file is searched for references ``n g R`` as pyHanko
   reads them (white-space between the parts; leading zeros and signs allowed, the generation ignored), strings
   included, the data of a stream in a region over 32 KiB aside once its dictionary's end is found by tokens
   (strings, comments, hex strings stepped over). Each reference is charged to the object body (or
   cross-reference section) whose region holds it, a region running from a cross-reference entry's offset to
   the next; every entry must point into its own revision, no two at one place. An object the update added or
   rewrote (the catalog aside, whose other entries are unchanged) may be named only where the shape names it,
   exactly as often: the catalog's /DSS and /Metadata (each body of the catalog read by pyHanko), the DSS and
   its VRI entries. So a reference the signed revision made to an object number that did not exist yet (a
   dangling reference the update revives), or metadata that is also page content, sends the document to
   pyHanko, who refuses both.

Not covered (pyHanko is asked): a DSS added again or updated, document time-stamps, object streams, anything
an incremental update may do besides adding validation data.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterator
from itertools import pairwise, repeat

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import HistoricalResolver, PdfFileReader
from pyhanko.pdf_utils.xref import XRefSectionType
from pyhanko.sign.diff_analysis import MetadataUpdateRule, SuspiciousModification
from pyhanko.sign.diff_analysis.constants import VRI_KEY_PATTERN

from esign.verify.changes import _diff_keys
from esign.verify.structure import RevisionLayout

__all__ = ["adds_first_dss_only"]

_Ref = tuple[int, int]

_DSS_KEYS = frozenset({"/Type", "/Certs", "/CRLs", "/OCSPs", "/VRI"})
_DSS_ARRAYS = frozenset({"/Certs", "/CRLs", "/OCSPs"})
_VRI_KEYS = frozenset({"/Type", "/Cert", "/CRL", "/OCSP", "/TU", "/TS"})
_VRI_ARRAYS = frozenset({"/Cert", "/CRL", "/OCSP"})

# ISO 32000-1 §7.2.2 white-space (plus VT, which some readers take for one) and comments between tokens.
# The tokens that decide where a body's dictionary ends (strings, comments and hex strings are stepped over,
# dictionaries counted; the body ends at stream or endobj).
_TOKEN = re.compile(
    rb"(?P<str>\()"
    rb"|(?P<com>%[^\r\n]*+)"
    rb"|(?P<open><<)"
    rb"|(?P<close>>>)"
    rb"|(?P<hex><[^>]*+>)"
    rb"|(?<![A-Za-z0-9#/])(?P<end>stream|endobj|startxref)(?![A-Za-z0-9])"
)
_STRING_PART = re.compile(rb"\\[\s\S]|[()]")
_Expected = dict[object, Counter[int]]
_HEADER = re.compile(rb"[\x00\t\n\x0c\r ]*([0-9]+)[\x00\t\n\x0c\r ]+([0-9]+)[\x00\t\n\x0c\r ]+obj(?![A-Za-z0-9])")


def adds_first_dss_only(data: bytes, reader: PdfFileReader, layout: RevisionLayout, revision: int) -> bool:
    """Whether ``revision`` (>= 1) of ``data`` provably only added the document's first DSS (and refreshed its
    XMP metadata), per the module docstring. False says nothing: pyHanko is then asked."""
    try:
        return _first_dss_only(data, reader, layout, revision)
    except Exception:  # whatever surprises us here is pyHanko's to judge
        return False


def _key(ref: generic.Reference | generic.IndirectObject) -> _Ref:
    r = ref.reference if isinstance(ref, generic.IndirectObject) else ref
    return (r.idnum, r.generation)


def _first_dss_only(data: bytes, reader: PdfFileReader, layout: RevisionLayout, revision: int) -> bool:
    xrefs = reader.xrefs
    if reader.encrypted or not 0 < revision < xrefs.total_revisions or xrefs.refs_freed_in_revision(revision):
        return False
    for j in range(xrefs.total_revisions):
        section = xrefs.get_xref_data(j)
        kind = xrefs.get_xref_container_info(j).xref_section_type
        if kind is not XRefSectionType.STANDARD or section.xrefs_in_objstm:
            return False
    old, new = reader.get_historical_resolver(revision - 1), reader.get_historical_resolver(revision)
    root, old_root = new.trailer_view.raw_get("/Root"), old.trailer_view.raw_get("/Root")
    if not isinstance(root, generic.IndirectObject) or not isinstance(old_root, generic.IndirectObject):
        return False
    if _key(root) != _key(old_root) or _trailer_ref(new, "/Info") != _trailer_ref(old, "/Info"):
        return False
    catalog, old_catalog = new.get_object(root.reference), old.get_object(root.reference)
    if not isinstance(catalog, generic.DictionaryObject) or not isinstance(old_catalog, generic.DictionaryObject):
        return False
    if "/DSS" in old_catalog or _diff_keys(old_catalog, catalog) != {"/DSS"}:
        return False
    dss = catalog.raw_get("/DSS")
    changed = {_key(r) for r in xrefs.explicit_refs_in_revision(revision)}

    def is_new(r: _Ref) -> bool:
        return r in changed and xrefs.get_introducing_revision(generic.Reference(*r)) == revision

    if not isinstance(dss, generic.IndirectObject) or not is_new(_key(dss)):
        return False
    # 2. The shape: who names whom inside the new DSS.
    names: dict[_Ref, Counter[int]] = {}
    if not _dss_shape(new, _key(dss), names, is_new):
        return False
    written = {_key(root)} | {r for r in names if r in changed}
    written |= {t for held in names.values() for t in _refs_of(held, changed)}
    metadata = catalog.raw_get("/Metadata") if "/Metadata" in catalog else None
    meta = _key(metadata) if isinstance(metadata, generic.IndirectObject) else None
    if meta is not None and meta in changed:
        if is_new(meta) or not _well_formed_xmp(old, new, generic.Reference(*meta)):
            return False
        written.add(meta)
    if written != changed or not all(is_new(r) for r in changed - {_key(root), meta}):
        return False
    # 3. Nobody else names what the update wrote.
    targets = {r[0] for r in changed - {_key(root)}}
    expected = _catalog_mentions(reader, _key(root), targets, _key(dss), meta)
    if expected is None:
        return False
    for holder, held in names.items():
        expected[(holder[0], revision)] = Counter({n: c for n, c in held.items() if n in targets})
    return _mentions_agree(data, reader, layout, targets, expected)


def _trailer_ref(resolver: HistoricalResolver, key: str) -> _Ref | None:
    trailer = resolver.trailer_view
    value = trailer.raw_get(key) if key in trailer else None
    return _key(value) if isinstance(value, generic.IndirectObject) else None


def _refs_of(held: Counter[int], changed: set[_Ref]) -> Iterator[_Ref]:
    return (r for r in changed if r[0] in held)


def _is_stream_ref(resolver: HistoricalResolver, value: object) -> bool:
    return isinstance(value, generic.IndirectObject) and isinstance(
        resolver.get_object(value.reference), generic.StreamObject
    )


def _dss_shape(
    resolver: HistoricalResolver, ref: _Ref, names: dict[_Ref, Counter[int]], is_new: Callable[[_Ref], bool]
) -> bool:
    """The DSS at ``ref`` has the shape of the module docstring; ``names`` gets, per dictionary object, the object
    numbers its body names."""
    dss = resolver.get_object(generic.Reference(*ref))
    named: Counter[int] = Counter()
    names[ref] = named
    if not _dict_shape(resolver, dss, _DSS_KEYS, _DSS_ARRAYS, named):
        return False
    assert isinstance(dss, generic.DictionaryObject)
    vri = dss.raw_get("/VRI") if "/VRI" in dss else None
    if vri is None:
        return True
    if not isinstance(vri, generic.DictionaryObject) or isinstance(vri, generic.StreamObject):
        return False
    for key in vri.keys():
        value = vri.raw_get(key)
        if not VRI_KEY_PATTERN.match(key):
            return False
        if isinstance(value, generic.IndirectObject):
            entry_ref = _key(value)
            if not is_new(entry_ref) or entry_ref in names:
                return False
            named[entry_ref[0]] += 1
            names[entry_ref] = entry_named = Counter[int]()
            entry = resolver.get_object(value.reference)
        else:
            entry, entry_named = value, named
        if not _dict_shape(resolver, entry, _VRI_KEYS, _VRI_ARRAYS, entry_named):
            return False
    return True


def _dict_shape(
    resolver: HistoricalResolver, d: object, allowed: frozenset[str], arrays: frozenset[str], named: Counter[int]
) -> bool:
    if not isinstance(d, generic.DictionaryObject) or isinstance(d, generic.StreamObject):
        return False
    if not set(d.keys()) <= allowed:
        return False
    for key in d.keys():
        value = d.raw_get(key)
        if key in arrays:
            if not isinstance(value, generic.ArrayObject) or not all(_is_stream_ref(resolver, v) for v in value):
                return False
            named.update(_key(v)[0] for v in value)
        elif key == "/TS":
            if not _is_stream_ref(resolver, value):
                return False
            named[_key(value)[0]] += 1
        elif key in ("/Type", "/TU"):
            if not isinstance(value, generic.NameObject | generic.TextStringObject | generic.ByteStringObject):
                return False
        elif key != "/VRI":
            return False
    return True


def _well_formed_xmp(old: HistoricalResolver, new: HistoricalResolver, ref: generic.Reference) -> bool:
    """pyHanko's own check of a metadata update (well-formed XML, no entities, an XMP root), before and after."""
    try:
        for resolver in (old, new):
            MetadataUpdateRule.is_well_formed_xml(generic.Reference(ref.idnum, ref.generation, resolver))
    except SuspiciousModification:
        return False
    return True


def _catalog_mentions(
    reader: PdfFileReader, root: _Ref, targets: set[int], dss: _Ref, meta: _Ref | None
) -> _Expected | None:
    """Per body of the catalog (object number, revision), the targets it may name: its /Metadata, and its /DSS in
    the update; None when pyHanko reads it naming a target anywhere else."""
    out: _Expected = {}
    for j in range(reader.xrefs.total_revisions):
        if root[0] not in reader.xrefs.get_xref_data(j).standard_xrefs:
            continue
        body = reader.get_historical_resolver(j).get_object(generic.Reference(*root))
        if not isinstance(body, generic.DictionaryObject):
            return None
        allowed: Counter[int] = Counter()
        for key in body.keys():
            for ref in _all_refs(body.raw_get(key)):
                if ref[0] not in targets:
                    continue
                if (key, ref) not in (("/Metadata", meta), ("/DSS", dss)):
                    return None
                allowed[ref[0]] += 1
        out[(root[0], j)] = allowed
    return out


def _all_refs(value: object) -> Iterator[_Ref]:
    stack = [value]
    while stack:
        cur = stack.pop()
        if isinstance(cur, generic.IndirectObject):
            yield _key(cur)
        elif isinstance(cur, generic.DictionaryObject):
            stack.extend(cur.raw_get(k) for k in cur.keys())
        elif isinstance(cur, generic.ArrayObject):
            stack.extend(cur)


def _mentions_agree(
    data: bytes, reader: PdfFileReader, layout: RevisionLayout, targets: set[int], expected: _Expected
) -> bool:
    """Every body and trailer region names the targets exactly as often as ``expected`` says (0 when not listed).

    A region runs from a cross-reference entry's offset (or a cross-reference section) to the next one; each is
    read whole (a string naming a target counts too), except the data of a stream in a large region, skipped once
    the tokens before it show where its dictionary ends."""
    xrefs = reader.xrefs
    # The body at each listed offset: its object number and revision (two maps of plain integers, no
    # object per entry for the garbage collector to follow).
    numbers: dict[int, int] = {}
    revisions: dict[int, int] = {}
    bounds = {len(data)}
    listed = 0
    for j in range(xrefs.total_revisions):
        first = 0 if j == 0 else layout.line_ends[j - 1]
        xref_start = xrefs.get_xref_container_info(j).start_location
        entries = xrefs.get_xref_data(j).standard_xrefs
        offsets = [offset for _gen, offset in entries.values()]
        if first is None or (offsets and not first <= min(offsets) <= max(offsets) < xref_start):
            return False  # a body outside its own revision
        numbers.update(zip(offsets, entries, strict=True))
        revisions.update(zip(offsets, repeat(j)))
        listed += len(offsets)
        bounds.add(xref_start)
    if len(numbers) != listed:
        return False  # two entries at one place
    edges = sorted(bounds.union(numbers))
    skips = []
    for start, stop in [(a, b) for a, b in pairwise(edges) if b - a > _LARGE and a in numbers]:
        header = _HEADER.match(data, start)
        end = _body_end(data, header.end(), stop) if header is not None else None
        if header is None or int(header.group(1)) != numbers[start] or end is None:
            return False
        skips.append((end, stop))
    seen: dict[object, Counter[int]] = {}
    named = _naming(targets)
    view = memoryview(data)
    pos = 0
    for skip_start, skip_stop in [*skips, (len(data), len(data))]:
        backwards = bytearray(view[pos:skip_start])
        backwards.reverse()  # in place: a third of the time of a [::-1] copy
        for m in named.finditer(backwards):
            q = skip_start - 1 - m.start()  # the R, forwards
            region = edges[bisect_right(edges, q) - 1] if q >= edges[0] else -1
            owner = (numbers[region], revisions[region]) if region in numbers else region
            seen.setdefault(owner, Counter())[int(m.group(1)[::-1])] += 1
        pos = skip_stop
    return all(seen.get(k, Counter()) == expected.get(k, Counter()) for k in {*seen, *expected})


_LARGE = 32 * 1024


def _naming(targets: set[int]) -> re.Pattern[bytes]:
    """References ``n g R`` to the ``targets``, as pyHanko reads them (white-space between the parts, here also NUL
    and VT; leading zeros and signs allowed, any generation), matched in the reversed bytes: starting with ``R``,
    the search skips ahead like a literal search instead of trying every digit."""
    numbers = b"|".join(str(n).encode()[::-1] for n in sorted(targets, reverse=True))
    ws = rb"[\x00\t\n\x0b\x0c\r ]++"
    return re.compile(rb"R" + ws + rb"[0-9]++[+-]?" + ws + rb"(" + numbers + rb")0*+[+-]?(?![0-9])")


def _body_end(data: bytes, start: int, stop: int) -> int | None:
    """Where a body's parsed part ends: just after ``endobj``, or after ``stream`` and its end of line when
    ``stream`` follows the body's dictionary; None when neither comes before ``stop`` as it should."""
    depth, pos = 0, start
    while (m := _TOKEN.search(data, pos, stop)) is not None:
        kind, pos = m.lastgroup, m.end()
        if kind == "str":
            pos = _string_end(data, pos)
        elif kind == "open":
            depth += 1
        elif kind == "close":
            depth -= 1
        elif kind == "end":
            word = m.group("end")
            if depth or word == b"startxref":
                return None
            if word == b"endobj":
                return pos
            if not _after_dict(data, m.start()):
                return None
            if data.startswith(b"\r\n", pos):
                return pos + 2
            return pos + 1 if data[pos : pos + 1] in (b"\r", b"\n") else None
    return None


def _after_dict(data: bytes, keyword: int) -> bool:
    """The ``stream`` keyword at ``keyword`` follows a dictionary's ``>>`` (white-space between)."""
    return data[max(0, keyword - 64) : keyword].rstrip(b"\x00\t\n\x0c\r ").endswith(b">>")


def _string_end(data: bytes, pos: int) -> int:
    """Just past the literal string whose ``(`` ends at ``pos`` (nested parentheses, backslash escapes)."""
    depth = 1
    while depth:
        m = _STRING_PART.search(data, pos)
        if m is None:
            return len(data)
        pos = m.end()
        if m.group() == b"(":
            depth += 1
        elif m.group() == b")":
            depth -= 1
    return pos
