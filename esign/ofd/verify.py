"""``verify_ofd``: an OFD in, the same frozen :class:`~esign.verify.report.VerificationReport` as
:func:`esign.verify.verify_pdf` out (so the CLI, the API and /verify render it unchanged). Nothing
is modified or signed.

The package is read by :class:`~esign.ofd.package.OfdPackage` under the per-document budget
(hostile packages are refused with 4xx :class:`~esign.errors.InputError` codes). Then, for every
signature each document's ``Signatures.xml`` lists (GB/T 33190-2016 §18), in list order:

1. its files can be read: Signature.xml, SignedInfo, SignedValue (FORMAT_FAILURE otherwise);
2. every ``Reference``: the file exists and its SM3 (or SHA-256, when ``CheckMethod`` says so)
   equals ``CheckValue`` — each changed or removed file named, with its page (HASH_FAILURE); any
   other CheckMethod is CRYPTO_CONSTRAINTS_FAILURE;
3. ``StampAnnot``: ``PageRef`` names a page of Document.xml, ``Boundary`` is four numbers;
4. SignedValue.dat is an SES_Signature checked by :func:`esign.ses.verify_signature` in the
   order of GB/T 38540-2020 §7.3 with ``data`` = Signature.xml as stored (dataHash = SM3 of it:
   a changed Signature.xml or a swapped SignedValue.dat is HASH_FAILURE, named);
5. ``Seal/BaseLoc`` (Seal.esl) is the very seal inside the SES_Signature (a swapped seal file is
   HASH_FAILURE);
6. changes after signing, the OFD form of PDF's incremental updates: every file of the package
   that the signature does not protect and that is not a later signature's own file
   (Signature.xml, SignedValue.dat, Seal.esl, the signature list) — a page, an annotation, a
   resource added — is named in ``changes.other`` and fails the signature
   (``modified_after_signing``, FORMAT_FAILURE, as for PDF). Later signatures alone give
   ``signatures_timestamps_validation_data``.

The document passes only if every signature passes. The four conditions of 《电子签名法》§13 and
the conclusion come from :mod:`esign.verify.conclusion`, the registry and register checks from
:mod:`esign.verify.online`; the register entry id, when the caller has none, is read from the QR
annotation the stamper leaves (its ``/v/{entry_id}`` URL or ``esign:entry=`` remark).

Not verified: GB/T 35275 SignedData values (``Type="Sign"`` signatures some producers write; they are
reported as not verifiable), whether the seal picture shown matches the seal, and the rendering.
References: GB/T 33190-2016 §18 (signatures), ofdrw's ``OFDValidator`` (ofdrw-sign) for the order.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

from esign import budget as _budget
from esign.errors import InputError, TooLargeError
from esign.ofd.findings import finding
from esign.ofd.package import OfdPackage
from esign.ofd.signatures import (
    DocumentLayout,
    OfdSignature,
    read_layout,
    read_signatures,
    signature_lists,
)
from esign.ofd.xml import q
from esign.pki.sm2 import sm3
from esign.ses.seal import SesFormatError
from esign.ses.signature import parse_signature, verify_signature
from esign.ses.verify import SesTrust, by_severity, worst
from esign.verify import findings as pdf_findings
from esign.verify import online
from esign.verify.api import LedgerLookup, RegistryLookup
from esign.verify.conclusion import document_report
from esign.verify.report import (
    UNKNOWN_REVOCATION,
    ChangeCategory,
    ChangeInfo,
    ChangesAfterSigning,
    Coverage,
    Finding,
    Indication,
    LedgerCheck,
    SignatureReport,
    SubIndication,
    VerificationReport,
    indication_of,
)

__all__ = ["MAX_OFD_SIZE", "MAX_SIGNATURES", "entry_ids", "seal_pictures", "verify_ofd"]

MAX_OFD_SIZE = 50 * 1024 * 1024
"""Default upper bound of the input size (as for PDF)."""
MAX_SIGNATURES = 64
"""More signatures than this in one document are refused (as for PDF)."""
SM2_SIGNATURE_METHODS = ("1.2.156.10197.1.501", "sm2", "sm3withsm2")
_T = TypeVar("_T")
#: DER of OID 1.2.156.10197.6.1.4.2.2 (GB/T 35275 signedData), what ``Type="Sign"`` values often are.
_SIGNED_DATA_35275 = bytes.fromhex("060a2a811ccf550601040202")
_ENTRY = re.compile(r"(?:/v/|esign:entry=)([A-Za-z0-9_-]{16,64})")


def _utc(at: dt.datetime) -> dt.datetime:
    if not isinstance(at, dt.datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise InputError("核验时间必须带时区。", "at must be an aware datetime.", code="naive_time", field="at")
    return at.astimezone(dt.UTC)


def verify_ofd(
    data: bytes,
    *,
    trust: SesTrust,
    at: dt.datetime,
    tsa_trust: SesTrust | None = None,
    registry: RegistryLookup | None = None,
    ledger: LedgerLookup | None = None,
    entry_id: str | None = None,
    max_size: int = MAX_OFD_SIZE,
) -> VerificationReport:
    """Verify every signature of the OFD ``data`` as of ``at`` against ``trust`` (the county's SM2
    root, issuing CA and revocation lookup; ``tsa_trust`` for the time-stamps, default ``trust``).

    Raises :class:`InputError` subclasses for caller errors and hostile packages (4xx); a package that
    reads but whose signatures are broken, tampered or untrusted gives a report."""
    at = _utc(at)
    data = bytes(data)
    if len(data) > max_size:
        raise TooLargeError(
            f"文件过大（超过 {max_size} 字节）。", f"The file exceeds {max_size} bytes.", size=len(data)
        )
    meter = _budget.Meter.for_size(len(data))
    with meter.active():
        pkg = OfdPackage.from_bytes(data, budget=meter)
        docs = signature_lists(pkg)
        layouts = {doc: _layout(pkg, doc) for doc, _ in docs}
        listed: list[tuple[str, OfdSignature]] = []
        for doc, sigs_xml in docs:
            if sigs_xml is not None and sigs_xml in pkg:
                listed += [(doc, s) for s in read_signatures(pkg, sigs_xml, limit=MAX_SIGNATURES)]
        if not listed:
            return _report(data, at, SubIndication.NO_SIGNATURE_FOUND, (), (pdf_findings.finding("no_signature"),))
        signatures_xmls = {s for _, s in docs if s is not None}
        reports: list[SignatureReport] = []
        digest = _Digests(pkg)
        for i, (doc, sig) in enumerate(listed):
            _budget.checkpoint()
            later = {p for _, s in listed[i + 1 :] for p in (s.path, s.signed_value_path, s.seal_path) if p}
            later_ids = tuple(s.path for _, s in listed[i + 1 :])
            changes = _changes(pkg, digest, sig, layouts, later, later_ids, signatures_xmls)
            reports.append(_judge(pkg, digest, sig, layouts[doc], changes, i, trust, tsa_trust, at))
        meter.check()
    reports = [_sync(online.registry_check(registry, r, at)) for r in reports]
    ids = entry_ids(pkg)
    wanted = entry_id or (ids[-1] if ids else None)
    ledger_check = _sync(online.ledger_check_hashes(ledger, hashlib.sha256(data).hexdigest(), (), reports, wanted))
    failed = [r.subindication for r in reports if r.indication is Indication.TOTAL_FAILED]
    undecided = [r.subindication for r in reports if r.indication is Indication.INDETERMINATE]
    online_subs = online.online_subindications(reports, ledger_check)
    sub = (failed or undecided or online_subs or [None])[0]
    problems: tuple[Finding, ...] = ()
    if sub is not None and not failed and not undecided:
        problems = tuple(online.online_findings(reports, ledger_check))
    return _report(data, at, sub, tuple(reports), problems, ledger_check)


def _sync(coro: Coroutine[Any, Any, _T]) -> _T:
    """Run one of :mod:`esign.verify.online`'s coroutines (they do not suspend for the lookups used here)."""
    try:
        coro.send(None)
    except StopIteration as done:
        value: _T = done.value
        return value
    coro.close()
    raise RuntimeError("online check suspended")  # pragma: no cover - only the live fetcher awaits I/O


