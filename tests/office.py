"""Township decisions exported by a real office suite: LibreOffice Writer, headless.

Clerks write decisions in LibreOffice or WPS and export PDF; those files, not ours, are what the
stamper meets. This module writes a decision as a flat ODT (``.fodt``, plain XML) and has
``soffice --headless --convert-to pdf`` export it with the options clerks tick: plain PDF,
PDF/A-2b, tagged PDF, and a PDF form (AcroForm) from the document's form controls, once blank and
once filled in.

Text is set in Noto Serif CJK SC (``fonts-noto-cjk``); LibreOffice embeds a subset of it with a
ToUnicode map, so text extraction sees the Chinese as written.

LibreOffice runs with a private user profile (``-env:UserInstallation``) inside the caller's work
folder, so parallel test runs never share (or lock) a profile. The export options are passed as
JSON, which LibreOffice reads from 7.4 on (Debian 12 has 7.4.7); an older one ignores them, and
the files then lack what they claim (the tests check the claims first). The whole set takes about
five seconds (four soffice runs, one per set of export options): build it once per test session
(:func:`build_office_pdfs`).

Output is not byte-for-byte reproducible (LibreOffice writes the export time and a random
document ID); tests check properties, not hashes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

__all__ = [
    "BLANK_FORM_VALUES",
    "BODY_PT",
    "FORM_VALUES",
    "KEYWORD",
    "ORGANISATION",
    "Export",
    "OfficeError",
    "OfficePdfs",
    "build_office_pdfs",
    "convert",
    "decision_fodt",
    "soffice",
]

ORGANISATION = "蒲县克城镇人民政府"
KEYWORD = "（盖章）"
"""The printed "seal here" mark, right after the organisation's name in the signature block."""

BODY_PT = 14.0
"""Size of body text and of the signature block: every CJK character (full-width brackets too) is
set exactly this wide, which lets a test find a keyword inside a line poppler reports as one word."""

FORM_VALUES = {"applicant": "王建国", "phone": "13903571234", "agree": "/Yes"}
"""The filled-in form's fields and the values LibreOffice exports for them (/V): text fields with
empty appearance streams under ``/NeedAppearances true``, which only a viewer draws."""

BLANK_FORM_VALUES = {"applicant": "", "phone": "", "agree": "/Off"}
"""The blank form's fields and the values LibreOffice exports for them (/V): empty text, an
unchecked box."""

_FONT = "Noto Serif CJK SC"


class OfficeError(RuntimeError):
    """LibreOffice is missing or did not produce the PDF."""


def soffice() -> str:
    """The ``soffice`` executable.

    :raises OfficeError: when LibreOffice is not installed (``bash dev.sh test`` installs it).
    """
    path = shutil.which("soffice") or shutil.which("libreoffice")
    if path is None:
        raise OfficeError(
            "LibreOffice (soffice) is not installed, so the office-export inputs cannot be built; "
            "`bash dev.sh test` installs it (apt package libreoffice-writer-nogui)"
        )
    return path


@dataclass(frozen=True)
class Export:
    """Options of LibreOffice's ``writer_pdf_Export`` filter, as the PDF export dialog sets them."""

    pdfa_part: int | None = None
    """1, 2 or 3 for PDF/A-1b, -2b, -3b (``SelectPdfVersion``); None for plain PDF."""

    tagged: bool = False
    """Write a structure tree (``UseTaggedPDF``): headings, paragraphs, tables for screen readers."""

    form_fields: bool = False
    """Turn form controls into PDF form fields (``ExportFormFields``, AcroForm); off by default
    here so that only the form variant has an AcroForm."""

    def filter_options(self) -> str:
        """The ``--convert-to`` target: ``pdf:writer_pdf_Export:{json}`` (LibreOffice 7.4 and later)."""
        options = {
            "SelectPdfVersion": {"type": "long", "value": str(self.pdfa_part or 0)},
            "UseTaggedPDF": {"type": "boolean", "value": "true" if self.tagged else "false"},
            "ExportFormFields": {"type": "boolean", "value": "true" if self.form_fields else "false"},
            "FormsType": {"type": "long", "value": "1"},  # fields submit as PDF
        }
        return "pdf:writer_pdf_Export:" + json.dumps(options, separators=(",", ":"))


