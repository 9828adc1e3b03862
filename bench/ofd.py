"""11. OFD beside PDF: stamping and verifying the same 1-page and 50-page documents as a stamped OFD
(:func:`esign.ofd.verify.verify_ofd`: every Reference's SM3, the SES_Signature over Signature.xml, the
seal, the SM2 chains and time-stamp) and as a stamped B-LT PDF (:func:`esign.verify.verify_pdf`),
interleaved round by round in one run.

The documents: ``tests.pdfgen.long_pdf(n)`` is stamped by the county (B-LT, keyword placement); its text,
line by line as PDFium reads it from each page, is laid out as an OFD of the same pages (one TextObject
per line, A4), which ``esign.ofd.stamp`` stamps on the last page with a GB/T 38540 seal of the SM2 test
hierarchy of ``tests/ses`` (time-stamped by its SM2 TSA, QR annotation included). Both verifiers work
offline with their trust anchor and a CRL; the ratio is OFD ÷ PDF for the same page count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from xml.sax.saxutils import escape

import pypdfium2

from bench.context import Context
from bench.county import now
from bench.report import Section
from bench.stats import fmt_bytes, fmt_ratio, fmt_seconds, race, summarise
from esign.ofd import write_package

__all__ = ["ofd_of_pdf_text", "run"]

_NS = 'xmlns:ofd="http://www.ofdspec.org/2016"'


def _page_lines(pdf: bytes) -> list[list[str]]:
    doc = pypdfium2.PdfDocument(pdf)
    try:
        out = []
        for i in range(len(doc)):
            text = doc[i].get_textpage().get_text_range()
            out.append([line.strip() for line in text.splitlines() if line.strip()])
        return out
    finally:
        doc.close()


def ofd_of_pdf_text(pdf: bytes) -> bytes:
    """An A4 OFD whose pages carry the text lines of ``pdf``'s pages (one TextObject per line)."""
    pages = _page_lines(pdf)
    files: list[tuple[str, bytes]] = [
        (
            "OFD.xml",
            f'<?xml version="1.0" encoding="UTF-8"?>\n<ofd:OFD {_NS} Version="1.0" DocType="OFD"><ofd:DocBody>'
            "<ofd:DocInfo><ofd:DocID>6263686d61726b000000000000000000</ofd:DocID></ofd:DocInfo>"
            "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>".encode(),
        )
    ]
    refs = "".join(f'<ofd:Page ID="{i + 2}" BaseLoc="Pages/Page_{i}/Content.xml"/>' for i in range(len(pages)))
    files.append(
        (
            "Doc_0/Document.xml",
            f'<?xml version="1.0" encoding="UTF-8"?>\n<ofd:Document {_NS}><ofd:CommonData>'
            f"<ofd:MaxUnitID>{10_000 + 100 * len(pages)}</ofd:MaxUnitID><ofd:PageArea>"
            "<ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes>"
            f"</ofd:CommonData><ofd:Pages>{refs}</ofd:Pages></ofd:Document>".encode(),
        )
    )
    files.append(
        (
            "Doc_0/PublicRes.xml",
            f'<?xml version="1.0" encoding="UTF-8"?>\n<ofd:Res {_NS} BaseLoc="Res"><ofd:Fonts>'
            '<ofd:Font ID="1" FontName="宋体" FamilyName="宋体"/></ofd:Fonts></ofd:Res>'.encode(),
        )
    )
    for i, lines in enumerate(pages):
        objs = "".join(
            f'<ofd:TextObject ID="{10_000 + 100 * i + j}" Boundary="20 {25 + j * 11} 170 8" Font="1" Size="4.2">'
            f'<ofd:TextCode X="0" Y="5">{escape(line)}</ofd:TextCode></ofd:TextObject>'
            for j, line in enumerate(lines[:24])
        )
        files.append(
            (
                f"Doc_0/Pages/Page_{i}/Content.xml",
                f'<?xml version="1.0" encoding="UTF-8"?>\n<ofd:Page {_NS}><ofd:Content><ofd:Layer ID="{9_000 + i}">'
                f"{objs}</ofd:Layer></ofd:Content></ofd:Page>".encode(),
            )
        )
    return write_package(files)


