"""What each incremental update changed, classified object by object.

A revision may add, without making the document "changed": a signature (its signature
dictionary, its field and widget, the widget's appearance, the field's entry in /AcroForm /Fields
and in the page's /Annots), a document time-stamp (the same), validation data (the /DSS and what
it reaches), and metadata (/Info, the catalog's XMP stream) alongside one of these. Everything
else is named: which page's content, which annotation, which form field, which object.

Allowance is decided per object from the objects the revision changed: an object counts as part
of a new signature appearance or of the DSS only if it is reached from there through objects
changed in the same revision, and a pre-existing object may be rewritten only as the DSS, a
signature field being filled, /AcroForm, a page's /Annots or the catalog, each compared key by
key. So content cannot be laundered by also linking it from the DSS or an appearance.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import HistoricalResolver, PdfFileReader

from esign.verify._pdf import dget, plain
from esign.verify.report import ChangeInfo

__all__ = ["RevisionDelta", "classify_revision", "dss_updated"]

_MAX_WALK = 20000
_MAX_DEPTH = 64  # page tree levels climbed from a page to the root
_Ref = tuple[int, int]
# Catalog keys a signature, time-stamp or DSS update may change.
_CATALOG_ALLOWED = {"/DSS", "/AcroForm", "/Extensions"}
_ACROFORM_ALLOWED = {"/Fields", "/SigFlags"}
_SIGFIELD_FILL_ALLOWED = {"/V", "/AP", "/F"}
# Do not walk back up the tree: a widget's /P is its page, a field's /Parent its parent.
_NO_FOLLOW = {"/P", "/Parent"}


@dataclass
class RevisionDelta:
    """What one incremental update did."""

    revision: int
    """0-based revision number."""
    signatures: list[str] = field(default_factory=list)
    """Field names of signatures added."""
    document_timestamps: list[str] = field(default_factory=list)
    """Field names of document time-stamps added."""
    dss: bool = False
    """The DSS was added or changed."""
    other: list[ChangeInfo] = field(default_factory=list)
    """Every change that is not one of the above."""

    @property
    def validation_data_only(self) -> bool:
        """The revision changed the DSS and did nothing else (no signature, time-stamp or other change)."""
        return self.dss and not (self.signatures or self.document_timestamps or self.other)


def _key(ref: generic.Reference | generic.IndirectObject) -> _Ref:
    r = ref.reference if isinstance(ref, generic.IndirectObject) else ref
    return (r.idnum, r.generation)


def _refs_in(obj: object) -> Iterator[tuple[str | None, generic.IndirectObject]]:
    """Indirect references directly inside ``obj`` (descending into direct containers)."""
    stack: list[tuple[str | None, object]] = [(None, obj)]
    seen = 0
    while stack:
        key, cur = stack.pop()
        seen += 1
        if seen > _MAX_WALK:
            return
        cur = plain(cur)
        if isinstance(cur, generic.IndirectObject):
            yield key, cur
        elif isinstance(cur, generic.DictionaryObject):  # StreamObject is a DictionaryObject
            for k, v in cur.items():
                if k not in _NO_FOLLOW:
                    stack.append((k, v))
        elif isinstance(cur, generic.ArrayObject):
            stack.extend((key, v) for v in cur)


def _walk(resolver: HistoricalResolver, roots: list[object], within: set[_Ref] | None) -> set[_Ref]:
    """Refs reachable from ``roots``; through ``within`` only, if given."""
    out: set[_Ref] = set()
    todo = list(roots)
    while todo and len(out) < _MAX_WALK:
        cur = todo.pop()
        for _k, ind in _refs_in(cur):
            r = _key(ind)
            if r in out or (within is not None and r not in within):
                continue
            out.add(r)
            obj = _resolve(resolver, r)
            if obj is not None:
                todo.append(obj)
    return out


def _resolve(resolver: HistoricalResolver, r: _Ref) -> object:
    """The object ``r`` in ``resolver``'s revision, or None if it cannot be read."""
    try:
        return resolver.get_object(generic.Reference(*r))
    except Exception:  # a dangling or broken reference is treated as absent
        return None