def convert(
    sources: Mapping[str, str], export: Export, *, workdir: Path, profile: Path | None = None, timeout: float = 180
) -> dict[str, bytes]:
    """Export flat-ODT sources (name -> XML text) to PDF in one ``soffice`` run; returns name -> PDF bytes.

    ``workdir`` holds the sources and the outputs; ``profile`` is LibreOffice's private user profile
    (default ``workdir/profile``). Runs may share a profile one after the other, never at the same
    time.

    :raises OfficeError: LibreOffice is missing, failed, or left a PDF out.
    """
    exe = soffice()
    src_dir = workdir / "src"
    out_dir = workdir / "out"
    profile = profile or workdir / "profile"
    src_dir.mkdir(parents=True, exist_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, xml in sources.items():
        path = src_dir / f"{name}.fodt"
        path.write_text(xml, encoding="utf-8")
        paths.append(str(path))
    cmd = [
        exe,
        f"-env:UserInstallation={profile.resolve().as_uri()}",
        "--headless",
        "--norestore",
        "--nolockcheck",
        "--convert-to",
        export.filter_options(),
        "--outdir",
        str(out_dir),
        *paths,
    ]
    try:
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise OfficeError(f"soffice did not finish within {timeout:.0f} s: {' '.join(cmd)}") from exc
    out: dict[str, bytes] = {}
    for name in sources:
        pdf = out_dir / f"{name}.pdf"
        if run.returncode != 0 or not pdf.is_file():
            raise OfficeError(
                f"soffice did not export {name}.pdf (exit {run.returncode}):\n{run.stdout}\n{run.stderr}".strip()
            )
        out[name] = pdf.read_bytes()
        pdf.unlink()
    return out


# --- the document -------------------------------------------------------------------------------

_NS = " ".join(
    f'xmlns:{p}="{u}"'
    for p, u in {
        "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
        "ooo": "http://openoffice.org/2004/office",  # form:control-implementation values are ooo: names
        "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
        "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
        "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
        "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
        "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
        "svg": "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0",
        "form": "urn:oasis:names:tc:opendocument:xmlns:form:1.0",
        "dc": "http://purl.org/dc/elements/1.1/",
        "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
        "xlink": "http://www.w3.org/1999/xlink",
    }.items()
)

_STYLES = f"""
 <office:meta><dc:title>{{title}}</dc:title></office:meta>
 <office:font-face-decls>
  <style:font-face style:name="{_FONT}" svg:font-family="'{_FONT}'" style:font-family-generic="roman"/>
 </office:font-face-decls>
 <office:styles>
  <style:default-style style:family="paragraph">
   <style:paragraph-properties fo:line-height="130%"/>
   <style:text-properties style:font-name="{_FONT}" style:font-name-asian="{_FONT}" style:font-name-complex="{_FONT}"
     fo:font-size="{{body_pt}}pt" style:font-size-asian="{{body_pt}}pt" fo:language="zh" fo:country="CN"
     style:language-asian="zh" style:country-asian="CN" fo:color="#000000"/>
  </style:default-style>
 </office:styles>
 <office:automatic-styles>
  <style:page-layout style:name="A4">
   <style:page-layout-properties fo:page-width="210mm" fo:page-height="297mm"
     fo:margin-top="25mm" fo:margin-bottom="25mm" fo:margin-left="28mm" fo:margin-right="26mm"/>
  </style:page-layout>
  <style:style style:name="Org" style:family="paragraph">
   <style:paragraph-properties fo:text-align="center"/>
   <style:text-properties fo:font-size="16pt" style:font-size-asian="16pt"/>
  </style:style>
  <style:style style:name="Title" style:family="paragraph">
   <style:paragraph-properties fo:text-align="center" fo:margin-bottom="4mm"/>
   <style:text-properties fo:font-size="22pt" style:font-size-asian="22pt" fo:font-weight="bold"
     style:font-weight-asian="bold"/>
  </style:style>
  <style:style style:name="Right" style:family="paragraph">
   <style:paragraph-properties fo:text-align="end"/>
  </style:style>
  <style:style style:name="Body" style:family="paragraph">
   <style:paragraph-properties fo:text-indent="9.9mm"/>
  </style:style>
  <style:style style:name="NewPage" style:family="paragraph">
   <style:paragraph-properties fo:break-before="page" fo:text-indent="9.9mm"/>
  </style:style>
  <style:style style:name="Signature" style:family="paragraph">
   <style:paragraph-properties fo:text-align="end" fo:margin-top="12mm"/>
  </style:style>
  <style:style style:name="Small" style:family="paragraph">
   <style:paragraph-properties fo:margin-top="12mm"/>
   <style:text-properties fo:font-size="10.5pt" style:font-size-asian="10.5pt"/>
  </style:style>
  <style:style style:name="Materials" style:family="table">
   <style:table-properties style:width="156mm" table:align="margins" fo:margin-top="3mm" fo:margin-bottom="3mm"/>
  </style:style>
  <style:style style:name="ColNo" style:family="table-column">
   <style:table-column-properties style:column-width="16mm"/>
  </style:style>
  <style:style style:name="ColName" style:family="table-column">
   <style:table-column-properties style:column-width="90mm"/>
  </style:style>
  <style:style style:name="ColCount" style:family="table-column">
   <style:table-column-properties style:column-width="20mm"/>
  </style:style>
  <style:style style:name="ColNote" style:family="table-column">
   <style:table-column-properties style:column-width="30mm"/>
  </style:style>
  <style:style style:name="Cell" style:family="table-cell">
   <style:table-cell-properties fo:border="0.5pt solid #000000" fo:padding="1mm"/>
  </style:style>
  <style:style style:name="Field" style:family="graphic">
   <style:graphic-properties style:vertical-pos="middle" style:vertical-rel="text"/>
  </style:style>
 </office:automatic-styles>
 <office:master-styles>
  <style:master-page style:name="Standard" style:page-layout-name="A4"/>
 </office:master-styles>
"""

_BODY = (
    "你（单位）于2025年3月17日提出的{item}申请，经审查，申请事项属于本机关职权范围，申请材料齐全、"
    "符合法定形式，根据《中华人民共和国行政许可法》第三十二条第一款第（五）项的规定，决定予以受理。",
    "本机关将在法定期限内作出决定，请保持联系电话畅通。",
)

_FILLER = (
    "根据《中华人民共和国行政许可法》和《山西省行政审批服务管理办法》的有关规定，本机关对申请人提交的材料"
    "进行了审查，现将审查意见告知如下。申请人应当如实提交有关材料和反映真实情况，并对申请材料实质内容的"
    "真实性负责。便民服务中心实行一次告知、一窗受理、限时办结，群众办事不出镇。"
)

_MATERIALS = (
    ("农村宅基地和建房（规划许可）申请表", "1", "原件"),
    ("申请人身份证、户口簿", "1", "复印件"),
    ("农村宅基地使用承诺书", "1", "原件"),
    ("村民小组会议记录", "1", "原件"),
)


def _p(style: str, text: str) -> str:
    return f'<text:p text:style-name="{style}">{escape(text)}</text:p>'


def _table() -> str:
    rows = [("序号", "材料名称", "份数", "备注")] + [(str(i + 1), *m) for i, m in enumerate(_MATERIALS)]
    cells = "".join(
        "<table:table-row>"
        + "".join(
            f'<table:table-cell table:style-name="Cell" office:value-type="string">{_p("Standard", c)}'
            "</table:table-cell>"
            for c in row
        )
        + "</table:table-row>"
        for row in rows
    )
    return (
        '<table:table table:name="材料清单" table:style-name="Materials">'
        '<table:table-column table:style-name="ColNo"/><table:table-column table:style-name="ColName"/>'
        '<table:table-column table:style-name="ColCount"/><table:table-column table:style-name="ColNote"/>'
        f"{cells}</table:table>"
    )


_FORM = """
   <office:forms form:automatic-focus="false" form:apply-design-mode="false">
    <form:form form:name="受理表单" form:apply-filter="true" form:command-type="table">
     <form:text form:name="applicant" form:control-implementation="ooo:com.sun.star.form.component.TextField"
       xml:id="applicant" form:id="applicant"{applicant}/>
     <form:text form:name="phone" form:control-implementation="ooo:com.sun.star.form.component.TextField"
       xml:id="phone" form:id="phone"{phone}/>
     <form:checkbox form:name="agree" form:control-implementation="ooo:com.sun.star.form.component.CheckBox"
       xml:id="agree" form:id="agree" form:current-state="{agree}" form:label="同意电子送达"/>
    </form:form>
   </office:forms>"""


def _forms(filled: bool) -> str:
    """The form controls, blank or holding :data:`FORM_VALUES` (current values, box checked)."""
    if not filled:
        return _FORM.format(applicant="", phone="", agree="unchecked")
    value = {k: ' form:current-value="' + escape(FORM_VALUES[k], {'"': "&quot;"}) + '"' for k in ("applicant", "phone")}
    return _FORM.format(**value, agree="checked")


def _control(control_id: str, width_mm: float) -> str:
    return (
        f'<draw:control draw:style-name="Field" text:anchor-type="as-char" svg:width="{width_mm}mm" '
        f'svg:height="7mm" draw:control="{control_id}"/>'
    )


def decision_fodt(
    *,
    pages: int = 1,
    table: bool = True,
    form: bool = False,
    filled: bool = False,
    title: str = "受理通知书",
    item: str = "农村村民宅基地申请审批",
    date: str = "2025年3月18日",
) -> str:
    """A 受理通知书 of 蒲县克城镇人民政府 as a flat ODT document, signed "蒲县克城镇人民政府（盖章）" and dated.

    ``pages`` > 1 adds pages of filler text before the signature page (explicit page breaks), so
    the keyword sits on the last page only. ``table`` adds the list of received materials;
    ``form`` adds form controls (applicant, phone, a check box) for an AcroForm export, blank
    unless ``filled`` (then holding :data:`FORM_VALUES`).
    """
    if pages < 1:
        raise ValueError("a decision has at least one page")
    if filled and not form:
        raise ValueError("only a form can be filled in")
    body = [
        _p("Org", ORGANISATION),
        _p("Title", title),
        _p("Right", "克政审受字〔2025〕第017号"),
        _p("Standard", "王建国："),
        _p("Body", _BODY[0].format(item=item)),
    ]
    for n in range(2, pages + 1):
        body.append(_p("NewPage", f"（第{n}页）" + _FILLER))
        body.append(_p("Body", _FILLER))
    if table:
        body.append(_p("Standard", "已收到的申请材料如下："))
        body.append(_table())
    body.append(_p("Body", _BODY[1]))
    if form:
        body.append(f'<text:p text:style-name="Standard">申请人：{_control("applicant", 50)}</text:p>')
        body.append(f'<text:p text:style-name="Standard">联系电话：{_control("phone", 50)}</text:p>')
        body.append(f'<text:p text:style-name="Standard">{_control("agree", 60)}</text:p>')
    body.append(_p("Signature", ORGANISATION + KEYWORD))
    body.append(_p("Right", date))
    body.append(_p("Small", "本通知书一式两份，申请人与受理机关各执一份。"))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<office:document {_NS} office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">'
        + _STYLES.format(title=escape(title), body_pt=f"{BODY_PT:g}")
        + "<office:body><office:text>"
        + (_forms(filled) if form else "")
        + "".join(body)
        + "</office:text></office:body></office:document>\n"
    )


