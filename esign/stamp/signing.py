"""PDF in, stamped and signed PDF out: the visible seal, the QR code and a PAdES signature (pyHanko).

What is prepared once per seal (:class:`SealCredentials`) and once per revocation epoch
(:class:`ValidationMaterial`) is passed in, so signing a document reloads nothing.

Guarantees: the input bytes are not modified; every seal image (the signature's own appearance,
repeated seals and cross-page strips) is part of the signed revision. The signature's seal is both
the widget's appearance (its /BBox the exact drawing, no rounding) and, on a document not signed
before, page content, so renderers that draw no annotations show it too. For B-LT and B-LTA the
validation data goes into the document security store (DSS) in one incremental update *after*
the signed revision, as ETSI EN 319 142-1 (5.4, PAdES-B-LT) describes it: the certificates, the
CRLs and an OCSP answer for the seal certificate produced after the signature time-stamp
(thisUpdate at or after its genTime), so validators that want revocation data fresher than the
best signature time (EU DSS, pyHanko's AdES validation) accept it offline. B-LTA adds a document
timestamp over everything in that same last revision.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO, Protocol, runtime_checkable

from asn1crypto import cms
from asn1crypto import crl as asn1_crl
from asn1crypto import keys as asn1_keys
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.pdf_utils.metadata.model import VENDOR
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.stamp import BaseStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore

from esign import budget
from esign.appearance.artwork import Artwork
from esign.errors import EsignError, InputError
from esign.pki.keys import PrivateKey
from esign.stamp.cms import CmsTemplate
from esign.stamp.dss import append_first_dss
from esign.stamp.forms import FormMaker, art_matrix
from esign.stamp.inputs import MAX_TREE_DEPTH
from esign.stamp.xmp import XmpRepair, repair_metadata
from esign.verify import PadesLevel

__all__ = [
    "DerTimeStamper",
    "PageArt",
    "SealCredentials",
    "SignatureSpec",
    "ValidationMaterial",
    "draw_on_pages",
    "sign_pdf",
]

#: Bytes reserved for the CMS signature (hex doubles it in the file). A chain of three ECDSA or
#: RSA-3072 certificates plus a timestamp token with its own chain stays well below this; a
#: fixed reservation spares pyHanko a trial signature (and a trial timestamp) per document.
SIGNATURE_BYTES_RESERVED = 24 * 1024
TIMESTAMP_BYTES_RESERVED = 12 * 1024


@dataclass(frozen=True, eq=False)
class SealCredentials:
    """A seal's signer with its certificate chain, prepared once and reused for every document.

    The signature container's fixed parts (:class:`~esign.stamp.cms.CmsTemplate`) are made from
    ``signer`` on first use and kept here: they belong to this certificate and chain only, and new
    credentials (a reissued certificate, another chain) start without them."""

    signer: signers.Signer
    """The pyHanko signer (private key in memory or on a token)."""
    certificate: x509.Certificate
    """The seal certificate."""
    chain: tuple[x509.Certificate, ...]
    """Issuing CA and root, embedded in every signature."""
    key: PrivateKey | None = field(default=None, repr=False)
    """The private key when it is held in memory (the file key store); None for a token, which
    signs through ``signer``."""
    _template: list[CmsTemplate] = field(default_factory=list, init=False, repr=False, compare=False)

    async def cms_template(self) -> CmsTemplate:
        """The container parts every signature with these credentials shares (made once)."""
        if not self._template:
            template = await CmsTemplate.from_signer(self.signer)
            if template.sid != _issuer_and_serial(self.certificate):
                raise SigningError("the signer's certificate is not the seal certificate")
            self._template[:] = [template]
        return self._template[0]

    async def sign_raw(self, data: bytes, template: CmsTemplate) -> bytes:
        """The signature value over ``data`` with the mechanism ``template`` names."""
        mechanism = template.signature_mechanism
        key = self.key
        if isinstance(key, ec.EllipticCurvePrivateKey) and mechanism == "ecdsa":
            return key.sign(data, ec.ECDSA(_HASHES[template.digest_algorithm]()))
        if isinstance(key, rsa.RSAPrivateKey) and mechanism == "rsassa_pkcs1v15":
            return key.sign(data, padding.PKCS1v15(), _HASHES[template.digest_algorithm]())
        return await self.signer.async_sign_raw(data, template.digest_algorithm)

    @classmethod
    def from_key(
        cls, key: PrivateKey, certificate: x509.Certificate, chain: tuple[x509.Certificate, ...]
    ) -> SealCredentials:
        """Credentials for a private key held in memory (file key store)."""
        # The unencrypted PKCS#8 form exists only in memory, as pyHanko's signer needs it.
        pkcs8 = key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
        asn1_cert = asn1_x509.Certificate.load(certificate.public_bytes(Encoding.DER))
        registry = SimpleCertificateStore.from_certs(
            [asn1_x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in chain]
        )
        signer = signers.SimpleSigner(
            signing_cert=asn1_cert, signing_key=asn1_keys.PrivateKeyInfo.load(pkcs8), cert_registry=registry
        )
        return cls(signer=signer, certificate=certificate, chain=chain, key=key)


_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


def _issuer_and_serial(certificate: x509.Certificate) -> bytes:
    """DER IssuerAndSerialNumber of ``certificate`` (RFC 5652 10.2.4)."""
    cert = asn1_x509.Certificate.load(certificate.public_bytes(Encoding.DER))
    return cms.IssuerAndSerialNumber({"issuer": cert.issuer, "serial_number": cert.serial_number}).dump()


@dataclass(frozen=True)
class ValidationMaterial:
    """Validation data embedded at B-LT and B-LTA (DSS); refreshed when a revocation happens."""

    certificates: tuple[bytes, ...]
    """DER certificates: seal, issuing CA, root, TSA, OCSP signer."""
    ocsp_responses: tuple[bytes, ...]
    """DER OCSP responses known before signing (usually none: see :attr:`fresh_ocsp`)."""
    crls: tuple[bytes, ...]
    """DER CRLs (the issuing CA's and the root's)."""
    fresh_ocsp: Callable[[], bytes] | None = None
    """Called once per document after it was signed: the seal certificate's OCSP answer (DER),
    with thisUpdate at or after the signature time-stamp's genTime."""


