"""Stamping an OFD with the township's GB/T 38540 seal (GB/T 33190-2016 §18, signatures).

What is added, as ofdrw's ``OFDSigner`` does it (ofdrw-sign ``OFDSigner.exeSign``; its continue-sign
mode; element order of ofdrw-core's ``Signature``/``SignedInfo``/``References`` and the standard's
schema):

* the document's signature list (``Doc_N/Signs/Signatures.xml``, created and named in OFD.xml's
  ``DocBody/Signatures`` if absent) gets a ``Signature`` (ID = MaxSignId + 1, Type="Seal");
* ``Sign_K/Seal.esl`` — the seal's SES_Seal, byte for byte;
* ``Sign_K/Signature.xml`` — SignedInfo: Provider (esign, its version, Company = the county),
  SignatureMethod 1.2.156.10197.1.501, SignatureDateTime (Beijing time), References with
  CheckMethod SM3 (1.2.156.10197.1.401) and the base64 SM3 CheckValue of every file of the package
  except ``Signatures.xml`` (as ofdrw: earlier signatures' files are protected too), one StampAnnot
  per impression (PageRef, Boundary in mm; a 骑缝 slice also has a Clip), the Seal's BaseLoc;
* ``Sign_K/SignedValue.dat`` — an SES_Signature (:func:`esign.ses.sign`) whose dataHash is
  SM3(Signature.xml), propertyInfo the Signature.xml's path (as ofdrw), time-stamped by the SM2 TSA.

The QR code to ``/v/{entry_id}`` goes on the seal's page as an annotation (Doc_N/Annots, Type
"Stamp", an ImageObject of a PNG in DocumentRes) where no text, image or path lies; its Remark is
``esign:entry=<entry_id>`` and its Parameter ``esign.verify`` the URL (what esign.ofd's verifier reads).
On a document an earlier signature protects (Document.xml among its References) nothing protected is
rewritten: the QR annotation would need Document.xml changed, so it is left out there (``qr=False``)
and the earlier signature stays intact. A signature list that an earlier signature protects refuses
any further signature (``ofd_signatures_locked``, as ofdrw).
"""

from __future__ import annotations

import base64
import datetime as dt
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from esign import __version__
from esign.budget import Budget, Meter
from esign.errors import InputError
from esign.localtime import zone_of
from esign.ofd.layout import OfdPage, Rect, find_keyword, free_spot, occupied, pages
from esign.ofd.package import OfdPackage, write_package
from esign.ofd.xml import OFD_NS, parse_xml, q
from esign.pki.sm2 import SM2_WITH_SM3_OID, SM3_OID, Sm2Signing, sm3
from esign.ses.signature import Timestamper, sign
from esign.stamp.placement import AtKeyword, AtPosition, Placement

__all__ = ["QR_MM", "SEAL_MM", "OfdPlan", "OfdSigner", "OfdStamped", "check_ofd", "prepare", "stamp_ofd"]

SEAL_MM = 42.0
"""Diameter of the township seal (GB/T 38540 picture 42 mm × 42 mm)."""
QR_MM = 18.0
"""Side of the QR code (esign.appearance.qr_artwork's default)."""


@dataclass(frozen=True)
class OfdSigner:
    """Who signs: the seal data, the seal's SM2 key and certificate, the SM2 TSA."""

    seal: bytes
    key: Sm2Signing
    cert: bytes
    timestamper: Timestamper | None
    company: str


@dataclass(frozen=True)
class OfdStamped:
    data: bytes
    impressions: int
    sign_path: str
    qr: bool


def _refuse(code: str, zh: str, en: str, **data: object) -> InputError:
    return InputError(zh, en, code=code, field="placement" if code.startswith("placement") else "file", **data)