# --- the set the tests use ----------------------------------------------------------------------


@dataclass(frozen=True)
class OfficePdfs:
    """The decisions as LibreOffice exports them."""

    plain: bytes
    """One page with the table of materials, plain PDF export."""

    multipage: bytes
    """Three pages, the signature block (and so the keyword) on the last one; plain PDF export."""

    pdfa: bytes
    """One page, PDF/A-2b (LibreOffice adds an sRGB output intent and tags it)."""

    form: bytes
    """One page with blank form controls exported as an AcroForm (:data:`BLANK_FORM_VALUES`)."""

    filled_form: bytes
    """The same form filled in (:data:`FORM_VALUES`): values only a viewer draws (``/NeedAppearances``),
    which the stamper refuses. Not among :meth:`variants`."""

    tagged: bytes
    """One page, tagged PDF (structure tree, /MarkInfo)."""

    seconds: float
    """How long the soffice runs took together."""

    def variants(self) -> dict[str, bytes]:
        """Name -> PDF for every variant the stamper accepts (all but :attr:`filled_form`)."""
        return {
            "plain": self.plain,
            "multipage": self.multipage,
            "pdfa": self.pdfa,
            "form": self.form,
            "tagged": self.tagged,
        }


def build_office_pdfs(workdir: Path) -> OfficePdfs:
    """Export every variant under ``workdir``: one soffice run per set of export options (four, one
    after the other, sharing one private profile)."""
    start = time.monotonic()
    profile = workdir / "profile"
    plain = convert(
        {"plain": decision_fodt(), "multipage": decision_fodt(pages=3)},
        Export(),
        workdir=workdir / "plain",
        profile=profile,
    )
    pdfa = convert({"pdfa": decision_fodt()}, Export(pdfa_part=2), workdir=workdir / "pdfa", profile=profile)
    form = convert(
        {"form": decision_fodt(form=True), "filled_form": decision_fodt(form=True, filled=True)},
        Export(form_fields=True),
        workdir=workdir / "form",
        profile=profile,
    )
    tagged = convert({"tagged": decision_fodt()}, Export(tagged=True), workdir=workdir / "tagged", profile=profile)
    return OfficePdfs(
        plain=plain["plain"],
        multipage=plain["multipage"],
        pdfa=pdfa["pdfa"],
        form=form["form"],
        filled_form=form["filled_form"],
        tagged=tagged["tagged"],
        seconds=time.monotonic() - start,
    )
