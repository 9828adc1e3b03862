"""Reading an OFD's signature structures (GB/T 33190-2016 §18): the signature list of each document
(``Signatures.xml``), each signature's description (``Signature.xml``: SignedInfo with Provider,
SignatureMethod, SignatureDateTime, References, StampAnnot, Seal; SignedValue) and the page tree
(``Document.xml`` Pages, Annotations) that tells a verifier what each file of the package is.

Only reading and naming: nothing here judges a signature (that is :mod:`esign.ofd.verify`). A
structure that cannot be read raises the package's :class:`~esign.errors.InputError` codes, or is
recorded as a problem of that one signature (:attr:`OfdSignature.problems`).
"""

from __future__ import annotations

import base64
import binascii
import math
from dataclasses import dataclass, field

from lxml import etree

from esign.errors import InputError
from esign.ofd.package import OfdPackage
from esign.ofd.xml import q

__all__ = [
    "CHECK_METHODS",
    "DocumentLayout",
    "OfdSignature",
    "Reference",
    "StampAnnot",
    "read_layout",
    "read_signatures",
    "signature_lists",
]

#: CheckMethod values accepted (GB/T 33190 §18.2.2 names the algorithm; producers write a name or the OID).
CHECK_METHODS = {
    "sm3": "sm3",
    "1.2.156.10197.1.401": "sm3",
    "sha256": "sha256",
    "sha-256": "sha256",
    "2.16.840.1.101.3.4.2.1": "sha256",
}


@dataclass(frozen=True)
class Reference:
    """One ``References/Reference``: a file of the package and the digest the signer saw."""

    path: str
    """Package path of ``FileRef`` ("" when the reference itself is unusable)."""
    check_value: bytes | None
    """The decoded ``CheckValue`` (None: absent or not base64)."""


@dataclass(frozen=True)
class StampAnnot:
    """One ``StampAnnot``: where the seal picture is shown."""

    id: str
    page_ref: str
    """``PageRef``: the ID of a page in Document.xml."""
    boundary: tuple[float, ...] | None
    """``Boundary`` x y w h in mm (None when not four finite numbers)."""


@dataclass(frozen=True)
class OfdSignature:
    """One signature of a document, as its files say (nothing verified)."""

    id: str
    """``Signature/@ID`` in Signatures.xml."""
    type: str
    """``Seal`` (电子签章) or ``Sign`` (电子签名)."""
    path: str
    """Package path of its Signature.xml."""
    xml: bytes
    """Signature.xml exactly as stored (what the SES_Signature's dataHash covers)."""
    signed_value_path: str | None
    """Package path of SignedValue.dat."""
    seal_path: str | None
    """Package path of ``Seal/BaseLoc`` (Seal.esl), if named."""
    check_method: str | None
    """``sm3`` / ``sha256``; None for anything else (the raw value is in ``check_method_raw``)."""
    check_method_raw: str
    references: tuple[Reference, ...]
    stamp_annots: tuple[StampAnnot, ...]
    signature_method: str
    signature_time: str
    """``SignatureDateTime`` as written (a claim)."""
    provider: str
    problems: tuple[str, ...] = field(default=())
    """What could not be read (English, for the report's findings)."""


@dataclass(frozen=True)
class DocumentLayout:
    """What each file of one document is: its pages, in order, and their annotation files."""

    document: str
    """Package path of Document.xml."""
    page_ids: tuple[str, ...]
    """``Page/@ID`` in page order."""
    page_paths: tuple[str, ...]
    """Content.xml of each page, in page order."""
    annotations: str | None
    """Package path of Annotations.xml."""
    annotation_pages: dict[str, int] = field(default_factory=dict)
    """Package path of a page's annotation file → 1-based page number."""


def _attr(el: etree._Element, name: str) -> str:
    return str(el.get(name) or "").strip()


def _text(el: etree._Element | None) -> str:
    return "" if el is None else (el.text or "").strip()


def _safe_resolve(pkg: OfdPackage, base: str, ref: str, problems: list[str], what: str) -> str | None:
    try:
        return pkg.resolve(base, ref)
    except InputError:
        problems.append(f"{what} {ref[:80]!r} is not a path inside the package")
        return None


def read_layout(pkg: OfdPackage, document: str) -> DocumentLayout:
    """The pages and annotation files of the document whose Document.xml is at ``document``."""
    root = pkg.xml(document)
    ids: list[str] = []
    paths: list[str] = []
    for page in root.iter(q("Page")):
        ids.append(_attr(page, "ID"))
        paths.append(pkg.resolve(document, _attr(page, "BaseLoc")))
    annots_el = root.find(q("Annotations"))
    annots = pkg.resolve(document, _text(annots_el)) if _text(annots_el) else None
    pages: dict[str, int] = {}
    if annots is not None and annots in pkg:
        for el in pkg.xml(annots).iter(q("Page")):
            loc = _text(el.find(q("FileLoc")))
            page_id = _attr(el, "PageID")
            if loc and page_id in ids:
                try:
                    pages[pkg.resolve(annots, loc)] = ids.index(page_id) + 1
                except InputError:
                    continue
    return DocumentLayout(document, tuple(ids), tuple(paths), annots, pages)


