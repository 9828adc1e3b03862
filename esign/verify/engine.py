"""``verify_pdf``: a PDF in, a frozen :class:`VerificationReport` out. Nothing is modified or signed.

What is verified, per signature: the byte range and file structure (:mod:`esign.verify.structure`),
every change made after it (:mod:`esign.verify.revisions`, with pyHanko's difference analysis as a
second opinion), the digest and signature value, time-stamps, the certificate path to
``trust_roots`` at the proven signing time (with the certificates of the DSS, :mod:`esign.verify.dss`,
as path-building material), and revocation (:mod:`esign.verify.revocation`). The document passes
(TOTAL_PASSED) only if every signature passes and no document time-stamp is broken.

What is not verified: whether the seal image on the page matches the certificate (appearances are
pictures), the content of the document, and, offline, the registry and ledger (``not_checked``).

Bad input never raises past this module except for caller errors (:class:`InputError`: naive
``at``, no trust roots; :class:`TooLargeError` above ``max_size``; :class:`TooComplexError` past
the per-document budget of :mod:`esign.budget`, which bounds every decoded byte, object and CPU
second of the reading): a file that is not a PDF, is
broken, encrypted or unsigned gives a report. pyHanko calls are guarded; size, revision and
signature counts are bounded.

Cost: what every document of a county shares is worked out once per process and kept by its exact
bytes, never by a name (parsed certificates and certificate signatures that verified,
:mod:`esign.verify.certs`; what each CRL or OCSP response says, :mod:`esign.verify.revocation`); the
update a B-LT stamp ends with is proven to add only the first DSS without pyHanko's walk of every
object (:mod:`esign.verify.dss_update`); the file is hashed once for both the document hash and
the byte-range digest. None of this changes an answer (tests/verify/test_caches.py,
test_dss_update.py).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from io import BytesIO
from typing import Any

from cryptography import x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.crypt import AuthStatus, StandardSecurityHandler
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature, extract_contents

from esign import budget
from esign.errors import InputError, TooLargeError
from esign.verify import online
from esign.verify._pdf import dget
from esign.verify.api import LedgerLookup, RegistryLookup
from esign.verify.certs import load_trust_roots
from esign.verify.changes import dss_updated
from esign.verify.conclusion import document_report
from esign.verify.dss import had_dss_at_start, read_dss
from esign.verify.dss_update import adds_first_dss_only
from esign.verify.findings import finding
from esign.verify.report import (
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
from esign.verify.revisions import changes_after, revision_deltas
from esign.verify.signature import SignatureContext, evaluate_signature, unreadable_signature
from esign.verify.structure import RevisionLayout, check_byte_range, layout_of, stray_objects
from esign.verify.timestamps import RevocationData, check_token

__all__ = ["MAX_PDF_SIZE", "MAX_REVISIONS", "MAX_SIGNATURES", "async_verify_pdf", "verify_pdf"]

_log = logging.getLogger(__name__)

#: Default upper bound of the input size.
MAX_PDF_SIZE = 50 * 1024 * 1024
#: More revisions than this are refused (a decision has a handful).
MAX_REVISIONS = 200
#: More signatures than this are refused.
MAX_SIGNATURES = 64


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
    document_sha256: str | None = None,
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
        document_sha256=document_sha256,
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


@dataclass(frozen=True)
class _ParsedSignature:
    """One filled signature field, as read from the document."""

    name: str
    """The form field's name."""
    sig_obj: object
    """Its signature dictionary (an empty one when it cannot be read)."""
    embedded: EmbeddedPdfSignature | None
    """pyHanko's view of the signature; None when its CMS data cannot be parsed (``error`` says why)."""
    error: str
    """Why ``embedded`` is None ("" otherwise)."""
    coverage: Coverage
    """What its /ByteRange covers (:func:`esign.verify.structure.check_byte_range`)."""
    signed_revision: int
    """The revision it signs: where its byte range ends, else pyHanko's guess, else the last revision."""

    @property
    def is_doc_timestamp(self) -> bool:
        """A document time-stamp (/DocTimeStamp) rather than a seal's signature (/Sig)."""
        return dget(self.sig_obj, "/Type") == "/DocTimeStamp"