def _layout(pkg: OfdPackage, doc: str) -> DocumentLayout:
    try:
        return read_layout(pkg, doc)
    except InputError as e:
        if e.code in ("ofd_xml_malformed", "ofd_missing_part", "ofd_unsafe_path"):
            return DocumentLayout(doc, (), (), None)  # a broken Document.xml is reported as a changed file
        raise


def _role(path: str, layouts: dict[str, DocumentLayout]) -> tuple[str, int | None]:
    """What ``path`` is: (kind stem, 1-based page or None)."""
    for lay in layouts.values():
        if path in lay.page_paths:
            return "page", lay.page_paths.index(path) + 1
        if path in lay.annotation_pages:
            return "annotation", lay.annotation_pages[path]
        if path == lay.annotations:
            return "annotations", None
        if path == lay.document:
            return "document", None
    if path == "OFD.xml":
        return "package_root", None
    if path.endswith(".esl"):
        return "seal_file", None
    if "/Signs/" in path:
        return "signature_file", None
    return "file", None


def _where(page: int | None) -> tuple[str, str]:
    return ("", "") if page is None else (f"（第 {page} 页）", f" (page {page})")


class _Digests:
    """Each file hashed at most once per method, however many References name it (a hostile
    Signature.xml may name one large file thousands of times); the CPU budget is checked as it goes."""

    def __init__(self, pkg: OfdPackage) -> None:
        self._pkg = pkg
        self._done: dict[tuple[str, str], bytes] = {}

    def __call__(self, method: str, path: str) -> bytes:
        key = (method, path)
        if key not in self._done:
            _budget.checkpoint()
            data = self._pkg.read(path)
            self._done[key] = sm3(data) if method == "sm3" else hashlib.sha256(data).digest()
        return self._done[key]