def run(ctx: Context) -> Section:
    from esign.appearance import qr_artwork
    from esign.ofd.stamp import OfdSigner, stamp_ofd
    from esign.ofd.verify import verify_ofd
    from esign.pki.sm2_certs import sm2_crl
    from esign.ses import SesTrust, crl_lookup
    from esign.stamp import placement_from_dict
    from esign.verify import verify_pdf
    from tests.pdfgen import long_pdf
    from tests.ses.conftest import build_pki, make_test_seal

    county = ctx.county
    at = now() - dt.timedelta(minutes=5)
    pki = build_pki()  # valid from 2026-01-30 for 700 days (the SM2 test hierarchy of tests/ses)
    seal = make_test_seal(pki, valid_start=at - dt.timedelta(days=1), valid_end=at + dt.timedelta(days=30))
    signer = OfdSigner(seal, pki.signer_key, pki.signer.der, pki.timestamper(at), "基准县")
    crl = sm2_crl(pki.issuing, pki.issuing_key, [], number=1, at=at, period=dt.timedelta(days=7))
    trust = SesTrust.of([pki.root.der], [pki.issuing.der], crl_lookup([crl]))
    url = "https://esign.example/v/benchmark00000001"

    sizes = (1, 50)
    pdfs: dict[int, bytes] = {}
    ofds: dict[int, bytes] = {}
    for n in sizes:
        ctx.progress(f"OFD: {n}-page document as PDF (stamped B-LT) and as OFD (stamped with an SM2 seal)")
        plain = long_pdf(n)
        pdfs[n] = county.output(county.stamp(plain, level="B-LT"))
        ofds[n] = stamp_ofd(
            ofd_of_pdf_text(plain),
            placement_from_dict({"mode": "position", "page": -1, "x_mm": 140, "y_mm": 235}),
            signer,
            at=at,
            entry_id="benchmark00000001",
            verify_url=url,
            qr_png=lambda: qr_artwork(url).png(dpi=200),
        ).data

    results: dict[str, str] = {}
    contenders: list[tuple[str, Callable[[], object]]] = []
    for n in sizes:

        def pdf(n: int = n) -> None:
            results[f"{n} pdf"] = verify_pdf(pdfs[n], trust_roots=county.root, at=now()).indication.value

        def ofd(n: int = n) -> None:
            results[f"{n} ofd"] = verify_ofd(ofds[n], trust=trust, at=now()).indication.value

        contenders += [(f"{n} pdf", pdf), (f"{n} ofd", ofd)]
    plains = {n: long_pdf(n) for n in sizes}
    plain_ofds = {n: ofd_of_pdf_text(plains[n]) for n in sizes}
    where = {"mode": "position", "page": -1, "x_mm": 140, "y_mm": 235}
    for n in sizes:  # the county's whole pipeline for both: rules, seal, signature, register entry

        def stamp_pdf(n: int = n) -> None:
            county.stamp(plains[n], level="B-LT", placement=where)

        def stamp_ofd_doc(n: int = n) -> None:
            county.stamp(plain_ofds[n], placement=where)

        contenders += [(f"{n} stamp pdf", stamp_pdf), (f"{n} stamp ofd", stamp_ofd_doc)]
    rounds = ctx.rounds(3, 10)
    ctx.progress(f"OFD: {len(contenders)} contenders × {rounds} rounds")
    summaries = {k: summarise(v) for k, v in race(contenders, rounds=rounds, warmup=1).items()}
    section = Section(
        f"11. OFD beside PDF: stamping and verifying the same documents, {rounds} rounds",
        ["document: verifier", "file", "median", "p10–p90", "÷ PDF (same pages)", "result"],
    )
    for n in sizes:
        for kind, label, data in (
            ("pdf", "esign verify_pdf (B-LT PDF)", pdfs[n]),
            ("ofd", "esign verify_ofd (OFD, GB/T 38540)", ofds[n]),
        ):
            s = summaries[f"{n} {kind}"]
            base = summaries[f"{n} pdf"]
            section.add(
                f"{n} page{'s' if n > 1 else ''}: {label}",
                fmt_bytes(len(data)),
                fmt_seconds(s.median),
                f"{fmt_seconds(s.p10)} – {fmt_seconds(s.p90)}",
                fmt_ratio(s.ratio(base)) if kind == "ofd" else "1.00×",
                results.get(f"{n} {kind}", "?"),
            )
    for n in sizes:
        for kind, label in (("pdf", "esign stamp (B-LT PDF)"), ("ofd", "esign stamp (OFD, SM2 seal)")):
            s = summaries[f"{n} stamp {kind}"]
            base = summaries[f"{n} stamp pdf"]
            section.add(
                f"{n} page{'s' if n > 1 else ''}: {label}",
                fmt_bytes(len(plains[n] if kind == "pdf" else plain_ofds[n])),
                fmt_seconds(s.median),
                f"{fmt_seconds(s.p10)} – {fmt_seconds(s.p90)}",
                fmt_ratio(s.ratio(base)) if kind == "ofd" else "1.00×",
                "stamped",
            )
    section.notes += [
        "stamping rows: the county's whole pipeline (esign.workflow stamp_directly: rules, placement at "
        "(140, 235) mm on the last page, seal and QR, signature with its time-stamp, register entry in the "
        "same transaction) on the unstamped PDF and on the OFD of its text; file = the input's size.",
        "the same text: the OFD pages carry the lines PDFium reads from the PDF's pages; the OFD is stamped on "
        "its last page by esign.ofd.stamp, the PDF by the county's pipeline (keyword placement, B-LT).",
        "PDF: ECDSA P-256 seal, revocation data embedded (B-LT), pyHanko parsing and difference analysis; OFD: "
        "SM2 seal, every file's SM3 CheckValue, the SES_Signature and seal, the SM2 time-stamp, a supplied CRL.",
        "both offline: no registry or register look-up.",
    ]
    return section