@dataclass(frozen=True)
class _DocTimestamps:
    """The document time-stamps, checked."""

    infos: tuple[TimestampInfo, ...]
    """In signing order."""
    problems: tuple[Finding, ...]
    """One ``doc_timestamp_broken`` per broken one, newest first."""
    subindications: tuple[SubIndication, ...]
    """The same, as sub-indications."""


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

    dss_certs, dss_crls, dss_ocsps = read_dss(reader)
    revocation = RevocationData(
        crls=tuple((d, RevocationSource.EMBEDDED) for d in dss_crls)
        + tuple((bytes(d), RevocationSource.SUPPLIED) for d in crls),
        ocsps=tuple((d, RevocationSource.EMBEDDED) for d in dss_ocsps)
        + tuple((bytes(d), RevocationSource.SUPPLIED) for d in ocsps),
    )
    # In signing order (the order of the revisions they sign; fields in document order within one).
    parsed = sorted(
        (_parse_signature(data, reader, layout, revisions, *f) for f in fields), key=lambda p: p.signed_revision
    )
    document_sha256 = _digest_once(data, parsed)
    doc_ts = await _check_doc_timestamps(parsed, roots, dss_certs, at, revocation)

    # Only what comes after a seal's signed revision can change what it covers.
    first = min((p.signed_revision for p in parsed if not p.is_doc_timestamp), default=revisions)
    deltas = revision_deltas(reader, revisions, after=first)
    dss_revisions = tuple(k for k, d in deltas.items() if d.dss)
    dss_revisions += (first,) if 0 < first < revisions and dss_updated(reader, first) else ()
    dss_revisions += (0,) if had_dss_at_start(reader) else ()
    proven = frozenset(
        k for k, d in deltas.items() if d.validation_data_only and adds_first_dss_only(data, reader, layout, k)
    )
    if allow_fetching:
        revocation = await online.fetch_revocation(_signer_certs(parsed), revocation)
    ctx = SignatureContext(roots, at, dss_certs, revocation, doc_ts.infos, dss_revisions)

    reports: list[SignatureReport] = []
    for p in parsed:
        budget.checkpoint()
        if p.is_doc_timestamp:
            continue
        changes = changes_after(reader, p.signed_revision, revisions, deltas, stray, p.embedded, proven)
        index = len(reports)
        if p.embedded is None:
            reports.append(unreadable_signature(index, p.name, p.coverage, changes, p.error))
            continue
        reports.append(
            await evaluate_signature(
                ctx, p.embedded, index=index, coverage=p.coverage, changes=changes, signed_revision=p.signed_revision
            )
        )
    if not reports:
        return _report(
            sub=SubIndication.NO_SIGNATURE_FOUND,
            at=at,
            data=data,
            revisions=revisions,
            doc_ts=doc_ts.infos,
            problems=(finding("no_signature"), *doc_ts.problems),
        )

    reports = [await online.registry_check(registry, r, at) for r in reports]
    ledger_check = await online.ledger_check(ledger, data, layout, reports, entry_id, document_sha256)
    online_subs = online.online_subindications(reports, ledger_check)
    sub = _overall(reports, doc_ts.subindications, online_subs)
    problems = list(doc_ts.problems)
    if sub is not None and not problems and all(r.indication is Indication.TOTAL_PASSED for r in reports):
        problems.extend(online.online_findings(reports, ledger_check))
    return _report(
        sub=sub,
        at=at,
        data=data,
        revisions=revisions,
        signatures=tuple(reports),
        doc_ts=doc_ts.infos,
        problems=tuple(problems) if sub is not None else (),
        ledger_check=ledger_check,
        document_sha256=document_sha256,
    )