def _changes(
    pkg: OfdPackage,
    digest: _Digests,
    sig: OfdSignature,
    layouts: dict[str, DocumentLayout],
    later: set[str],
    later_ids: tuple[str, ...],
    signatures_xmls: set[str],
) -> ChangesAfterSigning:
    """Every file changed, removed or added since ``sig`` that it does not cover (see step 6)."""
    other: list[ChangeInfo] = []
    covered = {r.path for r in sig.references if r.path}
    method = sig.check_method
    for ref in sig.references:
        if not ref.path:
            continue
        kind, page = _role(ref.path, layouts)
        if ref.path not in pkg:
            other.append(ChangeInfo(0, "file_removed", None, page, f"{ref.path} removed"))
        elif method and ref.check_value is not None and digest(method, ref.path) != ref.check_value:
            label = "page_content" if kind == "page" else f"{kind}_changed"
            where = "" if page is None else f" (page {page})"
            other.append(ChangeInfo(0, label, None, page, f"{ref.path} changed{where}"))
    own = {sig.path, sig.signed_value_path, sig.seal_path}
    added = [n for n in pkg.names if n not in covered and n not in own and n not in later and n not in signatures_xmls]
    if sig.references:  # a signature that protects nothing is reported as such, not file by file
        for name in added:
            kind, page = _role(name, layouts)
            label = "page_added" if kind == "page" else f"{kind}_added"
            where = "" if page is None else f" (page {page})"
            other.append(ChangeInfo(0, label, None, page, f"{name} added, not covered by the signature{where}"))
    if other:
        category = ChangeCategory.OTHER
    elif later_ids:
        category = ChangeCategory.SIGNATURES_AND_VALIDATION_DATA
    else:
        category = ChangeCategory.NONE
    return ChangesAfterSigning(
        category=category,
        later_revisions=len(later_ids),
        later_signatures=later_ids,
        other=tuple(other) if category is ChangeCategory.OTHER else (),
    )


