"""Test PDFs built by code: realistic township decisions and every page geometry the stamper meets.

Importable by any test package (``from tests.pdfgen import decision_pdf``) and used by
``scripts/make_sample_decisions.py`` to write ``samples/decisions/*.pdf``.

Text is set in Noto Serif CJK SC (``fonts-noto-cjk``), embedded as one CID-keyed CFF subset per
document with a ToUnicode map, so text extraction (pdfminer, pdftotext) sees real Chinese. One font
resource is shared by all pages, which keeps a 200-page document at well under a second.

Output is deterministic: the document ID, the font subset tag and the Info dates are fixed
(AES encryption still draws random IVs, so encrypted output differs between runs).

Coordinates for authors are millimetres from the top-left corner of the *unrotated* MediaBox; a
page's ``rotate`` and ``crop_mm`` are applied on top, exactly as a real producer would.
"""

from __future__ import annotations

import functools
import hashlib
import io
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from fontTools import subset as ft_subset
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.writer import PdfFileWriter

__all__ = [
    "A3",
    "A4",
    "FONT_PATH",
    "LETTER",
    "MM",
    "Page",
    "SigField",
    "Text",
    "build_pdf",
    "decision_pdf",
    "decision_texts",
    "geometry_pdf",
    "long_pdf",
    "nested_array_pdf",
    "raw_pdf",
    "scanned_pdf",
    "sign_for_test",
]

MM = 72 / 25.4
"""Points per millimetre."""

A4 = (210.0, 297.0)
A3 = (297.0, 420.0)
LETTER = (215.9, 279.4)

FONT_PATH = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
_FACE_NAME = "Noto Serif CJK SC"


@dataclass(frozen=True)
class Text:
    """One line of text."""

    x_mm: float
    """Anchor from the left edge of the MediaBox (meaning depends on ``align``)."""

    y_mm: float
    """Baseline from the top edge of the MediaBox."""

    text: str
    """The characters; every one must exist in the font."""

    size_pt: float = 12.0
    """Font size."""

    align: Literal["left", "center", "right"] = "left"
    """Which end of the line sits at ``x_mm``."""


@dataclass(frozen=True)
class Page:
    """One page: size, geometry and content."""

    width_mm: float = A4[0]
    """MediaBox width."""

    height_mm: float = A4[1]
    """MediaBox height."""

    texts: tuple[Text, ...] = ()
    """Lines of text."""

    rotate: int = 0
    """The page's /Rotate."""

    crop_mm: tuple[float, float, float, float] | None = None
    """CropBox as (left, top, right, bottom) margins in mm cut from the MediaBox; None for none."""

    origin_pt: tuple[float, float] = (0.0, 0.0)
    """Lower-left corner of the MediaBox in user space (non-zero origins occur in the wild)."""

    image_jpeg: bytes | None = None
    """A JPEG drawn over the whole MediaBox (a scan)."""

    frame: bool = False
    """Draw a thin frame along the visible (cropped) edges, for eyeballing renders."""


@dataclass(frozen=True)
class SigField:
    """An empty signature field to add."""

    name: str
    """Field name (partial name, no dots)."""

    page_index: int
    """0-based page."""

    rect_mm: tuple[float, float, float, float]
    """(left, top, width, height) in mm from the MediaBox's top-left corner."""


# ---------------------------------------------------------------------------------------------- font


@functools.cache
def _face_index() -> int:
    from fontTools.ttLib import TTCollection

    coll = TTCollection(FONT_PATH, lazy=True)
    for i, font in enumerate(coll.fonts):
        if font["name"].getDebugName(4) == _FACE_NAME:
            return i
    raise RuntimeError(f"{_FACE_NAME} not found in {FONT_PATH}")