@runtime_checkable
class DerTimeStamper(Protocol):
    """A time-stamper that returns a token's DER for a digest directly (the county TSA in process),
    sparing the request and response that pyHanko's :class:`TimeStamper` builds and parses."""

    async def async_token_der(self, message_digest: bytes, md_algorithm: str) -> bytes:
        """The DER ContentInfo of a time-stamp token over ``message_digest``."""
        ...


async def _timestamp_token(timestamper: TimeStamper, digest: bytes, md_algorithm: str) -> bytes:
    if isinstance(timestamper, DerTimeStamper):
        return await timestamper.async_token_der(digest, md_algorithm)
    token = await timestamper.async_timestamp(digest, md_algorithm)
    return bytes(token.dump())


@dataclass(frozen=True)
class PageArt:
    """Artwork to put on a page, in the page's default user space."""

    page_index: int
    """0-based page index."""
    artwork: Artwork
    """What to draw."""
    x: float
    """Where the artwork's anchor (the seal centre) lands, user space x."""
    y: float
    """Where the artwork's anchor lands, user space y."""
    rotate: int = 0
    """The page's /Rotate; the artwork is counter-rotated so that it appears upright."""
    clip: tuple[float, float, float, float] | None = None
    """Show only this user-space rectangle (x0, y0, x1, y1) of the artwork (cross-page strips)."""


@dataclass(frozen=True)
class SignatureSpec:
    """One stamping: the visible signature, other seal images, and the signature's properties."""

    field_name: str
    """Name of the new signature field."""
    widget: PageArt
    """The signature's own appearance (seal and QR code), also drawn into the page's content."""
    level: PadesLevel
    """PAdES level."""
    reason: str
    """Signature /Reason (Chinese), e.g. the item and the 事由."""
    location: str
    """Signature /Location, e.g. the service centre."""
    name: str
    """Signature /Name: the seal's full name."""
    extra: tuple[PageArt, ...] = field(default=())
    """Seal images drawn into page content before signing (repeated seals, cross-page strips)."""
    existing_field: bool = False
    """Sign into the existing empty field ``field_name`` instead of creating one."""
    certify: bool = False
    """Certify the document (DocMDP, form filling and further signatures allowed)."""