def signature_lists(pkg: OfdPackage) -> list[tuple[str, str | None]]:
    """(Document.xml, Signatures.xml or None) for each DocBody of OFD.xml."""
    out = []
    for body in pkg.xml("OFD.xml").iter(q("DocBody")):
        doc = _text(body.find(q("DocRoot")))
        sigs = _text(body.find(q("Signatures")))
        if not doc:
            continue
        out.append((pkg.resolve("OFD.xml", doc), pkg.resolve("OFD.xml", sigs) if sigs else None))
    return out


def _b64(value: str) -> bytes | None:
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def _boundary(value: str) -> tuple[float, ...] | None:
    try:
        nums = tuple(float(v) for v in value.split())
    except ValueError:
        return None
    return nums if len(nums) == 4 and all(math.isfinite(n) for n in nums) else None


def _read_one(pkg: OfdPackage, sig_id: str, sig_type: str, path: str) -> OfdSignature:
    problems: list[str] = []
    data = pkg.read(path)
    root = pkg.xml(path)
    info = root.find(q("SignedInfo"))
    if root.tag != q("Signature") or info is None:
        problems.append("Signature.xml has no ofd:Signature/ofd:SignedInfo")
        info = etree.Element(q("SignedInfo"))
    sv_text = _text(root.find(q("SignedValue")))
    sv = _safe_resolve(pkg, path, sv_text, problems, "SignedValue") if sv_text else None
    if not sv_text:
        problems.append("Signature.xml names no SignedValue")
    seal_loc = _text(info.find(f"{q('Seal')}/{q('BaseLoc')}"))
    seal = _safe_resolve(pkg, path, seal_loc, problems, "Seal BaseLoc") if seal_loc else None
    refs_el = info.find(q("References"))
    method_raw = "" if refs_el is None else _attr(refs_el, "CheckMethod")
    refs: list[Reference] = []
    for ref in [] if refs_el is None else refs_el.iter(q("Reference")):
        loc = _attr(ref, "FileRef")
        target = _safe_resolve(pkg, path, loc, problems, "Reference FileRef") if loc else None
        refs.append(Reference(target or "", _b64(_text(ref.find(q("CheckValue"))))))
    annots = tuple(
        StampAnnot(_attr(a, "ID"), _attr(a, "PageRef"), _boundary(_attr(a, "Boundary")))
        for a in info.iter(q("StampAnnot"))
    )
    provider = info.find(q("Provider"))
    return OfdSignature(
        id=sig_id,
        type=sig_type,
        path=path,
        xml=data,
        signed_value_path=sv,
        seal_path=seal,
        check_method=CHECK_METHODS.get(method_raw.lower()),
        check_method_raw=method_raw,
        references=tuple(refs),
        stamp_annots=annots,
        signature_method=_text(info.find(q("SignatureMethod"))),
        signature_time=_text(info.find(q("SignatureDateTime"))),
        provider="" if provider is None else _attr(provider, "ProviderName"),
        problems=tuple(problems),
    )


def read_signatures(pkg: OfdPackage, signatures_xml: str, *, limit: int) -> list[OfdSignature]:
    """The signatures listed in ``signatures_xml``, in list order; more than ``limit`` is refused."""
    entries = list(pkg.xml(signatures_xml).iter(q("Signature")))
    if len(entries) > limit:
        raise InputError(
            f"OFD 文件中的签章超过 {limit} 个，拒绝处理。",
            f"The OFD holds more than {limit} signatures; refused.",
            code="too_many_signatures",
            field="file",
        )
    out = []
    for el in entries:
        sig_id, sig_type, loc = _attr(el, "ID"), _attr(el, "Type") or "Seal", _attr(el, "BaseLoc")
        try:
            out.append(_read_one(pkg, sig_id, sig_type, pkg.resolve(signatures_xml, loc)))
        except InputError as e:  # this signature's files are unreadable; the others are still judged
            out.append(_unreadable(sig_id, sig_type, loc, e))
    return out


def _unreadable(sig_id: str, sig_type: str, loc: str, e: InputError) -> OfdSignature:
    return OfdSignature(
        id=sig_id,
        type=sig_type,
        path=loc[:200],
        xml=b"",
        signed_value_path=None,
        seal_path=None,
        check_method=None,
        check_method_raw="",
        references=(),
        stamp_annots=(),
        signature_method="",
        signature_time="",
        provider="",
        problems=(f"Signature.xml {loc[:80]!r} cannot be read: [{e.code}] {e.message_en}",),
    )
