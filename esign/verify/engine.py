"""``verify_pdf``: a PDF in, a frozen :class:`VerificationReport` out. Nothing is modified or signed.

What is verified, per signature: the byte range and file structure (:mod:`esign.verify.structure`),
every change made after it (:mod:`esign.verify.changes`, with pyHanko's difference analysis as a
second opinion), the digest and signature value, time-stamps, the certificate path to
``trust_roots`` at the proven signing time, and revocation (:mod:`esign.verify.revocation`). The
document passes (TOTAL_PASSED) only if every signature passes and no document time-stamp is broken.

What is not verified: whether the seal image on the page matches the certificate (appearances are
pictures), the content of the document, and, offline, the registry and ledger (``not_checked``).

Bad input never raises past this module except for caller errors (:class:`InputError`: naive
``at``, no trust roots; :class:`TooLargeError` above ``max_size``; :class:`TooComplexError` past
the per-document budget of :mod:`esign.budget`, which bounds every decoded byte, object and CPU
second of the reading): a file that is not a PDF, is
broken, encrypted or unsigned gives a report. pyHanko calls are guarded; size, revision and
signature counts are bounded.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import replace
from io import BytesIO
from typing import Any

from cryptography import x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.crypt import AuthStatus, StandardSecurityHandler
from pyhanko.pdf_utils.decode_limits import DecodePurpose
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, DiffResult, ModificationLevel
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature, extract_contents

from esign import budget
from esign.errors import InputError, TooLargeError
from esign.verify import online
from esign.verify._pdf import dget
from esign.verify.api import LedgerLookup, RegistryLookup
from esign.verify.certs import load_trust_roots
from esign.verify.changes import RevisionDelta, classify_revision
from esign.verify.conclusion import document_report
from esign.verify.findings import finding
from esign.verify.report import (
    ChangeCategory,
    ChangeInfo,
    ChangesAfterSigning,
    Coverage,
    Finding,
    Indication,
    LedgerCheck,
    RevocationSource,
    SignatureReport,
    SubIndication,
    TimestampInfo,
    VerificationReport,
)
from esign.verify.signature import SignatureContext, evaluate_signature, unreadable_signature
from esign.verify.structure import check_byte_range, layout_of, stray_objects
from esign.verify.timestamps import RevocationData, check_token

__all__ = ["MAX_PDF_SIZE", "MAX_REVISIONS", "MAX_SIGNATURES", "async_verify_pdf", "verify_pdf"]

_log = logging.getLogger(__name__)

#: Default upper bound of the input size.
MAX_PDF_SIZE = 50 * 1024 * 1024
#: More revisions than this are refused (a decision has a handful).
MAX_REVISIONS = 200
#: More signatures than this are refused.
MAX_SIGNATURES = 64
_MAX_DSS_ITEMS = 2000
_PURPOSES = {"c": DecodePurpose.CERTIFICATE, "r": DecodePurpose.CRL, "o": DecodePurpose.OCSP_RESPONSE}


def _utc(at: dt.datetime) -> dt.datetime:
    if not isinstance(at, dt.datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise InputError("核验时间必须带时区。", "at must be an aware datetime.", code="naive_time", field="at")
    return at.astimezone(dt.UTC)


def verify_pdf(
    data: bytes,
    *,
    trust_roots: Iterable[x509.Certificate | bytes] | x509.Certificate | bytes,
    at: dt.datetime,
    registry: RegistryLookup | None = None,
    ledger: LedgerLookup | None = None,
    allow_fetching: bool = False,
    crls: Sequence[bytes] = (),
    ocsps: Sequence[bytes] = (),
    entry_id: str | None = None,
    max_size: int = MAX_PDF_SIZE,
    password: str | None = None,
) -> VerificationReport:
    """Verify every seal in ``data`` as of ``at`` against ``trust_roots``.

    An encrypted document (standard security handler) is opened as a viewer opens it: with the
    empty user password when that works, otherwise with ``password`` (the user or owner password);
    without one that opens it, the report says so (``encrypted`` or ``wrong_password``).

    ``crls`` and ``ocsps`` are revocation data the caller supplies (e.g. the service's current
    CRL); with ``allow_fetching`` the verifier also asks the CRL and OCSP URLs in the seal
    certificate. ``registry`` and ``ledger`` are the online hooks (:mod:`esign.verify.api`);
    ``entry_id`` is a ledger entry id the caller knows (from the QR code). Safe to call from
    inside a running event loop (it then runs on a worker thread).
    """
    coro = async_verify_pdf(
        data,
        trust_roots=trust_roots,
        at=at,
        registry=registry,
        ledger=ledger,
        allow_fetching=allow_fetching,
        crls=crls,
        ocsps=ocsps,
        entry_id=entry_id,
        max_size=max_size,
        password=password,
    )
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _report(
    *,
    sub: SubIndication | None,
    at: dt.datetime,
    data: bytes,
    revisions: int = 0,
    signatures: tuple[SignatureReport, ...] = (),
    doc_ts: tuple[TimestampInfo, ...] = (),
    problems: tuple[Finding, ...] = (),
    ledger_check: LedgerCheck | None = None,
) -> VerificationReport:
    return document_report(
        sub=sub,
        at=at,
        data=data,
        revisions=revisions,
        signatures=signatures,
        doc_ts=doc_ts,
        problems=problems,
        ledger_check=ledger_check,
    )


async def async_verify_pdf(
    data: bytes,
    *,
    trust_roots: Iterable[x509.Certificate | bytes] | x509.Certificate | bytes,
    at: dt.datetime,
    registry: RegistryLookup | None = None,
    ledger: LedgerLookup | None = None,
    allow_fetching: bool = False,
    crls: Sequence[bytes] = (),
    ocsps: Sequence[bytes] = (),
    entry_id: str | None = None,
    max_size: int = MAX_PDF_SIZE,
    password: str | None = None,
) -> VerificationReport:
    """:func:`verify_pdf` for callers that are already in an event loop."""
    at = _utc(at)
    roots = load_trust_roots(trust_roots)
    if not isinstance(data, bytes | bytearray | memoryview):
        raise InputError("待核验内容必须是字节。", "data must be bytes.", code="bad_input", field="data")
    data = bytes(data)
    if len(data) > max_size:
        raise TooLargeError(
            f"文件过大（超过 {max_size} 字节）。",
            f"The file exceeds {max_size} bytes.",
            code="too_large",
            size=len(data),
        )

    def fail(code: str, **values: object) -> VerificationReport:
        sub = SubIndication.FORMAT_FAILURE
        return _report(sub=sub, at=at, data=data, problems=(finding(code, **values),))

    if not data:
        return fail("empty")
    header = data.find(b"%PDF-", 0, 1029)
    if header < 0:
        return fail("not_a_pdf")
    if header > 0:
        return fail("junk_before_header")
    meter = budget.Meter.for_size(len(data))
    with meter.active():
        try:
            reader = budget.open_reader(BytesIO(data), strict=True, meter=meter)
            revisions = reader.xrefs.total_revisions
            encrypted = reader.encrypted
            opened = not encrypted or _decrypt(reader, password)
            if opened:
                _ = reader.root
        except RecursionError:
            return fail("malformed_pdf", detail="objects nested too deeply")
        except InputError:
            raise
        except Exception as e:  # pyHanko raises PdfReadError, PdfStrictReadError, ValueError, KeyError ...
            meter.check(cpu=False)
            return fail("malformed_pdf", detail=str(e)[:200] or type(e).__name__)
        if not opened:
            return fail("encrypted" if password is None else "wrong_password")
        if revisions > MAX_REVISIONS:
            return fail("too_many_revisions", count=revisions)
        try:
            report = await _verify_parsed(
                data, reader, roots, at, registry, ledger, allow_fetching, crls, ocsps, entry_id, revisions
            )
        except RecursionError:
            return fail("malformed_pdf", detail="objects nested too deeply")
        except InputError:
            raise
        except Exception as e:  # a document pyHanko chokes on is a broken document, not a crash
            meter.check(cpu=False)
            _log.warning("verification failed on a malformed document", exc_info=e)
            return fail("malformed_pdf", detail=f"{type(e).__name__}: {str(e)[:200]}")
        # A limit crossed inside pyHanko that it caught (diff analysis, DSS) still refuses the document.
        meter.check(cpu=False)
        return report


def _decrypt(reader: PdfFileReader, password: str | None) -> bool:
    """Open an encrypted document as a viewer does: the empty user password, then ``password``."""
    if not isinstance(reader.security_handler, StandardSecurityHandler):
        return False  # certificate-based (public key) encryption: a recipient's private key would be needed
    for candidate in ("", password) if password else ("",):
        if reader.decrypt(candidate.encode("utf-8")).status is not AuthStatus.FAILED:
            return True
    return False


async def _verify_parsed(
    data: bytes,
    reader: PdfFileReader,
    roots: tuple[x509.Certificate, ...],
    at: dt.datetime,
    registry: RegistryLookup | None,
    ledger: LedgerLookup | None,
    allow_fetching: bool,
    crls: Sequence[bytes],
    ocsps: Sequence[bytes],
    entry_id: str | None,
    revisions: int,
) -> VerificationReport:
    layout = layout_of(data, reader)
    deltas = _deltas(reader, revisions)
    stray = stray_objects(data, reader, layout)

    fields = list(enumerate_sig_fields(reader, filled_status=True))
    if len(fields) > MAX_SIGNATURES:
        return _report(
            sub=SubIndication.FORMAT_FAILURE,
            at=at,
            data=data,
            revisions=revisions,
            problems=(finding("too_many_signatures", count=len(fields)),),
        )
    if not fields:
        return _report(
            sub=SubIndication.NO_SIGNATURE_FOUND,
            at=at,
            data=data,
            revisions=revisions,
            problems=(finding("no_signature"),),
        )

    dss_certs, dss_crls, dss_ocsps = _read_dss(reader)
    revocation = RevocationData(
        crls=tuple((d, RevocationSource.EMBEDDED) for d in dss_crls)
        + tuple((bytes(d), RevocationSource.SUPPLIED) for d in crls),
        ocsps=tuple((d, RevocationSource.EMBEDDED) for d in dss_ocsps)
        + tuple((bytes(d), RevocationSource.SUPPLIED) for d in ocsps),
    )

    # Parse every signature field; keep the unreadable ones for the report.
    parsed: list[tuple[str, generic.DictionaryObject, generic.Reference | None, EmbeddedPdfSignature | None, str]] = []
    for name, value, field_ref in fields:
        budget.checkpoint()
        sig_ref = value.reference if isinstance(value, generic.IndirectObject) else None
        try:
            sig_obj = value.get_object()
        except Exception:
            sig_obj = generic.DictionaryObject()
        emb: EmbeddedPdfSignature | None = None
        error = ""
        try:
            emb = EmbeddedPdfSignature(reader, field_ref, name)
        except Exception as e:
            error = f"{type(e).__name__}: {str(e)[:150]}"
        parsed.append((name, sig_obj, sig_ref, emb, error))

    def coverage_of(sig_obj: generic.DictionaryObject, sig_ref: generic.Reference | None) -> Coverage:
        try:
            contents: bytes | None = extract_contents(sig_obj)
        except Exception:
            contents = None
        br = dget(sig_obj, "/ByteRange") if isinstance(sig_obj, generic.DictionaryObject) else None
        return check_byte_range(data, reader, layout, sig_ref, br, contents)

    coverages = [coverage_of(p[1], p[2]) for p in parsed]

    def signed_rev(i: int) -> int:
        cov, emb = coverages[i], parsed[i][3]
        if cov.signed_revision is not None:
            return cov.signed_revision
        return emb.signed_revision if emb is not None else revisions - 1

    order = sorted(range(len(parsed)), key=signed_rev)

    # Document time-stamps, newest first (each older one may lean on a newer one's time).
    doc_ts: dict[int, TimestampInfo] = {}
    problems: list[Finding] = []
    ts_subs: list[SubIndication] = []
    later_poe: dt.datetime | None = None
    for i in reversed(order):
        name, sig_obj, _ref, emb, _err = parsed[i]
        if dget(sig_obj, "/Type") != "/DocTimeStamp":
            continue
        rev = signed_rev(i)
        if emb is None:
            info = TimestampInfo(None, None, False, False, False, name, rev, "unreadable")
        else:
            checked = await check_token(
                emb.signed_data,
                emb.compute_digest,
                roots=roots,
                other_certs=dss_certs,
                at=at,
                later_poe=later_poe,
                revocation=revocation,
                field_name=name,
                revision=rev,
            )
            info = checked.info
        if coverages[i].problems or not info.intact or not info.valid:
            info = replace(info, trusted=False, problem=info.problem or "byte range problems")
            problems.append(finding("doc_timestamp_broken", revision=rev))
            ts_subs.append(SubIndication.HASH_FAILURE if not info.intact else SubIndication.FORMAT_FAILURE)
        if info.trusted and info.time is not None:
            later_poe = info.time
        doc_ts[i] = info
    doc_ts_tuple = tuple(doc_ts[i] for i in order if i in doc_ts)

    dss_revisions = tuple(k for k, d in deltas.items() if d.dss) + ((0,) if _had_dss(reader) else ())
    if allow_fetching:
        revocation = await online.fetch_revocation(parsed_certs(parsed), revocation)
    ctx = SignatureContext(roots, at, dss_certs, revocation, doc_ts_tuple, dss_revisions)

    reports: list[SignatureReport] = []
    for i in order:
        budget.checkpoint()
        name, sig_obj, _ref, emb, error = parsed[i]
        if dget(sig_obj, "/Type") == "/DocTimeStamp":
            continue
        rev = signed_rev(i)
        changes = _changes_after(reader, rev, revisions, deltas, stray, emb)
        index = len(reports)
        if emb is None:
            reports.append(unreadable_signature(index, name, coverages[i], changes, error))
            continue
        reports.append(
            await evaluate_signature(ctx, emb, index=index, coverage=coverages[i], changes=changes, signed_revision=rev)
        )
    if not reports:
        problems.insert(0, finding("no_signature"))
        return _report(
            sub=SubIndication.NO_SIGNATURE_FOUND,
            at=at,
            data=data,
            revisions=revisions,
            doc_ts=doc_ts_tuple,
            problems=tuple(problems),
        )

    reports = [await online.registry_check(registry, r, at) for r in reports]
    ledger_check = await online.ledger_check(ledger, data, layout, reports, entry_id)
    online_subs = online.online_subindications(reports, ledger_check)
    sub = _overall(reports, ts_subs, online_subs)
    if sub is not None and not problems and all(r.indication is Indication.TOTAL_PASSED for r in reports):
        problems.extend(online.online_findings(reports, ledger_check))
    return _report(
        sub=sub,
        at=at,
        data=data,
        revisions=revisions,
        signatures=tuple(reports),
        doc_ts=doc_ts_tuple,
        problems=tuple(problems) if sub is not None else (),
        ledger_check=ledger_check,
    )


def parsed_certs(parsed: Sequence[tuple[object, object, object, EmbeddedPdfSignature | None, str]]) -> list[Any]:
    """Signer certificates of the parsed /Sig signatures (asn1crypto), for live revocation fetching."""
    out = []
    for _n, sig_obj, _r, emb, _e in parsed:
        if emb is None or (isinstance(sig_obj, generic.DictionaryObject) and dget(sig_obj, "/Type") == "/DocTimeStamp"):
            continue
        try:
            out.append(emb.signer_cert)
        except Exception:  # noqa: S112 - a signature without a certificate is reported elsewhere
            continue
    return out


def _overall(
    reports: list[SignatureReport], ts_subs: list[SubIndication], online_subs: list[SubIndication]
) -> SubIndication | None:
    failed = [r.subindication for r in reports if r.indication is Indication.TOTAL_FAILED]
    if failed:
        return failed[0]
    if ts_subs:
        return ts_subs[0]
    indeterminate = [r.subindication for r in reports if r.indication is Indication.INDETERMINATE]
    if indeterminate:
        return indeterminate[0]
    return online_subs[0] if online_subs else None


def _deltas(reader: PdfFileReader, revisions: int) -> dict[int, RevisionDelta]:
    out: dict[int, RevisionDelta] = {}
    for k in range(1, revisions):
        budget.checkpoint()
        try:
            out[k] = classify_revision(reader, k)
        except RecursionError:
            raise
        except Exception as e:
            d = RevisionDelta(k)
            d.other.append(ChangeInfo(k, "revision_unreadable", None, None, f"revision cannot be analysed: {e}"[:200]))
            out[k] = d
    return out


def _had_dss(reader: PdfFileReader) -> bool:
    try:
        root = reader.get_historical_resolver(0).get_object(
            reader.get_historical_resolver(0).trailer_view.raw_get("/Root").reference
        )
        return "/DSS" in root
    except Exception:
        return False


def _changes_after(
    reader: PdfFileReader,
    rev: int,
    revisions: int,
    deltas: dict[int, RevisionDelta],
    stray: list[ChangeInfo],
    emb: EmbeddedPdfSignature | None,
) -> ChangesAfterSigning:
    budget.checkpoint()
    later = [deltas[k] for k in range(rev + 1, revisions) if k in deltas]
    other = [c for d in later for c in d.other] + [c for c in stray if c.revision > rev]
    sigs = tuple(n for d in later for n in d.signatures)
    docts = tuple(n for d in later for n in d.document_timestamps)
    dss = sum(1 for d in later if d.dss)
    diff_level: str | None = None
    if later:
        try:
            result = DEFAULT_DIFF_POLICY.review_file(
                reader,
                rev,
                field_mdp_spec=emb.fieldmdp if emb is not None else None,
                doc_mdp=emb.docmdp_level if emb is not None else None,
            )
            if isinstance(result, DiffResult):
                diff_level = result.modification_level.name
                if result.modification_level in (ModificationLevel.OTHER, ModificationLevel.ANNOTATIONS):
                    other.append(ChangeInfo(rev + 1, "diff_analysis", None, None, f"pyHanko: {diff_level}"))
            else:
                diff_level = "SUSPICIOUS"
                other.append(ChangeInfo(rev + 1, "diff_analysis", None, None, f"pyHanko: {result}"[:200]))
        except RecursionError:
            raise
        except Exception as e:
            diff_level = "SUSPICIOUS"
            other.append(ChangeInfo(rev + 1, "diff_analysis", None, None, f"pyHanko: {type(e).__name__}: {e}"[:200]))
        try:
            perm = emb.docmdp_level if emb is not None else None
        except Exception:
            perm = None
        if perm is not None and int(perm.value) == 1 and sigs:
            other.append(
                ChangeInfo(rev + 1, "docmdp", None, None, "certified with no changes allowed (P=1), yet signed again")
            )
    if other:
        category = ChangeCategory.OTHER
    elif later or any(c.revision > rev for c in stray):
        category = ChangeCategory.SIGNATURES_AND_VALIDATION_DATA
    else:
        category = ChangeCategory.NONE
    return ChangesAfterSigning(
        category=category,
        later_revisions=len(later),
        later_signatures=sigs,
        document_timestamps=docts,
        validation_data_updates=dss,
        other=tuple(other) if category is ChangeCategory.OTHER else (),
        diff_level=diff_level,
    )


def _stream_bytes(item: object, purpose: DecodePurpose) -> bytes | None:
    """The decoded stream, or None when it is not one or cannot be decoded; a limit crossed
    (:mod:`esign.budget`) is remembered by the meter and refuses the document."""
    budget.checkpoint()
    try:
        obj = item.get_object() if isinstance(item, generic.IndirectObject) else item
    except Exception:
        return None
    if isinstance(obj, generic.StreamObject):
        try:
            return bytes(obj.read_data(purpose))
        except Exception:
            budget.checkpoint()
            return None
    return None


def _load_cert(der: bytes) -> x509.Certificate | None:
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError:
        return None


def _read_dss(reader: PdfFileReader) -> tuple[tuple[x509.Certificate, ...], list[bytes], list[bytes]]:
    """Certificates, CRLs and OCSP responses of the latest DSS (and its VRI entries)."""
    certs: list[x509.Certificate] = []
    crls: list[bytes] = []
    ocsps: list[bytes] = []
    dss = dget(reader.root, "/DSS")
    if not isinstance(dss, generic.DictionaryObject):
        return (), [], []
    containers: list[generic.DictionaryObject] = [dss]
    vri = dget(dss, "/VRI")
    if isinstance(vri, generic.DictionaryObject):
        entries = (dget(vri, k) for k in list(vri.keys())[:_MAX_DSS_ITEMS])
        containers += [v for v in entries if isinstance(v, generic.DictionaryObject)]
    for c in containers:
        for key, sink in (
            ("/Certs", "c"),
            ("/Cert", "c"),
            ("/CRLs", "r"),
            ("/CRL", "r"),
            ("/OCSPs", "o"),
            ("/OCSP", "o"),
        ):
            arr = dget(c, key)
            if not isinstance(arr, generic.ArrayObject):
                continue
            purpose = _PURPOSES[sink]
            for i in range(min(len(arr), _MAX_DSS_ITEMS)):
                raw = _stream_bytes(arr.raw_get(i), purpose)
                if raw is None:
                    continue
                if sink == "c":
                    cert = _load_cert(raw)
                    if cert is not None:
                        certs.append(cert)
                elif sink == "r":
                    crls.append(raw)
                else:
                    ocsps.append(raw)
    return tuple(dict.fromkeys(certs)), list(dict.fromkeys(crls)), list(dict.fromkeys(ocsps))