@functools.cache
def _subset_font(charset: str) -> bytes:
    """An OTF holding only ``charset`` (CID-keyed CFF, as the collection has it)."""
    opts = ft_subset.Options()
    opts.layout_features = []
    opts.drop_tables += ["GPOS", "GSUB", "GDEF", "BASE", "VORG", "vhea", "vmtx", "DSIG"]
    opts.notdef_outline = True
    subsetter = ft_subset.Subsetter(opts)
    subsetter.populate(text=charset + " ")
    font = TTFont(FONT_PATH, fontNumber=_face_index())
    subsetter.subset(font)
    buf = io.BytesIO()
    font.save(buf)
    return buf.getvalue()


def _new_engine(writer: PdfFileWriter, charset: str, seed: str, obj_stream: object) -> GlyphAccumulator:
    # pyHanko draws the subset tag from the global ``random``; seed it for a fixed tag and put the
    # caller's state back.
    state = random.getstate()
    random.seed(seed)
    try:
        return GlyphAccumulator(writer, io.BytesIO(_subset_font(charset)), 12, obj_stream=obj_stream)
    finally:
        random.setstate(state)


class _Writer(PdfFileWriter):
    """A writer with a fixed document ID and Info dictionary (pyHanko stamps 'now' otherwise)."""

    def __init__(self, seed: str, *, stream_xrefs: bool, producer: str, title: str | None) -> None:
        super().__init__(stream_xrefs=stream_xrefs)
        digest = hashlib.sha256(seed.encode()).digest()
        self._document_id = generic.ArrayObject(
            [generic.ByteStringObject(digest[:16]), generic.ByteStringObject(digest[16:])]
        )
        info = generic.DictionaryObject(
            {
                pdf_name("/Producer"): generic.TextStringObject(producer),
                pdf_name("/CreationDate"): generic.TextStringObject("D:20250301090000+08'00'"),
            }
        )
        if title:
            info[pdf_name("/Title")] = generic.TextStringObject(title)
        self._info = self.add_object(info)

    def _update_meta(self) -> None:
        return None


# ------------------------------------------------------------------------------------------- builder


def _fmt(v: float) -> str:
    return f"{v:.3f}".rstrip("0").rstrip(".")