def _judge(
    pkg: OfdPackage,
    digest: _Digests,
    sig: OfdSignature,
    layout: DocumentLayout,
    changes: ChangesAfterSigning,
    index: int,
    trust: SesTrust,
    tsa_trust: SesTrust | None,
    at: dt.datetime,
) -> SignatureReport:
    subs: list[SubIndication] = []
    reasons: list[Finding] = []
    warnings: list[Finding] = []
    structure: list[Finding] = []
    for problem in sig.problems:
        structure.append(finding("ofd_structure", detail=problem))
    # 2. references
    refs_ok = bool(sig.references)
    if not sig.references and not sig.problems:
        structure.append(finding("ofd_no_references"))
    if sig.references and sig.check_method is None:
        subs.append(SubIndication.CRYPTO_CONSTRAINTS_FAILURE)
        reasons.append(finding("ofd_check_method", method=sig.check_method_raw or "（未指定）"))
        refs_ok = False
    method = sig.check_method
    for ref in sig.references if method else ():
        if not ref.path or method is None:
            refs_ok = False
            continue
        _kind, page = _role(ref.path, {layout.document: layout})
        zh, en = _where(page)
        if ref.path not in pkg:
            subs.append(SubIndication.HASH_FAILURE)
            reasons.append(finding("ofd_reference_missing", path=ref.path))
            refs_ok = False
        elif ref.check_value is None:
            structure.append(finding("ofd_reference_no_value", path=ref.path))
            refs_ok = False
        elif digest(method, ref.path) != ref.check_value:
            subs.append(SubIndication.HASH_FAILURE)
            reasons.append(finding("ofd_reference_mismatch", path=ref.path, where=zh, where_en=en))
            refs_ok = False
    # 3. the stamp's appearance
    for annot in sig.stamp_annots:
        if annot.page_ref not in layout.page_ids:
            structure.append(finding("ofd_stamp_annot_page", id=annot.id, page=annot.page_ref or "-"))
        elif annot.boundary is None:
            structure.append(finding("ofd_stamp_annot_boundary", id=annot.id))
    if not sig.stamp_annots and sig.type == "Seal":
        warnings.append(finding("ofd_no_stamp_annot"))
    if sig.signature_method and sig.signature_method.lower() not in SM2_SIGNATURE_METHODS:
        warnings.append(finding("ofd_signature_method", method=sig.signature_method[:80]))
    # 6. changes after signing (PDF's finding and sub-indication)
    if changes.category is ChangeCategory.OTHER:
        added = [c for c in changes.other if c.kind.endswith("_added")]
        if added:
            detail = "; ".join(c.detail for c in added[:5]) + (f"; and {len(added) - 5} more" if len(added) > 5 else "")
            subs.append(SubIndication.FORMAT_FAILURE)
            reasons.append(pdf_findings.finding("modified_after_signing", detail=detail))
    subs += [SubIndication.FORMAT_FAILURE] * len(structure)
    reasons += structure
    # 4.-5. the SES_Signature over Signature.xml, and its seal
    value = pkg.read(sig.signed_value_path) if sig.signed_value_path and sig.signed_value_path in pkg else None
    ses = None
    if value is None:
        if sig.signed_value_path:
            subs.append(SubIndication.FORMAT_FAILURE)
            reasons.append(finding("ofd_signed_value_missing", path=sig.signed_value_path))
    else:
        try:
            report = verify_signature(value, trust, at=at, data=sig.xml, tsa_trust=tsa_trust)
        except (ValueError, TypeError, KeyError) as e:  # a foreign structure esign.ses did not foresee
            report = _report(
                value, at, SubIndication.FORMAT_FAILURE, (), (finding("ofd_not_ses", detail=str(e)[:150]),)
            )
        if report.signatures:
            ses = report.signatures[0]
        else:
            subs.append(SubIndication.FORMAT_FAILURE)
            detail = report.problems[0].message_en if report.problems else "unreadable"
            if _SIGNED_DATA_35275 in value[:24]:
                detail = "GB/T 35275 SignedData (a digital signature, not an electronic seal)"
            reasons.append(finding("ofd_not_ses", detail=detail[:200]))
    if ses is not None and value is not None:
        parsed = parse_signature(value)
        if ses.intact is False:
            reasons.insert(0, finding("ofd_signature_xml_changed", path=sig.path))
            subs.insert(0, SubIndication.HASH_FAILURE)
        if sig.seal_path and sig.seal_path in pkg and pkg.read(sig.seal_path) != parsed.seal.der:
            subs.append(SubIndication.HASH_FAILURE)
            reasons.append(finding("ofd_seal_file_mismatch", path=sig.seal_path))
        prop = parsed.property_info.lstrip("/")
        if prop and prop != sig.path and not prop.endswith(".xml"):
            pass  # some producers write a free description; only a named other file is suspicious
        elif prop and prop != sig.path:
            warnings.append(finding("ofd_property_info", prop=parsed.property_info[:120], path=sig.path))
    own = by_severity(subs, reasons)
    ses_subs = [] if ses is None or ses.subindication is None else [ses.subindication]
    sub = worst(subs + ses_subs)
    # esign.ses's generic "hash_mismatch" is said more precisely by ofd_signature_xml_changed
    ses_reasons = () if ses is None else tuple(r for r in ses.reasons if r.code != "hash_mismatch")
    if subs and worst([*subs, *ses_subs]) in subs:
        all_reasons = own + ses_reasons
    else:
        all_reasons = ses_reasons + own
    intact = (
        refs_ok
        and (ses.intact if ses is not None else None) is not False
        and changes.category is not (ChangeCategory.OTHER)
    )
    return SignatureReport(
        index=index,
        field_name=sig.path,
        indication=indication_of(sub),
        subindication=sub,
        reasons=_unique(all_reasons) if sub is not None else (),
        warnings=_unique(tuple(warnings) + (tuple(ses.warnings) if ses is not None else ())),
        signer=None if ses is None else ses.signer,
        chain=() if ses is None else ses.chain,
        trusted_signing_time=None if ses is None else ses.trusted_signing_time,
        claimed_signing_time=None if ses is None else ses.claimed_signing_time,
        timestamp=None if ses is None else ses.timestamp,
        level=None,
        coverage=Coverage(
            byte_range=(),
            signed_revision=None,
            revisions=0,
            whole_revision=refs_ok,
            whole_file=changes.category is not ChangeCategory.OTHER,
            problems=tuple(structure),
        ),
        changes=changes,
        intact=intact if (ses is not None or not refs_ok) else None,
        crypto_valid=None if ses is None else ses.crypto_valid,
        revocation_at_signing=UNKNOWN_REVOCATION if ses is None else ses.revocation_at_signing,
        revocation_now=UNKNOWN_REVOCATION if ses is None else ses.revocation_now,
        seal=None if ses is None else ses.seal,
    )