def _parse_signature(
    data: bytes,
    reader: PdfFileReader,
    layout: RevisionLayout,
    revisions: int,
    name: str,
    value: Any,
    field_ref: Any,
) -> _ParsedSignature:
    """Read one filled signature field; what cannot be parsed is kept for the report, never raised."""
    budget.checkpoint()
    sig_ref = value.reference if isinstance(value, generic.IndirectObject) else None
    try:
        sig_obj: Any = value.get_object()
    except Exception:
        sig_obj = generic.DictionaryObject()
    embedded: EmbeddedPdfSignature | None = None
    error = ""
    try:
        embedded = EmbeddedPdfSignature(reader, field_ref, name)
    except Exception as e:
        error = f"{type(e).__name__}: {str(e)[:150]}"
    try:
        contents: bytes | None = extract_contents(sig_obj)
    except Exception:
        contents = None
    byte_range = dget(sig_obj, "/ByteRange") if isinstance(sig_obj, generic.DictionaryObject) else None
    coverage = check_byte_range(data, reader, layout, sig_ref, byte_range, contents)
    if coverage.signed_revision is not None:
        signed_revision = coverage.signed_revision
    else:
        signed_revision = embedded.signed_revision if embedded is not None else revisions - 1
    return _ParsedSignature(name, sig_obj, embedded, error, coverage, signed_revision)


async def _check_doc_timestamps(
    parsed: Sequence[_ParsedSignature],
    roots: tuple[x509.Certificate, ...],
    dss_certs: tuple[x509.Certificate, ...],
    at: dt.datetime,
    revocation: RevocationData,
) -> _DocTimestamps:
    """Check the document time-stamps newest first: each older one may lean on a newer one's time."""
    infos: list[TimestampInfo] = []
    problems: list[Finding] = []
    subs: list[SubIndication] = []
    later_poe: dt.datetime | None = None
    for p in reversed(parsed):
        if not p.is_doc_timestamp:
            continue
        rev = p.signed_revision
        if p.embedded is None:
            info = TimestampInfo(None, None, False, False, False, p.name, rev, "unreadable")
        else:
            checked = await check_token(
                p.embedded.signed_data,
                p.embedded.compute_digest,
                roots=roots,
                other_certs=dss_certs,
                at=at,
                later_poe=later_poe,
                revocation=revocation,
                field_name=p.name,
                revision=rev,
            )
            info = checked.info
        if p.coverage.problems or not info.intact or not info.valid:
            info = replace(info, trusted=False, problem=info.problem or "byte range problems")
            problems.append(finding("doc_timestamp_broken", revision=rev))
            subs.append(SubIndication.HASH_FAILURE if not info.intact else SubIndication.FORMAT_FAILURE)
        if info.trusted and info.time is not None:
            later_poe = info.time
        infos.append(info)
    return _DocTimestamps(tuple(reversed(infos)), tuple(problems), tuple(subs))


def _digest_once(data: bytes, parsed: Sequence[_ParsedSignature]) -> str:
    """SHA-256 of the whole file, computed with the byte-range digest of the SHA-256 signature that covers the most
    of it: their common prefix (for a scan, the image) is read once. That digest goes where pyHanko keeps the
    digests it computed for the signature (``external_digests``), so pyHanko does not read the file again."""
    view = memoryview(data)
    best: tuple[int, int, int, EmbeddedPdfSignature] | None = None
    for p in parsed:
        emb = p.embedded
        try:
            if emb is None or emb.external_md_algorithm != "sha256" or "sha256" in emb.external_digests:
                continue
            byte_range = list(emb.byte_range)
        except Exception:  # noqa: S112 - a broken /ByteRange is reported by the structure check
            continue
        if len(byte_range) != 4 or any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in byte_range):
            continue
        a, b, c, d = byte_range
        if a == 0 and 0 < b <= c and c + d <= len(data) and (best is None or b > best[0]):
            best = (b, c, d, emb)
    if best is None:
        return hashlib.sha256(view).hexdigest()
    b, c, d, emb = best
    signed = hashlib.sha256(view[:b])
    whole = signed.copy()
    whole.update(view[b:])
    signed.update(view[c : c + d])
    emb.external_digests["sha256"] = signed.digest()
    return whole.hexdigest()


def _signer_certs(parsed: Sequence[_ParsedSignature]) -> list[Any]:
    """Signer certificates of the readable /Sig signatures (asn1crypto), for live revocation fetching."""
    out = []
    for p in parsed:
        if p.embedded is None or p.is_doc_timestamp:
            continue
        try:
            out.append(p.embedded.signer_cert)
        except Exception:  # noqa: S112 - a signature without a certificate is reported elsewhere
            continue
    return out


def _overall(
    reports: list[SignatureReport], ts_subs: Sequence[SubIndication], online_subs: list[SubIndication]
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