def draw_on_pages(
    writer: IncrementalPdfFileWriter, arts: tuple[PageArt, ...], *, forms: FormMaker | None = None
) -> list[generic.IndirectObject]:
    """Draw artworks into page content (isolated from the page's own graphics state); returns the
    form XObject of each artwork, in the order given. ``forms`` shares the drawings' forms with other
    artwork of the same document (:mod:`esign.stamp.forms`)."""
    forms = forms or FormMaker(writer)
    by_page: dict[int, list[tuple[int, PageArt]]] = {}
    for n, art in enumerate(arts):
        by_page.setdefault(art.page_index, []).append((n, art))
    made: dict[int, generic.IndirectObject] = {}
    for page_ix, items in by_page.items():
        xobjects = generic.DictionaryObject()
        ops = [b"Q"]
        for n, item in items:
            stream, _bw, _bh, (ax, ay) = forms.art(item.artwork, item.rotate)
            ref = made[n] = writer.add_object(stream)
            name = f"/EsignSeal{ref.idnum}"  # unique in the file: a later stamp on the same page adds its own
            xobjects[pdf_name(name)] = ref
            clip = b""
            if item.clip is not None:
                x0, y0, x1, y1 = item.clip
                clip = b"%g %g %g %g re W n " % (x0, y0, x1 - x0, y1 - y0)
            ops.append(b"q %s1 0 0 1 %g %g cm %s Do Q" % (clip, item.x - ax, item.y - ay, name.encode()))
        opening = writer.add_object(generic.StreamObject(stream_data=b"q"))
        writer.add_stream_to_page(page_ix, opening, prepend=True)
        body = writer.add_object(generic.StreamObject(stream_data=b"\n".join(ops)))
        writer.add_stream_to_page(page_ix, body, resources=generic.DictionaryObject({pdf_name("/XObject"): xobjects}))
    return [made[n] for n in range(len(arts))]


class _Appearance:
    """The widget's normal appearance: the artwork's form XObject with its exact /BBox.

    pyHanko's stamp styles size the box through ``BoxConstraints``, which truncates to whole points
    (a 190.952 x 119.055 pt field got ``/BBox [0 119 190 0]``, so viewers stretched the seal)."""

    def __init__(
        self, writer: BasePdfFileWriter, art: PageArt, drawn: generic.IndirectObject | None, forms: FormMaker | None
    ) -> None:
        self._writer = writer
        self._art = art
        self._drawn = drawn
        self._forms = forms or FormMaker(writer)

    def apply_appearance(self, annot: generic.DictionaryObject) -> None:
        if self._drawn is None:
            stream, _bw, _bh, _anchor = self._forms.art(self._art.artwork, self._art.rotate)
        else:  # the drawing already in the page's content, shown again: made and compressed once
            _m, bw, bh, _anchor = art_matrix(self._art.artwork, self._art.rotate)
            stream = generic.StreamObject(
                {
                    pdf_name("/Type"): pdf_name("/XObject"),
                    pdf_name("/Subtype"): pdf_name("/Form"),
                    pdf_name("/BBox"): generic.ArrayObject([generic.FloatObject(v) for v in (0, 0, bw, bh)]),
                    pdf_name("/Resources"): generic.DictionaryObject(
                        {pdf_name("/XObject"): generic.DictionaryObject({pdf_name("/Seal"): self._drawn})}
                    ),
                },
                stream_data=b"/Seal Do",
            )
        annot["/AP"] = generic.DictionaryObject({pdf_name("/N"): self._writer.add_object(stream)})
        annot.pop("/AS", None)


@dataclass(frozen=True)
class _ExactAppearance(BaseStampStyle):
    """A pyHanko stamp style that gives the widget :class:`_Appearance`."""

    art: PageArt | None = None
    drawn: generic.IndirectObject | None = None
    forms: FormMaker | None = None

    def create_stamp(self, writer: BasePdfFileWriter, box: BoxConstraints, text_params: dict) -> _Appearance:  # type: ignore[override]
        assert self.art is not None
        return _Appearance(writer, self.art, self.drawn, self.forms)


class _Writer(IncrementalPdfFileWriter):
    """pyHanko's incremental writer, finding pages by the object numbers the input's description
    recorded: pyHanko's own walk keeps every page before the target parsed (200 pages cost
    megabytes), this one reads the target page and its ancestors only."""

    page_ids: Sequence[tuple[int, int] | None] = ()
    xmp_repair: XmpRepair | None = None

    def find_page_for_modification(self, page_ix: int) -> tuple[generic.IndirectObject, generic.PdfObject]:
        page_id = self.page_ids[page_ix] if -len(self.page_ids) <= page_ix < len(self.page_ids) else None
        if page_id is None:
            return super().find_page_for_modification(page_ix)
        ref = generic.IndirectObject(page_id[0], page_id[1], self)
        node = ref.get_object()
        for _ in range(MAX_TREE_DEPTH + 1):  # the resources, inherited from the nearest ancestor
            if "/Resources" in node:
                return ref, node.raw_get("/Resources")
            if "/Parent" not in node:
                break
            node = node["/Parent"]
        return ref, generic.DictionaryObject()

    def _update_meta(self) -> None:
        # pyHanko parses the packet next and refuses a malformed one; called more than once per write
        self.xmp_repair = repair_metadata(self) or self.xmp_repair
        # pyHanko appends itself to the information dictionary's /Producer but writes only itself into
        # the XMP metadata; PDF/A (ISO 19005-2, 6.6.2.3.1) wants the two to agree.
        super()._update_meta()
        if self._info is not None and "/Metadata" in self.root:
            info = self._info.get_object()
            if "/Producer" in info:
                info["/Producer"] = generic.TextStringObject(VENDOR)
                self.mark_update(self._info)