def _unique(items: Sequence[Finding]) -> tuple[Finding, ...]:
    return tuple(dict.fromkeys(items))


def _report(
    data: bytes,
    at: dt.datetime,
    sub: SubIndication | None,
    signatures: tuple[SignatureReport, ...],
    problems: tuple[Finding, ...],
    ledger: LedgerCheck | None = None,
) -> VerificationReport:
    return document_report(sub=sub, at=at, data=data, signatures=signatures, problems=problems, ledger_check=ledger)


def entry_ids(pkg: OfdPackage) -> tuple[str, ...]:
    """Register entry ids the stamper left in the package, in package order: ``/v/{entry_id}`` or
    ``esign:entry={entry_id}`` in an annotation's Remark or Parameter, or OFD.xml CustomData
    ``esign.entry*``."""
    found: list[str] = []
    for el in pkg.xml("OFD.xml").iter(q("CustomData")):
        if str(el.get("Name") or "").startswith("esign.entry"):
            found += _ENTRY.findall("esign:entry=" + (el.text or "").strip())
    for name in pkg.names:
        if "/Annot" not in name or not name.endswith(".xml"):
            continue
        try:
            root = pkg.xml(name)
        except InputError:
            continue
        for el in root.iter(q("Remark"), q("Parameter")):
            found += _ENTRY.findall(el.text or "")
    return tuple(dict.fromkeys(found))


def seal_pictures(data: bytes) -> tuple[tuple[str, bytes] | None, ...]:
    """(picture type, image bytes) of the seal of each listed signature, in the report's order (None
    where unreadable), for showing people; never a verdict. Empty for anything not a readable OFD."""
    try:
        pkg = OfdPackage.from_bytes(data)
        out: list[tuple[str, bytes] | None] = []
        for _doc, sigs_xml in signature_lists(pkg):
            if sigs_xml is None or sigs_xml not in pkg:
                continue
            for sig in read_signatures(pkg, sigs_xml, limit=MAX_SIGNATURES):
                picture = None
                if sig.signed_value_path and sig.signed_value_path in pkg:
                    try:
                        seal = parse_signature(pkg.read(sig.signed_value_path)).seal
                        picture = (seal.picture.type, seal.picture.data)
                    except (SesFormatError, ValueError, TypeError, KeyError):
                        picture = None
                out.append(picture)
        return tuple(out)
    except InputError:
        return ()