def build_pdf(
    pages: Sequence[Page],
    *,
    seed: str = "esign-test",
    object_streams: bool = False,
    stream_xrefs: bool | None = None,
    user_password: str | None = None,
    owner_password: str | None = None,
    sig_fields: Iterable[SigField] = (),
    producer: str = "esign tests/pdfgen",
    title: str | None = None,
    pdfa: tuple[int, str] | None = None,
) -> bytes:
    """Build a PDF from page specs.

    ``object_streams`` puts pages and fonts in an object stream (and implies an xref stream);
    ``user_password``/``owner_password`` encrypt with AES-256; ``pdfa`` = (part, conformance)
    adds an XMP packet claiming PDF/A (the file is not actually checked for conformance).
    """
    stream_xrefs = object_streams if stream_xrefs is None else stream_xrefs
    writer = _Writer(seed, stream_xrefs=stream_xrefs, producer=producer, title=title)
    obj_stream = writer.prepare_object_stream() if object_streams else None
    charset = "".join(sorted({c for p in pages for t in p.texts for c in t.text}))
    engine = _new_engine(writer, charset, seed, obj_stream) if charset else None
    font_ref = engine.as_resource() if engine else None

    page_refs = []
    for page in pages:
        page_refs.append(_add_page(writer, page, engine, font_ref, obj_stream))

    for spec in sig_fields:
        _add_sig_field(writer, spec, pages[spec.page_index], page_refs[spec.page_index])
    if pdfa is not None:
        writer.root[pdf_name("/Metadata")] = writer.add_object(_xmp_stream(pdfa, producer))
    if user_password is not None or owner_password is not None:
        writer.encrypt(owner_password or user_password, user_password or "")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _add_page(
    writer: PdfFileWriter,
    page: Page,
    engine: GlyphAccumulator | None,
    font_ref: generic.PdfObject | None,
    obj_stream: object,
) -> generic.IndirectObject:
    ox, oy = page.origin_pt
    w, h = page.width_mm * MM, page.height_mm * MM
    top = oy + h
    ops: list[str] = []
    resources = generic.DictionaryObject()
    if page.image_jpeg is not None:
        img = Image.open(io.BytesIO(page.image_jpeg))
        xobj = generic.StreamObject(
            {
                pdf_name("/Type"): pdf_name("/XObject"),
                pdf_name("/Subtype"): pdf_name("/Image"),
                pdf_name("/Width"): generic.NumberObject(img.width),
                pdf_name("/Height"): generic.NumberObject(img.height),
                pdf_name("/ColorSpace"): pdf_name("/DeviceGray" if img.mode == "L" else "/DeviceRGB"),
                pdf_name("/BitsPerComponent"): generic.NumberObject(8),
                pdf_name("/Filter"): pdf_name("/DCTDecode"),
            },
            encoded_data=page.image_jpeg,
        )
        resources[pdf_name("/XObject")] = generic.DictionaryObject({pdf_name("/Scan"): writer.add_object(xobj)})
        ops.append(f"q {_fmt(w)} 0 0 {_fmt(h)} {_fmt(ox)} {_fmt(oy)} cm /Scan Do Q")
    if page.texts:
        assert engine is not None and font_ref is not None
        resources[pdf_name("/Font")] = generic.DictionaryObject({pdf_name("/F1"): font_ref})
        ops.append("0 g")
        for t in page.texts:
            shaped = engine.shape(t.text, with_actual_text=False)
            width = shaped.x_advance * t.size_pt
            x = ox + t.x_mm * MM - {"left": 0.0, "center": width / 2, "right": width}[t.align]
            y = top - t.y_mm * MM
            ops.append(
                f"BT /F1 {_fmt(t.size_pt)} Tf 1 0 0 1 {_fmt(x)} {_fmt(y)} Tm "
                + shaped.graphics_ops.decode("ascii")
                + " ET"
            )
    if page.frame:
        x0, y0, x1, y1 = _crop_pt(page)
        ops.append(f"q 0.3 w 0 0 1 RG {_fmt(x0 + 1)} {_fmt(y0 + 1)} {_fmt(x1 - x0 - 2)} {_fmt(y1 - y0 - 2)} re S Q")
    content = generic.StreamObject(stream_data="\n".join(ops).encode("ascii"))
    content.compress()
    page_dict = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Page"),
            pdf_name("/MediaBox"): generic.ArrayObject(generic.FloatObject(v) for v in (ox, oy, ox + w, oy + h)),
            pdf_name("/Resources"): resources,
            pdf_name("/Contents"): writer.add_object(content),
        }
    )
    if page.rotate:
        page_dict[pdf_name("/Rotate")] = generic.NumberObject(page.rotate)
    if page.crop_mm is not None:
        page_dict[pdf_name("/CropBox")] = generic.ArrayObject(generic.FloatObject(v) for v in _crop_pt(page))
    if obj_stream is not None:
        # pyHanko's insert_page writes the page dict itself; the resources can live in the stream
        page_dict[pdf_name("/Resources")] = writer.add_object(resources, obj_stream=obj_stream)  # type: ignore[arg-type]
    return writer.insert_page(page_dict)


def _crop_pt(page: Page) -> tuple[float, float, float, float]:
    ox, oy = page.origin_pt
    w, h = page.width_mm * MM, page.height_mm * MM
    if page.crop_mm is None:
        return ox, oy, ox + w, oy + h
    left, top, right, bottom = (v * MM for v in page.crop_mm)
    return ox + left, oy + bottom, ox + w - right, oy + h - top


def _add_sig_field(writer: PdfFileWriter, spec: SigField, page: Page, page_ref: generic.IndirectObject) -> None:
    from pyhanko.sign.fields import SigFieldSpec, append_signature_field

    ox, oy = page.origin_pt
    top = oy + page.height_mm * MM
    left, t, wd, ht = spec.rect_mm
    box = (ox + left * MM, top - (t + ht) * MM, ox + (left + wd) * MM, top - t * MM)
    append_signature_field(
        writer,
        SigFieldSpec(spec.name, on_page=spec.page_index, box=box),  # type: ignore[arg-type]
    )