_FLATE: dict[bytes, bytes] = {}
_FLATE_LOCK = threading.Lock()
_MAX_FLATE = 256


def _flate_stream(der: bytes) -> generic.StreamObject:
    """A /FlateDecode stream of ``der``. The certificates and CRLs are the same for every stamp of a
    revocation epoch: their compressed form is kept, keyed by their exact bytes (a different CRL or
    certificate is different bytes, so it is never served another's)."""
    encoded = _FLATE.get(der)
    if encoded is None:
        encoded = zlib.compress(der)
        with _FLATE_LOCK:
            if len(_FLATE) >= _MAX_FLATE:
                _FLATE.clear()
            _FLATE[der] = encoded
    return generic.StreamObject({pdf_name("/Filter"): pdf_name("/FlateDecode")}, encoded_data=encoded)


class _AfterSigning(IncrementalPdfFileWriter):
    """The writer of the revision after the signature (validation data, document time-stamp). It leaves
    the information dictionary and the XMP metadata as the signed revision wrote them (in agreement,
    :class:`_Writer`): re-parsing and rewriting the XMP packet for a DSS would only move a date."""

    def _update_meta(self) -> None:
        return None


def _supply_dss(writer: IncrementalPdfFileWriter, material: ValidationMaterial, ocsps: Sequence[bytes]) -> None:
    """The DSS (ISO 32000-2 12.8.4.3) in a revision after the signature: certificates, OCSP answers
    and CRLs as streams. No VRI: PAdES baseline (ETSI EN 319 142-1 5.4) does not ask for one, and
    none of the validators we test with reads it. A DSS already in the document (an earlier stamp)
    is merged by pyHanko."""
    if "/DSS" in writer.root:
        DocumentSecurityStore.supply_dss_in_writer(
            writer,
            None,
            certs=[asn1_x509.Certificate.load(c) for c in material.certificates],
            ocsps=[asn1_ocsp.OCSPResponse.load(o) for o in ocsps],
            crls=[asn1_crl.CertificateList.load(c) for c in material.crls],
        )
        return

    def streams(items: Sequence[bytes]) -> generic.ArrayObject:
        return generic.ArrayObject([writer.add_object(_flate_stream(der)) for der in items])

    dss = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/DSS"),
            pdf_name("/Certs"): streams(material.certificates),
            pdf_name("/OCSPs"): streams(ocsps),
            pdf_name("/CRLs"): streams(material.crls),
        }
    )
    writer.root[pdf_name("/DSS")] = writer.add_object(dss)
    writer.update_root()


def sign_pdf(
    reader: PdfFileReader,
    credentials: SealCredentials,
    spec: SignatureSpec,
    *,
    output: BinaryIO,
    timestamper: TimeStamper | None = None,
    validation: ValidationMaterial | None = None,
    password: str | None = None,
    page_ids: Sequence[tuple[int, int] | None] = (),
) -> tuple[str, ...]:
    """Stamp and sign the document ``reader`` holds (opened and, if need be, decrypted by
    :func:`esign.stamp.inputs.open_reader`); the new file is written to ``output``, a readable and
    writable binary stream, so neither file has to be held in memory.

    ``timestamper`` is required from B-T on, ``validation`` from B-LT on; ``password`` opens an
    encrypted file again for the B-LTA document timestamp. ``page_ids`` are the pages' object
    numbers (:attr:`esign.stamp.inputs.PageInfo.object_id`): with them pages are found directly.

    Returns notes for the stamp result (Chinese / English): what was mended in the document
    (:mod:`esign.stamp.xmp`), nothing when the input needed no care.
    """
    if spec.level.timestamped and timestamper is None:
        raise InputError(
            "该签名级别需要时间戳服务。", f"{spec.level} needs a timestamper.", code="timestamper_required"
        )
    if spec.level.long_term and validation is None:
        raise InputError("该签名级别需要验证数据。", f"{spec.level} needs validation data.", code="validation_required")
    meter = budget.meter_of(reader)
    try:
        with meter.active() if meter is not None else contextlib.nullcontext():
            repair = asyncio.run(_sign(reader, credentials, spec, output, timestamper, validation, password, page_ids))
    except EsignError:
        raise
    except (SigningError, PdfError, ValueError, KeyError, TypeError) as exc:
        if meter is not None:  # a budget crossed while pyHanko read the input is the reason
            meter.check(cpu=False)
        raise InputError(
            f"无法在该文件上盖章：{exc}", f"Could not stamp this file: {exc}", code="stamp_failed"
        ) from exc
    return (repair.note,) if repair is not None else ()