class _Parts:
    """The package's files as they will be written; an edited XML part is written back in the
    namespace its producer gave that part (keyword.ofd mixes two), with the ``ofd`` prefix."""

    def __init__(self, pkg: OfdPackage) -> None:
        self.pkg = pkg
        self.files = pkg.files()
        self._ns: dict[str, str] = {}

    def xml(self, name: str) -> etree._Element:
        root = self.pkg.xml(name)
        self._ns[name] = etree.QName(parse_xml(self.pkg.read(name), name)).namespace or OFD_NS
        return root

    def put_xml(self, name: str, root: etree._Element) -> None:
        ns = self._ns.get(name, OFD_NS)
        if ns != OFD_NS or root.prefix != "ofd":
            root = _copy_in(root, ns)
        self.files[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _copy_in(src: etree._Element, ns: str, parent: etree._Element | None = None) -> etree._Element:
    """A copy of ``src`` with its OFD elements in namespace ``ns`` under the ``ofd`` prefix."""

    def tag(el: etree._Element) -> str:
        name = etree.QName(el)
        return f"{{{ns}}}{name.localname}" if name.namespace == OFD_NS else str(el.tag)

    out = etree.Element(tag(src), nsmap={"ofd": ns}) if parent is None else etree.SubElement(parent, tag(src))
    for k, v in src.attrib.items():
        out.set(k, v)
    out.text, out.tail = src.text, src.tail
    for child in src:
        if isinstance(child.tag, str):
            _copy_in(child, ns, out)
    return out


def _el(parent: etree._Element | None, local: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.Element(q(local), nsmap={"ofd": OFD_NS}) if parent is None else etree.SubElement(parent, q(local))
    for k, v in attrs.items():
        el.set(k, v)
    if text is not None:
        el.text = text
    return el


def _fmt(*values: float) -> str:
    return " ".join(f"{v:.3f}".rstrip("0").rstrip(".") for v in values)


def _page_index(n: int, count: int) -> int:
    i = n - 1 if n > 0 else count + n
    if not 0 <= i < count or n == 0:
        raise _refuse(
            "page_out_of_range",
            f"页码 {n} 超出文档范围（共 {count} 页）。",
            f"Page {n} is outside the document ({count} pages).",
        )
    return i


def _inside(page: OfdPage, cx: float, cy: float, size: float) -> Rect:
    px, py, pw, ph = page.box
    if size > pw or size > ph:
        raise _refuse("placement_off_page", "页面小于印章。", "The page is smaller than the seal.")
    x = min(max(cx - size / 2, px), px + pw - size)
    y = min(max(cy - size / 2, py), py + ph - size)
    return (x, y, size, size)


def _resolve(pkg: OfdPackage, doc_pages: list[OfdPage], placement: Placement) -> tuple[OfdPage, Rect]:
    count = len(doc_pages)
    if isinstance(placement, AtPosition):
        page = doc_pages[_page_index(placement.page, count)]
        cx, cy = page.box[0] + placement.x_mm, page.box[1] + placement.y_mm
        box = (cx - SEAL_MM / 2, cy - SEAL_MM / 2, SEAL_MM, SEAL_MM)
        px, py, pw, ph = page.box
        if (
            box[0] < px - 1e-6
            or box[1] < py - 1e-6
            or box[0] + SEAL_MM > px + pw + 1e-6
            or box[1] + SEAL_MM > py + ph + 1e-6
        ):
            raise _refuse(
                "placement_off_page",
                f"印章超出第 {page.index + 1} 页（页面 {pw:.0f}×{ph:.0f} 毫米）。",
                f"The seal would fall off page {page.index + 1} (the page is {pw:.0f}×{ph:.0f} mm).",
                page=page.index + 1,
            )
        return page, box
    if isinstance(placement, AtKeyword):
        texts = placement.candidates
        where = _page_index(placement.page, count) if placement.page is not None else None
        hit = find_keyword(pkg, doc_pages, texts, where)
        if hit is None:
            raise _refuse(
                "keyword_not_found",
                f"文档中找不到定位关键字“{'、'.join(texts)}”。",
                f"The keyword {' / '.join(texts)!r} is not in the document.",
            )
        page, (x, y, w, h) = hit
        return page, _inside(page, x + w / 2 + placement.offset_x_mm, y + h / 2 + placement.offset_y_mm, SEAL_MM)
    raise _refuse(
        "placement_unsupported_ofd",
        "OFD 文档不支持按签名域盖章，请用坐标或关键字。",
        "OFD documents have no signature fields: place the seal by position or keyword.",
    )


def _impressions(
    doc_pages: list[OfdPage], placement: Placement, main: tuple[OfdPage, Rect]
) -> list[tuple[OfdPage, Rect, Rect | None]]:
    """(page, Boundary, Clip) of every StampAnnot: the main seal, repeated seals, 骑缝 slices."""
    page, box = main
    out: list[tuple[OfdPage, Rect, Rect | None]] = [(page, box, None)]
    for n in placement.also_on_pages:
        other = doc_pages[_page_index(n, len(doc_pages))]
        if other.index != page.index:
            out.append((other, _inside(other, box[0] + SEAL_MM / 2, box[1] + SEAL_MM / 2, SEAL_MM), None))
    if placement.riding_seal:
        count = len(doc_pages)
        if count < 2:
            raise _refuse("riding_seal_single_page", "骑缝章需要至少两页。", "A riding seal needs at least two pages.")
        part = SEAL_MM / count
        for p in doc_pages:  # slice i of the seal at the right edge of page i (ofdrw RidingStampPos)
            px, py, pw, ph = p.box
            y = py + (ph - SEAL_MM) / 2
            out.append((p, (px + pw - part * (p.index + 1), y, SEAL_MM, SEAL_MM), (part * p.index, 0, part, SEAL_MM)))
    return out


def _signature_list(parts: _Parts, doc: str) -> tuple[str, etree._Element]:
    """The document's Signatures.xml (path, root); created and named in OFD.xml when absent."""
    ofd = parts.xml("OFD.xml")
    for body in ofd.iterfind(q("DocBody")):
        root_el = body.find(q("DocRoot"))
        if root_el is None or parts.pkg.resolve("OFD.xml", root_el.text or "") != doc:
            continue
        sigs = body.find(q("Signatures"))
        if sigs is not None and (sigs.text or "").strip():
            path = parts.pkg.resolve("OFD.xml", sigs.text or "")
            if path in parts.files:
                return path, parts.xml(path)
        else:
            path = posixpath.join(posixpath.dirname(doc), "Signs", "Signatures.xml")
            sigs = etree.Element(q("Signatures"))
            sigs.text = "/" + path
            after = body.find(q("Versions"))
            (after if after is not None else root_el).addnext(sigs)
            parts.put_xml("OFD.xml", ofd)
        root = _el(None, "Signatures")
        _el(root, "MaxSignId", "0")
        return path, root
    raise _refuse("ofd_malformed", "OFD.xml 中找不到该文档。", "OFD.xml does not list the document.")


def _protected(parts: _Parts, sig_list: str, root: etree._Element) -> set[str]:
    """Package paths protected by the signatures already in the list."""
    out: set[str] = set()
    for s in root.iterfind(q("Signature")):
        path = parts.pkg.resolve(sig_list, s.get("BaseLoc", ""))
        if path not in parts.files:
            continue
        for ref in parts.xml(path).iter(q("Reference")):
            out.add(parts.pkg.resolve(path, ref.get("FileRef", "")))
    if sig_list in out:
        raise _refuse(
            "ofd_signatures_locked",
            "该 OFD 已有签名保护了签名列表（Signatures.xml），不允许再加盖印章。",
            "An earlier signature protects the signature list (Signatures.xml): no further seal may be added.",
        )
    return out


def _next_id(doc_root: etree._Element) -> Callable[[], str]:
    common = doc_root.find(q("CommonData"))
    assert common is not None
    max_el = common.find(q("MaxUnitID"))
    if max_el is None:
        max_el = etree.Element(q("MaxUnitID"))
        max_el.text = "0"
        common.insert(0, max_el)
    holder = max_el

    def take() -> str:
        value = int(re.sub(r"\D", "", holder.text or "")[:18] or 0) + 1
        holder.text = str(value)
        return str(value)

    return take


def _add_qr(
    parts: _Parts, doc: str, page: OfdPage, box: Rect, png: bytes, entry_id: str, url: str, at: dt.datetime
) -> None:
    """The QR code as a page annotation with an ImageObject of a PNG in DocumentRes."""
    pkg, doc_root = parts.pkg, parts.xml(doc)
    take = _next_id(doc_root)
    common = doc_root.find(q("CommonData"))
    assert common is not None
    res_el = common.find(q("DocumentRes"))
    if res_el is None:
        res_el = etree.Element(q("DocumentRes"))
        res_el.text = "DocumentRes.xml"
        anchors = common.findall(q("PublicRes")) or common.findall(q("PageArea")) or common.findall(q("MaxUnitID"))
        anchors[-1].addnext(res_el)
    res_path = pkg.resolve(doc, res_el.text or "")
    res = parts.xml(res_path) if res_path in parts.files else _el(None, "Res")
    if res_path not in parts.files:  # our own resource file keeps its media under Res/
        res.set("BaseLoc", "Res")
    # an existing one keeps its BaseLoc (or none: then media sit beside it), so its own media still resolve
    base = res.get("BaseLoc") or ""
    media_name = f"esign_qr_{entry_id}.png"
    parts.files[pkg.resolve(res_path, posixpath.join(base, media_name) if base else media_name)] = png
    medias = res.find(q("MultiMedias"))
    if medias is None:
        medias = _el(res, "MultiMedias")
    res_id = take()
    media = _el(medias, "MultiMedia", ID=res_id, Type="Image", Format="PNG")
    _el(media, "MediaFile", media_name)
    parts.put_xml(res_path, res)

    annots_el = doc_root.find(q("Annotations"))
    if annots_el is None:
        annots_el = etree.Element(q("Annotations"))
        annots_el.text = "Annots/Annotations.xml"
        later = [doc_root.find(q(n)) for n in ("CustomTags", "Attachments", "Extensions")]
        first = next((e for e in later if e is not None), None)
        (first.addprevious(annots_el) if first is not None else doc_root.append(annots_el))
    annots_path = pkg.resolve(doc, annots_el.text or "")
    annots = parts.xml(annots_path) if annots_path in parts.files else _el(None, "Annotations")
    page_el = next((p for p in annots.iterfind(q("Page")) if p.get("PageID") == page.page_id), None)
    if page_el is None:
        page_el = _el(annots, "Page", PageID=page.page_id)
        _el(page_el, "FileLoc", f"Page_{page.index}/Annotation.xml")
    file_loc = page_el.find(q("FileLoc"))
    assert file_loc is not None
    page_annots_path = pkg.resolve(annots_path, file_loc.text or "")
    page_annots = parts.xml(page_annots_path) if page_annots_path in parts.files else _el(None, "PageAnnot")
    annot = _el(
        page_annots,
        "Annot",
        ID=take(),
        Type="Stamp",
        Creator="esign",
        LastModDate=at.astimezone(zone_of()).date().isoformat(),
        ReadOnly="true",
        Print="true",
    )
    _el(annot, "Remark", f"esign:entry={entry_id}")
    params = _el(annot, "Parameters")
    _el(params, "Parameter", url, Name="esign.verify")
    appearance = _el(annot, "Appearance", Boundary=_fmt(*box))
    w, h = box[2], box[3]
    _el(appearance, "ImageObject", ID=take(), ResourceID=res_id, Boundary=_fmt(0, 0, w, h), CTM=_fmt(w, 0, 0, h, 0, 0))
    parts.put_xml(page_annots_path, page_annots)
    parts.put_xml(annots_path, annots)
    parts.put_xml(doc, doc_root)


_Impression = tuple[OfdPage, Rect, Rect | None]
_Prepared = tuple[_Parts, str, list[OfdPage], tuple[str, etree._Element], set[str], list[_Impression]]


def _prepare(data: bytes, placement: Placement, budget: Budget | Meter | None) -> _Prepared:
    """The package read, the document's pages, its signature list, what earlier signatures protect,
    and every impression resolved — all the refusals happen here."""
    pkg = OfdPackage.from_bytes(data, budget=budget)
    parts = _Parts(pkg)
    roots = pkg.doc_roots()
    doc = roots[0] if roots else ""
    if doc not in pkg:
        raise _refuse("ofd_missing_part", "OFD.xml 未指向文档。", "OFD.xml names no document.")
    doc_pages = pages(pkg, doc)
    sig_list, sigs = _signature_list(parts, doc)
    protected = _protected(parts, sig_list, sigs)
    stamps = _impressions(doc_pages, placement, _resolve(pkg, doc_pages, placement))
    return parts, doc, doc_pages, (sig_list, sigs), protected, stamps


@dataclass(frozen=True)
class OfdPlan:
    """The package and every impression resolved (what :func:`prepare` gives the preview)."""

    pkg: OfdPackage
    pages: list[OfdPage]
    stamps: list[tuple[OfdPage, Rect, Rect | None]]


def prepare(data: bytes, placement: Placement, budget: Budget | Meter | None) -> OfdPlan:
    """Read ``data`` and resolve ``placement``, refusing like :func:`stamp_ofd`."""
    parts, _doc, doc_pages, _sigs, _protected, stamps = _prepare(data, placement, budget)
    return OfdPlan(parts.pkg, doc_pages, stamps)


def check_ofd(data: bytes, placement: Placement, *, budget: Budget | Meter | None = None) -> int:
    """Refuse what :func:`stamp_ofd` would refuse, before anything is kept; returns the page count."""
    return len(_prepare(data, placement, budget)[2])


def stamp_ofd(
    data: bytes,
    placement: Placement,
    signer: OfdSigner,
    *,
    at: dt.datetime,
    entry_id: str,
    verify_url: str,
    qr_png: Callable[[], bytes] | None,
    budget: Budget | Meter | None = None,
) -> OfdStamped:
    """Stamp the first document of the OFD ``data`` (see the module docstring)."""
    parts, doc, _pages, (sig_list, sigs), protected, stamps = _prepare(data, placement, budget)
    main = (stamps[0][0], stamps[0][1])
    pkg = parts.pkg

    with_qr = qr_png is not None and doc not in protected
    if with_qr and qr_png is not None:
        page, seal_box = main
        spot = free_spot(page, occupied(pkg, page), seal_box, QR_MM)
        if spot is None:
            raise _refuse(
                "ofd_no_room_for_qr",
                f"第 {page.index + 1} 页没有不遮挡内容的空白处放置验证二维码。",
                f"Page {page.index + 1} has no free space for the verification QR code that covers no content.",
            )
        before = dict(parts.files)
        _add_qr(parts, doc, page, spot, qr_png(), entry_id, verify_url, at)
        if any(parts.files.get(n) != before[n] for n in protected if n in before):
            parts.files, with_qr = before, False  # it would rewrite a file an earlier signature protects

    signs_dir = posixpath.dirname(sig_list)
    k = 0
    while any(n.startswith(f"{signs_dir}/Sign_{k}/") for n in parts.files):
        k += 1
    sign_dir = f"{signs_dir}/Sign_{k}"
    max_el = sigs.find(q("MaxSignId"))
    if max_el is None:
        max_el = etree.Element(q("MaxSignId"))
        sigs.insert(0, max_el)
    ids = [int(s.get("ID", "")[:18]) for s in sigs.iterfind(q("Signature")) if s.get("ID", "").isdigit()]
    counter = max([int(re.sub(r"\D", "", max_el.text or "")[:18] or 0), *ids])  # keyword.ofd writes "s4"

    def next_sign_id() -> str:
        nonlocal counter
        counter += 1
        return str(counter)

    sign_id = next_sign_id()
    seal_path = f"{sign_dir}/Seal.esl"
    parts.files[seal_path] = signer.seal

    references = [(name, parts.files[name]) for name in parts.files if name != sig_list]
    signature = _el(None, "Signature")
    info = _el(signature, "SignedInfo")
    _el(info, "Provider", ProviderName="esign", Version=__version__, Company=signer.company)
    _el(info, "SignatureMethod", SM2_WITH_SM3_OID)
    _el(info, "SignatureDateTime", at.astimezone(zone_of()).strftime("%Y-%m-%d %H:%M:%S"))
    refs = _el(info, "References", CheckMethod=SM3_OID)
    for name, content in references:
        ref = _el(refs, "Reference", FileRef=f"/{name}")
        _el(ref, "CheckValue", base64.b64encode(sm3(content)).decode("ascii"))
    for page, box, clip in stamps:
        annot = _el(info, "StampAnnot", ID=next_sign_id(), PageRef=page.page_id, Boundary=_fmt(*box))
        if clip is not None:
            annot.set("Clip", _fmt(*clip))
    seal_el = _el(info, "Seal")
    _el(seal_el, "BaseLoc", f"/{seal_path}")
    _el(signature, "SignedValue", f"/{sign_dir}/SignedValue.dat")
    signature_xml = etree.tostring(signature, xml_declaration=True, encoding="UTF-8")
    sig_path = f"{sign_dir}/Signature.xml"
    parts.files[sig_path] = signature_xml
    parts.files[f"{sign_dir}/SignedValue.dat"] = sign(
        data_hash=sm3(signature_xml),
        property_info=f"/{sig_path}",
        seal=signer.seal,
        signer_key=signer.key,
        signer_cert=signer.cert,
        timestamper=signer.timestamper,
        at=at,
    )

    max_el.text = str(counter)
    entry = etree.Element(q("Signature"))
    entry.set("ID", sign_id)
    entry.set("Type", "Seal")
    entry.set("BaseLoc", f"/{sig_path}")
    last = sigs.findall(q("Signature"))
    (last[-1].addnext(entry) if last else sigs.append(entry))
    parts.put_xml(sig_list, sigs)
    return OfdStamped(write_package(parts.files), len(stamps), sig_path, with_qr)