def _xmp_stream(pdfa: tuple[int, str], producer: str) -> generic.StreamObject:
    part, conformance = pdfa
    xmp = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" '
        'xmlns:pdf="http://ns.adobe.com/pdf/1.3/">\n'
        f"<pdfaid:part>{part}</pdfaid:part><pdfaid:conformance>{conformance}</pdfaid:conformance>\n"
        f"<pdf:Producer>{producer}</pdf:Producer>\n"
        '</rdf:Description></rdf:RDF></x:xmpmeta>\n<?xpacket end="w"?>'
    ).encode()
    return generic.StreamObject(
        {pdf_name("/Type"): pdf_name("/Metadata"), pdf_name("/Subtype"): pdf_name("/XML")}, stream_data=xmp
    )


# ------------------------------------------------------------------------------------------ documents

_TOWNSHIP = "蒲县克城镇人民政府"


def decision_texts(
    *,
    organisation: str = _TOWNSHIP,
    title: str = "受理通知书",
    number: str = "克政审受字〔2025〕第017号",
    applicant: str = "王建国",
    item: str = "农村村民宅基地申请审批",
    date: str = "2025年3月18日",
    body: Sequence[str] | None = None,
) -> tuple[Text, ...]:
    """The lines of a one-page A4 decision with the organisation and date at the bottom right."""
    if body is None:
        body = (
            f"你（单位）于2025年3月17日提出的{item}申请，",
            "经审查，申请事项属于本机关职权范围，申请材料齐全、",
            "符合法定形式，根据《中华人民共和国行政许可法》",
            "第三十二条第一款第（五）项的规定，决定予以受理。",
            "本机关将在法定期限内作出决定，请保持联系电话畅通。",
            "",
            "联系地址：蒲县克城镇便民服务中心一楼综合窗口",
            "联系电话：0357-5212345",
        )
    texts = [
        Text(105, 38, organisation, 16, "center"),
        Text(105, 52, title, 22, "center"),
        Text(185, 66, number, 12, "right"),
        Text(25, 84, f"{applicant}：", 14),
    ]
    y = 96.0
    for line in body:
        if line:
            texts.append(Text(35, y, line, 14))
        y += 9.5
    texts.append(Text(185, 222, f"{organisation}（盖章）", 14, "right"))
    texts.append(Text(185, 234, date, 14, "right"))
    texts.append(Text(25, 270, "本通知书一式两份，申请人与受理机关各执一份。", 10.5))
    return tuple(texts)


def decision_pdf(**kwargs: object) -> bytes:
    """The 1-page 受理通知书 of 蒲县克城镇人民政府 (keywords forwarded to :func:`decision_texts`)."""
    seed = "decision:" + repr(sorted(kwargs.items()))
    title = str(kwargs.get("title", "受理通知书"))
    return build_pdf([Page(texts=decision_texts(**kwargs))], seed=seed, title=title)  # type: ignore[arg-type]


_FILLER = (
    "根据《中华人民共和国行政许可法》和《山西省行政审批服务管理办法》的有关规定，",
    "本机关对申请人提交的材料进行了审查，现将审查意见告知如下。",
    "申请人应当如实提交有关材料和反映真实情况，并对申请材料实质内容的真实性负责。",
    "便民服务中心实行一次告知、一窗受理、限时办结，群众办事不出镇。",
)


def long_pdf(n_pages: int, *, organisation: str = _TOWNSHIP, seed: str = "long", **kwargs: object) -> bytes:
    """``n_pages`` A4 pages of Chinese text; the last page ends with ``organisation（盖章）`` and a date.

    Every page carries a footer ``第 i 页 共 n 页`` and the organisation name in its header, so a
    keyword search has earlier occurrences to skip.
    """
    pages = []
    for i in range(n_pages):
        texts = [Text(105, 20, organisation, 10.5, "center")]
        for j in range(20):
            texts.append(Text(25, 40 + j * 11, _FILLER[(i + j) % len(_FILLER)], 12))
        texts.append(Text(105, 285, f"第 {i + 1} 页 共 {n_pages} 页", 10.5, "center"))
        pages.append(Page(texts=tuple(texts)))
    last = pages[-1]
    pages[-1] = Page(
        texts=(
            *last.texts[:12],
            Text(185, 200, f"{organisation}（盖章）", 14, "right"),
            Text(185, 212, "2025年3月18日", 14, "right"),
            last.texts[-1],
        ),
    )
    return build_pdf(pages, seed=f"{seed}:{n_pages}", **kwargs)  # type: ignore[arg-type]