def _same(a: object, b: object, depth: int = 0) -> bool:
    """Deep equality of two PDF objects (references compared by number, streams by raw data)."""
    if depth > 64:
        return False
    a, b = plain(a), plain(b)
    if isinstance(a, generic.IndirectObject) or isinstance(b, generic.IndirectObject):
        return isinstance(a, generic.IndirectObject) and isinstance(b, generic.IndirectObject) and _key(a) == _key(b)
    if isinstance(a, generic.StreamObject) or isinstance(b, generic.StreamObject):
        if not (isinstance(a, generic.StreamObject) and isinstance(b, generic.StreamObject)):
            return False
        if a.encoded_data != b.encoded_data:
            return False
        return _same_dict(a, b, depth, ignore={"/Length"})
    if isinstance(a, generic.DictionaryObject) or isinstance(b, generic.DictionaryObject):
        if not (isinstance(a, generic.DictionaryObject) and isinstance(b, generic.DictionaryObject)):
            return False
        return _same_dict(a, b, depth)
    if isinstance(a, generic.ArrayObject) or isinstance(b, generic.ArrayObject):
        if not (isinstance(a, generic.ArrayObject) and isinstance(b, generic.ArrayObject)) or len(a) != len(b):
            return False
        return all(_same(x, y, depth + 1) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _same_dict(a: generic.DictionaryObject, b: generic.DictionaryObject, depth: int, ignore: set[str] = set()) -> bool:  # noqa: B006
    ka, kb = set(a.keys()) - ignore, set(b.keys()) - ignore
    return ka == kb and all(_same(a.raw_get(k), b.raw_get(k), depth + 1) for k in ka)


def _diff_keys(a: generic.DictionaryObject, b: generic.DictionaryObject) -> set[str]:
    keys = set(a.keys()) | set(b.keys())
    return {k for k in keys if k not in a or k not in b or not _same(a.raw_get(k), b.raw_get(k))}


def _refs_list(resolver: HistoricalResolver, value: object) -> list[_Ref] | None:
    """An array of references (possibly itself indirect) as keys; None if it is not one."""
    try:
        if isinstance(value, generic.IndirectObject):
            value = resolver.get_object(value.reference)
    except Exception:
        return None
    if not isinstance(value, generic.ArrayObject):
        return None
    out = []
    for item in value:
        if not isinstance(item, generic.IndirectObject):
            return None
        out.append(_key(item))
    return out


def _appended_only(old: list[_Ref] | None, new: list[_Ref] | None, allowed: set[_Ref]) -> bool:
    """``new`` keeps every entry of ``old`` in order and adds only ``allowed`` refs."""
    if new is None:
        return False
    old = old or []
    it = iter(new)
    for r in old:
        for n in it:
            if n == r:
                break
            if n not in allowed:
                return False
        else:
            return False
    return all(n in allowed for n in it)


class _PageMap:
    """Page numbers of pages, their content streams and annotations in one revision.

    The page tree is walked on first use only: most revisions never need it (a page is recognised by
    :meth:`is_page`, and pages are named only in the description of a change nobody allowed).
    """

    def __init__(self, resolver: HistoricalResolver) -> None:
        self._resolver = resolver

    @cached_property
    def _maps(self) -> tuple[dict[_Ref, int], dict[_Ref, int], dict[_Ref, int]]:
        pages: dict[_Ref, int] = {}
        contents: dict[_Ref, int] = {}
        annots: dict[_Ref, int] = {}
        resolver = self._resolver
        try:
            root = resolver.get_object(resolver.trailer_view.raw_get("/Root").reference)
            todo: list[object] = [root.raw_get("/Pages")]
        except Exception:
            return pages, contents, annots
        seen: set[_Ref] = set()
        while todo and len(seen) < _MAX_WALK:
            ind = todo.pop(0)
            if not isinstance(ind, generic.IndirectObject) or _key(ind) in seen:
                continue
            seen.add(_key(ind))
            node = _resolve(resolver, _key(ind))
            if not isinstance(node, generic.DictionaryObject):
                continue
            if dget(node, "/Type") == "/Pages":
                kids = node.raw_get("/Kids") if "/Kids" in node else []
                if isinstance(kids, generic.IndirectObject):
                    try:
                        kids = resolver.get_object(kids.reference)
                    except Exception:
                        kids = []
                todo[0:0] = list(kids) if isinstance(kids, generic.ArrayObject) else []
                continue
            n = len(pages) + 1
            pages[_key(ind)] = n
            for _k, r in _refs_in(node.raw_get("/Contents") if "/Contents" in node else None):
                contents[_key(r)] = n
            for r2 in _refs_list(resolver, node.raw_get("/Annots") if "/Annots" in node else None) or []:
                annots[r2] = n
        return pages, contents, annots

    @property
    def pages(self) -> dict[_Ref, int]:
        return self._maps[0]

    @property
    def contents(self) -> dict[_Ref, int]:
        return self._maps[1]

    def page_of(self, r: _Ref) -> int | None:
        pages, contents, annots = self._maps
        return pages.get(r) or contents.get(r) or annots.get(r)

    def is_page(self, r: _Ref) -> bool:
        """``r`` is a page of the tree: climbing /Parent to the catalog's /Pages, each parent listing the child
        in its /Kids, proves it without the walk; anything else is decided by the walk."""
        return self._climbs_to_root(r) or r in self.pages

    def _climbs_to_root(self, r: _Ref) -> bool:
        resolver = self._resolver
        try:
            top = resolver.get_object(resolver.trailer_view.raw_get("/Root").reference).raw_get("/Pages")
        except Exception:
            return False
        node = _resolve(resolver, r)
        if not isinstance(top, generic.IndirectObject) or not isinstance(node, generic.DictionaryObject):
            return False
        if dget(node, "/Type") == "/Pages":
            return False
        child = r
        for _ in range(_MAX_DEPTH):
            parent = node.raw_get("/Parent") if "/Parent" in node else None
            if not isinstance(parent, generic.IndirectObject):
                return False
            node = _resolve(resolver, _key(parent))
            if not isinstance(node, generic.DictionaryObject) or dget(node, "/Type") != "/Pages":
                return False
            kids = _refs_list(resolver, node.raw_get("/Kids")) if "/Kids" in node else None
            if kids is None or child not in kids:
                return False
            child = _key(parent)
            if child == _key(top):
                return True
        return False


def _describe(obj: object, r: _Ref, pages: _PageMap, new: bool) -> tuple[str, int | None, str]:
    """(kind, page, detail) for a change nobody allowed."""
    verb = "added" if new else "modified"
    ref = f"{r[0]} {r[1]}"
    page = pages.page_of(r)
    if r in pages.pages:
        return "page", page, f"page {page} dictionary {verb} (object {ref})"
    if r in pages.contents:
        return "page_content", page, f"content stream of page {page} {verb} (object {ref})"
    if isinstance(obj, generic.DictionaryObject):
        subtype = dget(obj, "/Subtype")
        if "/FT" in obj or "/T" in obj:
            name = dget(obj, "/T", "?")
            return "form_field", page, f"form field {name!s} ({obj.get('/FT', '?')}) {verb} (object {ref})"
        if "/Rect" in obj and subtype is not None:
            where = f" on page {page}" if page else ""
            return f"annotation_{verb}", page, f"{subtype} annotation {verb}{where} (object {ref})"
        if dget(obj, "/Type") == "/Catalog":
            return "catalog", None, f"document catalog {verb} (object {ref})"
        if subtype in ("/Form", "/Image"):
            return "xobject", page, f"{subtype} XObject {verb} (object {ref})"
        if dget(obj, "/Type") == "/Font":
            return "font", page, f"font {verb} (object {ref})"
    return "object_" + verb, page, f"object {ref} {verb}"


def classify_revision(reader: PdfFileReader, revision: int) -> RevisionDelta:
    """Classify every change made by ``revision`` (>= 1) relative to the revision before it."""
    delta = RevisionDelta(revision)
    old = reader.get_historical_resolver(revision - 1)
    new = reader.get_historical_resolver(revision)
    xrefs = reader.xrefs
    changed = {_key(r) for r in xrefs.explicit_refs_in_revision(revision)}
    objstms = {_key(r) for r in xrefs.object_streams_used_in(revision)}
    meta = xrefs.get_xref_container_info(revision)
    structural = set(objstms)
    if meta.stream_ref is not None:
        structural.add(_key(meta.stream_ref))
    pages = _PageMap(new)

    def existed(r: _Ref) -> bool:
        try:
            return bool(xrefs.get_introducing_revision(generic.Reference(*r)) < revision)
        except KeyError:
            return False

    def get(res: HistoricalResolver, r: _Ref) -> object:
        try:
            return res.get_object(generic.Reference(*r))
        except Exception:
            return None

    def flag(r: _Ref | None, kind: str, detail: str, page: int | None = None) -> None:
        ref = None if r is None else f"{r[0]} {r[1]}"
        delta.other.append(ChangeInfo(revision=revision, kind=kind, object_ref=ref, page=page, detail=detail))

    for r in sorted({_key(x) for x in xrefs.refs_freed_in_revision(revision)}):
        flag(r, "object_deleted", f"object {r[0]} {r[1]} deleted", pages.page_of(r))

    old_trailer, new_trailer = old.trailer_view, new.trailer_view
    for k in ("/Root", "/Encrypt"):
        a, b = (
            old_trailer.raw_get(k) if k in old_trailer else None,
            new_trailer.raw_get(k) if k in new_trailer else None,
        )
        if not _same(a, b):
            flag(None, "trailer", f"trailer {k} changed")
    try:
        root_ref = _key(new_trailer.raw_get("/Root"))
        catalog = new.get_object(new_trailer.raw_get("/Root").reference)
        old_catalog = old.get_object(old_trailer.raw_get("/Root").reference)
    except Exception:
        flag(None, "catalog", "document catalog unreadable")
        return delta

    # New signature dictionaries, and the fields that carry them.
    sig_dicts: dict[_Ref, str] = {}
    for r in changed:
        obj = get(new, r)
        if isinstance(obj, generic.DictionaryObject) and (
            dget(obj, "/Type") in ("/Sig", "/DocTimeStamp") or ("/ByteRange" in obj and "/Contents" in obj)
        ):
            if existed(r):
                flag(r, "signature_modified", f"signature dictionary {r[0]} {r[1]} rewritten")
            else:
                sig_dicts[r] = str(dget(obj, "/Type", "/Sig"))
    sig_fields: dict[_Ref, str] = {}
    owner: dict[_Ref, str] = {}
    try:
        acro = dget(catalog, "/AcroForm")
        field_refs = _refs_list(new, acro.raw_get("/Fields")) if isinstance(acro, generic.DictionaryObject) else None
    except Exception:
        field_refs = None
    for fr in field_refs or []:
        fobj = get(new, fr)
        if isinstance(fobj, generic.DictionaryObject) and "/V" in fobj:
            v = fobj.raw_get("/V")
            if isinstance(v, generic.IndirectObject) and _key(v) in sig_dicts:
                sig_fields[fr] = owner[_key(v)] = str(dget(fobj, "/T", ""))
    for sr, typ in sig_dicts.items():
        name = owner.get(sr)
        if name is None:
            flag(sr, "signature_orphan", f"signature dictionary {sr[0]} {sr[1]} not attached to any form field")
            name = f"(orphan {sr[0]} {sr[1]})"
        (delta.document_timestamps if typ == "/DocTimeStamp" else delta.signatures).append(name)

    # What the new signatures, their widgets' appearances and the DSS reach through changed objects.
    widgets: set[_Ref] = set(sig_fields)
    for fr in sig_fields:
        fobj = get(new, fr)
        if isinstance(fobj, generic.DictionaryObject) and "/Kids" in fobj:
            widgets.update(_refs_list(new, fobj.raw_get("/Kids")) or [])
    new_only = {r for r in changed if not existed(r)}
    sig_reach = _walk(new, [get(new, w) for w in widgets] + [get(new, s) for s in sig_dicts], new_only)
    sig_reach |= set(sig_dicts) | widgets
    old_dss_value = old_catalog.raw_get("/DSS") if "/DSS" in old_catalog else None
    old_dss_reach = _walk(old, [old_dss_value], None) if old_dss_value is not None else set()
    dss_reach, delta.dss = _dss_update(new, old_catalog, catalog, changed)
    info = new_trailer.raw_get("/Info") if "/Info" in new_trailer else None
    metadata = catalog.raw_get("/Metadata") if "/Metadata" in catalog else None
    metadata_refs = {_key(x) for x in (info, metadata) if isinstance(x, generic.IndirectObject)}
    adds_something = bool(sig_dicts) or delta.dss

    for r in sorted(changed - structural):
        is_new = not existed(r)
        obj, before = get(new, r), (None if is_new else get(old, r))
        if r in sig_dicts:
            continue
        if not is_new and _same(obj, before):
            continue  # rewritten with identical content
        if r in dss_reach and (is_new or r in old_dss_reach):
            continue  # validation data (delta.dss is already set: r is a changed object the DSS reaches)
        if is_new and r in sig_reach:
            continue
        if r in metadata_refs and adds_something:
            continue
        if not is_new and isinstance(obj, generic.DictionaryObject) and isinstance(before, generic.DictionaryObject):
            keys = _diff_keys(before, obj)
            if r == root_ref and keys <= _CATALOG_ALLOWED:
                if "/AcroForm" in keys and not _acroform_ok(old, new, before, obj, widgets):
                    flag(r, "form_field", "/AcroForm changed beyond adding signature fields")
                continue
            if r == root_ref:
                flag(r, "catalog", f"document catalog entries {sorted(keys - _CATALOG_ALLOWED)} changed")
                continue
            if r in widgets and keys <= _SIGFIELD_FILL_ALLOWED and "/V" not in before:
                continue  # an empty signature field being signed
            if _is_acroform(old_catalog, r) and keys <= _ACROFORM_ALLOWED:
                if _acroform_ok(old, new, before, obj, widgets, direct=False):
                    continue
            if keys == {"/Annots"} and pages.is_page(r):
                old_annots = _refs_list(old, before.raw_get("/Annots")) if "/Annots" in before else []
                if _appended_only(old_annots, _refs_list(new, obj.raw_get("/Annots")), widgets):
                    continue
        if not is_new and isinstance(obj, generic.ArrayObject):
            # an indirect /Annots or /Fields array gaining signature widgets
            if _appended_only(_refs_list(old, before), _refs_list(new, obj), widgets) and _array_role(
                new, r, pages, catalog
            ):
                continue
        kind, page, detail = _describe(obj, r, pages, is_new)
        if not is_new and isinstance(obj, generic.DictionaryObject) and isinstance(before, generic.DictionaryObject):
            detail += f"; keys changed: {sorted(_diff_keys(before, obj))}"
        flag(r, kind, detail, page)
    return delta


def _dss_update(
    new: HistoricalResolver,
    old_catalog: generic.DictionaryObject,
    catalog: generic.DictionaryObject,
    changed: set[_Ref],
) -> tuple[set[_Ref], bool]:
    """The changed objects the DSS reaches through changed objects, and whether the DSS was added or changed."""
    dss_value = catalog.raw_get("/DSS") if "/DSS" in catalog else None
    if dss_value is None:
        return set(), False
    old_dss_value = old_catalog.raw_get("/DSS") if "/DSS" in old_catalog else None
    reach = _walk(new, [dss_value], changed)
    return reach, bool(reach) or not _same(dss_value, old_dss_value)


def dss_updated(reader: PdfFileReader, revision: int) -> bool:
    """Whether ``revision`` (>= 1) added or changed the DSS: :attr:`RevisionDelta.dss` of
    :func:`classify_revision`, without classifying anything else (False when the catalog cannot be read)."""
    try:
        old = reader.get_historical_resolver(revision - 1)
        new = reader.get_historical_resolver(revision)
        catalog = new.get_object(new.trailer_view.raw_get("/Root").reference)
        old_catalog = old.get_object(old.trailer_view.raw_get("/Root").reference)
        changed = {_key(r) for r in reader.xrefs.explicit_refs_in_revision(revision)}
        return _dss_update(new, old_catalog, catalog, changed)[1]
    except Exception:
        return False


def _is_acroform(old_catalog: generic.DictionaryObject, r: _Ref) -> bool:
    v = old_catalog.raw_get("/AcroForm") if "/AcroForm" in old_catalog else None
    return isinstance(v, generic.IndirectObject) and _key(v) == r


def _acroform_ok(
    old: HistoricalResolver,
    new: HistoricalResolver,
    before: generic.DictionaryObject,
    after: generic.DictionaryObject,
    widgets: set[_Ref],
    *,
    direct: bool = True,
) -> bool:
    """/AcroForm (in the catalog when ``direct``, else the dictionary itself) only gained signature fields."""
    try:
        if direct:
            a = dget(before, "/AcroForm", generic.DictionaryObject())
            b = dget(after, "/AcroForm")
            if isinstance(
                before.raw_get("/AcroForm") if "/AcroForm" in before else None, generic.IndirectObject
            ) and _same(before.raw_get("/AcroForm"), after.raw_get("/AcroForm")):
                return True
        else:
            a, b = before, after
        if not isinstance(a, generic.DictionaryObject) or not isinstance(b, generic.DictionaryObject):
            return False
        if not _diff_keys(a, b) <= _ACROFORM_ALLOWED:
            return False
        old_fields = _refs_list(old, a.raw_get("/Fields")) if "/Fields" in a else []
        new_fields = _refs_list(new, b.raw_get("/Fields")) if "/Fields" in b else []
        return _appended_only(old_fields, new_fields, widgets)
    except Exception:
        return False


def _array_role(new: HistoricalResolver, r: _Ref, pages: _PageMap, catalog: generic.DictionaryObject) -> bool:
    """The array ``r`` is a page's /Annots or the /AcroForm /Fields array."""
    for pr in pages.pages:
        page = _resolve(new, pr)
        v = page.raw_get("/Annots") if isinstance(page, generic.DictionaryObject) and "/Annots" in page else None
        if isinstance(v, generic.IndirectObject) and _key(v) == r:
            return True
    acro = dget(catalog, "/AcroForm")
    if isinstance(acro, generic.DictionaryObject) and "/Fields" in acro:
        v = acro.raw_get("/Fields")
        return isinstance(v, generic.IndirectObject) and _key(v) == r
    return False