async def _sign(
    reader: PdfFileReader,
    credentials: SealCredentials,
    spec: SignatureSpec,
    output: BinaryIO,
    timestamper: TimeStamper | None,
    validation: ValidationMaterial | None,
    password: str | None,
    page_ids: Sequence[tuple[int, int] | None],
) -> XmpRepair | None:
    writer = _Writer(reader.stream, prev=reader)
    writer.page_ids = page_ids
    widget = spec.widget
    # The signature's seal is page content too (with the repeated seals and strips): renderers that
    # skip annotations (PDFium's plain render, thumbnailers, some print paths) and viewers that hide
    # signature widgets still show it; the widget's own appearance is the same drawing. Not on a
    # document signed before: a change of page content would void the earlier signatures' claim
    # that only signatures were added since (ISO 32000-2 12.8.2.2), so there the widget alone shows it.
    in_content = (widget,) if not reader.embedded_signatures else ()
    drawn: generic.IndirectObject | None = None
    forms = FormMaker(writer)
    if spec.extra or in_content:
        made = draw_on_pages(writer, (*spec.extra, *in_content), forms=forms)
        drawn = made[-1] if in_content else None
    _m, bw, bh, (ax, ay) = art_matrix(widget.artwork, widget.rotate)
    x0, y0 = widget.x - ax, widget.y - ay
    box = (x0, y0, x0 + bw, y0 + bh)
    style = _ExactAppearance(art=widget, drawn=drawn, forms=forms)
    meta = signers.PdfSignatureMetadata(
        field_name=spec.field_name,
        md_algorithm="sha256",
        reason=spec.reason,
        location=spec.location,
        name=spec.name,
        subfilter=fields.SigSeedSubFilter.PADES,
        certify=spec.certify,
        docmdp_permissions=fields.MDPPerm.FILL_FORMS,
    )
    field_spec = (
        None
        if spec.existing_field
        else fields.SigFieldSpec(sig_field_name=spec.field_name, on_page=widget.page_index, box=box)  # type: ignore[arg-type]
    )
    pdf_signer = signers.PdfSigner(meta, credentials.signer, stamp_style=style, new_field_spec=field_spec)
    # pyHanko writes the revision and digests its byte ranges; the container is ours (esign.stamp.cms)
    prepared, _tbs, _out = await pdf_signer.async_digest_doc_for_signing(
        writer, bytes_reserved=SIGNATURE_BYTES_RESERVED, output=output
    )
    template = await credentials.cms_template()

    async def raw_sign(data: bytes) -> bytes:
        return await credentials.sign_raw(data, template)

    stamp = None
    if spec.level.timestamped:
        assert timestamper is not None

        async def stamp(digest: bytes) -> bytes:
            return await _timestamp_token(timestamper, digest, template.digest_algorithm)

    container = await template.sign(prepared.document_digest, raw_sign, timestamp=stamp)
    if 2 * len(container) > SIGNATURE_BYTES_RESERVED:
        raise SigningError(f"the signature container ({len(container)} bytes) exceeds the space reserved for it")
    prepared.fill_with_cms(output, container)
    if not spec.level.long_term:
        return writer.xmp_repair
    assert validation is not None
    ocsps = validation.ocsp_responses
    if validation.fresh_ocsp is not None:
        ocsps = (*ocsps, validation.fresh_ocsp())
    if spec.level is PadesLevel.B_LT and append_first_dss(
        output,
        writer,
        certs=[_flate_stream(c) for c in validation.certificates],
        ocsps=[_flate_stream(o) for o in ocsps],
        crls=[_flate_stream(c) for c in validation.crls],
    ):
        return writer.xmp_repair
    output.seek(0)
    after = _AfterSigning(output, strict=False)
    if after.security_handler is not None:
        after.encrypt((password or "").encode())
    _supply_dss(after, validation, ocsps)
    if spec.level is PadesLevel.B_LTA:
        assert timestamper is not None
        await signers.PdfTimeStamper(timestamper).async_timestamp_pdf(
            after, md_algorithm="sha256", bytes_reserved=TIMESTAMP_BYTES_RESERVED, in_place=True
        )
    else:
        after.write_in_place()
    return writer.xmp_repair