def geometry_pdf(
    size_mm: tuple[float, float] = A4,
    *,
    rotate: int = 0,
    crop_mm: tuple[float, float, float, float] | None = None,
    origin_pt: tuple[float, float] = (0.0, 0.0),
) -> bytes:
    """One page of the given geometry with a frame and a label (for placement tests)."""
    w, h = size_mm
    label = f"{_fmt(w)}×{_fmt(h)} 旋转{rotate}"
    page = Page(
        width_mm=w,
        height_mm=h,
        rotate=rotate,
        crop_mm=crop_mm,
        origin_pt=origin_pt,
        texts=(Text(w / 2, h / 2, label, 14, "center"),),
        frame=True,
    )
    return build_pdf([page], seed=f"geom:{size_mm}:{rotate}:{crop_mm}:{origin_pt}")


def scanned_pdf(*, organisation: str = _TOWNSHIP, dpi: int = 100) -> bytes:
    """An A4 page that is only a greyscale JPEG: a scan with no text layer at all."""
    w, h = round(A4[0] / 25.4 * dpi), round(A4[1] / 25.4 * dpi)
    img = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT_PATH, size=round(16 / 72 * dpi), index=_face_index())
    small = ImageFont.truetype(FONT_PATH, size=round(12 / 72 * dpi), index=_face_index())

    def px(mm: float) -> int:
        return round(mm / 25.4 * dpi)

    draw.text((px(105), px(40)), "证  明", font=font, fill=0, anchor="ms")
    for i, line in enumerate(("兹证明王建国同志系我镇克城村村民，", "家庭住址属实。", "特此证明。")):
        draw.text((px(35), px(70 + i * 10)), line, font=small, fill=0, anchor="ls")
    draw.text((px(185), px(222)), f"{organisation}（盖章）", font=small, fill=0, anchor="rs")
    draw.text((px(185), px(234)), "2025年3月18日", font=small, fill=0, anchor="rs")
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=80)
    return build_pdf([Page(image_jpeg=buf.getvalue())], seed="scan", producer="Canon iR-ADV C3525 (esign tests)")


# ------------------------------------------------------------------------------------------ raw files


def raw_pdf(
    objects: Sequence[bytes], *, root: int = 1, trailer_extra: bytes = b"", header: bytes = b"%PDF-1.7\n"
) -> bytes:
    """A classic-xref PDF from object bodies; object ``i`` (1-based) is ``objects[i-1]``.

    For hand-made malformed inputs: the bodies are written as given, offsets are computed.
    """
    out = bytearray(header)
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root %d 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        root,
        trailer_extra,
        xref_at,
    )
    return bytes(out)


def nested_array_pdf(depth: int) -> bytes:
    """A one-page PDF whose page dictionary holds an array nested ``depth`` levels deep."""
    nested = b"[" * depth + b"0" + b"]" * depth
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Deep " + nested + b" >>",
        ]
    )


# ------------------------------------------------------------------------------------------- signing


@functools.cache
def _test_signer() -> object:
    import datetime

    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key = ec.derive_private_key(0x5EA1, ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "esign pdfgen test signer")])
    start = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    return signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        ),
        cert_registry=SimpleCertificateStore(),
    )


def sign_for_test(data: bytes, field_name: str = "Signature1") -> bytes:
    """Sign ``data`` (invisibly, or into the empty field ``field_name``) with a throwaway self-signed key."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    out = signers.sign_pdf(
        writer,
        signers.PdfSignatureMetadata(field_name=field_name),
        signer=_test_signer(),  # type: ignore[arg-type]
    )
    return out.getvalue()
