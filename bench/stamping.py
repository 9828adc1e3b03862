"""1. Stamping a 1-page decision: our pipeline at each PAdES level against four baselines.

Contenders on the same 1-page decision in the same run, interleaved round by round. Ours stamps a
different number of the decision each call (same size and layout), so that nothing it keeps per exact
bytes answers for it; the baselines keep nothing between calls and stamp the one file:

* ours at B-B, B-T, B-LT (default), B-LTA: ``stamp_directly`` with a warm :class:`StampEngine` -
  the rules, the visible seal and QR code, the signature and the usage-register append in its
  transaction; the TSA, OCSP answer and CRLs are in process.
* (a) the floor: plain pyHanko, invisible B-B, ``signers.sign_pdf`` with a SimpleSigner loaded once.
* (b) pyHanko visible B-LT written the straightforward way: a new field with a ``QRStampStyle``,
  ``HTTPTimeStamper`` against the live server's ``/pki/tsa``, ``embed_validation_info=True`` with a
  fresh ``ValidationContext(trust_roots=[root], allow_fetching=True)`` per document that fetches
  OCSP and CRLs from the live server (signer and timestamper are built once).
* (c) the pyHanko CLI, one process per document (``pyhanko sign addsig ... pemder``).
* (d) poppler's ``pdfsig -add-signature`` with an NSS database, one process per document.
"""

from __future__ import annotations

import io
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers, timestamps
from pyhanko.stamp import QRStampStyle
from pyhanko_certvalidator import ValidationContext

from bench.context import Context
from bench.profiling import profile_calls
from bench.report import Section
from bench.stats import Summary, fmt_ratio, fmt_seconds, race, summarise
from service.live import live_server

__all__ = ["run"]

LEVELS = ("B-B", "B-T", "B-LT", "B-LTA")
FLOOR = "(a) pyHanko invisible B-B (floor)"
STRAIGHT = "(b) pyHanko visible B-LT, HTTP TSA + fetching"
CLI = "(c) pyhanko CLI, 1 process/doc (B-B)"
PDFSIG = "(d) pdfsig -add-signature, 1 process/doc"
BASELINES = (FLOOR, STRAIGHT, CLI, PDFSIG)
#: Targets from the issue: ours at B-LT incl. the register append ...
TARGET_OVER_FLOOR = 1.0  # ... at most this many times the floor (#21: as fast as bare invisible B-B)
TARGET_OVER_STRAIGHT = 2.0  # ... at least this many times faster than (b)
#: The keyword row (text search and free-space search in PDFium on top) keeps the earlier bound.
KEYWORD_OVER_FLOOR = 2.0


#: Where ours puts the seal: a fixed position, as a county's templates do (the signature line of
#: tests/pdfgen's decision); the keyword row adds the text search (PDFium) on top.
POSITION = {"mode": "position", "page": -1, "x_mm": 150, "y_mm": 240}
KEYWORD_ROW = "ours B-LT, keyword placement (（盖章）)"


def ours(level: str) -> str:
    return f"ours {level}, visible seal + QR + register"


def signature_count(data: bytes) -> int:
    """Signatures (and document timestamps) in ``data``."""
    return len(PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures)


def run(ctx: Context) -> Section:
    county, data = ctx.county, ctx.docs.decision
    exports = ctx.exports
    work = ctx.tmp / "stamping"
    work.mkdir()
    src = work / "decision.pdf"
    src.write_bytes(data)

    # one signer for (a) and (b), loaded the way a developer would: from the encrypted PEM files
    signer = signers.SimpleSigner.load(
        str(exports.key_pem),
        str(exports.cert_pem),
        ca_chain_files=(str(exports.chain_pem),),
        key_passphrase=exports.passfile.read_bytes(),
    )
    assert signer is not None
    root = asn1_x509.Certificate.load(county.root.public_bytes(Encoding.DER))
    outputs: dict[str, bytes] = {}

    # Every row of ours stamps a different decision each call (only its number differs, same size and
    # layout): what PDFium finds on a document (page count, occupied boxes, keyword) is kept per exact
    # bytes, from a request's submission to its approval, and the same bytes stamped round after round
    # would find it all in that cache. A clerk stamps each document once.
    rounds = ctx.rounds(3, 15)
    fresh = iter([ctx.docs.numbered_decision(n) for n in range((rounds + 2) * (len(LEVELS) + 1))])

    def stamp_ours(level: str) -> Callable[[], object]:
        def go() -> None:
            outputs[ours(level)] = county.output(county.stamp(next(fresh), level=level, placement=POSITION))

        return go

    def stamp_keyword() -> None:
        outputs[KEYWORD_ROW] = county.output(county.stamp(next(fresh), level="B-LT"))

    def floor() -> None:
        writer = IncrementalPdfFileWriter(io.BytesIO(data))
        meta = signers.PdfSignatureMetadata(field_name="Sig1")
        outputs[FLOOR] = signers.sign_pdf(writer, meta, signer=signer).getvalue()

    tsa = timestamps.HTTPTimeStamper(f"{ctx.base_url}/pki/tsa")

    def straightforward() -> None:
        vc = ValidationContext(trust_roots=[root], allow_fetching=True)
        meta = signers.PdfSignatureMetadata(
            field_name="Sig1",
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            embed_validation_info=True,
            validation_context=vc,
        )
        pdf_signer = signers.PdfSigner(
            meta,
            signer,
            timestamper=tsa,
            stamp_style=QRStampStyle(stamp_text="Sealed %(ts)s\nVerify: %(url)s"),
            new_field_spec=fields.SigFieldSpec("Sig1", on_page=0, box=(380, 150, 560, 230)),
        )
        writer = IncrementalPdfFileWriter(io.BytesIO(data))
        out = pdf_signer.sign_pdf(writer, appearance_text_params={"url": f"{ctx.base_url}/v/demo"})
        outputs[STRAIGHT] = out.getvalue()

    cli_path = Path(sys.executable).parent / "pyhanko"
    cli = str(cli_path) if cli_path.exists() else shutil.which("pyhanko")

    def pyhanko_cli() -> None:
        import subprocess

        assert cli is not None
        dst = work / "cli.pdf"
        done = subprocess.run(
            [
                cli,
                "sign",
                "addsig",
                "--field",
                "Sig1",
                "pemder",
                "--key",
                str(exports.key_pem),
                "--cert",
                str(exports.cert_pem),
                "--chain",
                str(exports.chain_pem),
                "--passfile",
                str(exports.passfile),
                str(src),
                str(dst),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"pyhanko CLI failed: {done.stderr[-500:]}")
        outputs[CLI] = dst.read_bytes()

    def pdfsig() -> None:
        dst = work / "pdfsig.pdf"
        dst.unlink(missing_ok=True)
        done = exports.pdfsig_sign(src, dst)
        if done.returncode != 0:
            raise RuntimeError(f"pdfsig failed: {done.stderr[-500:]}")
        outputs[PDFSIG] = dst.read_bytes()

    contenders: list[tuple[str, Callable[[], object]]] = [(ours(lv), stamp_ours(lv)) for lv in LEVELS]
    contenders.append((KEYWORD_ROW, stamp_keyword))
    contenders += [(FLOOR, floor), (STRAIGHT, straightforward)]
    notes: list[str] = []
    if cli:
        contenders.append((CLI, pyhanko_cli))
    else:
        notes.append("(c) skipped: the pyhanko CLI is not installed (pip install pyhanko-cli)")
    if shutil.which("pdfsig"):
        contenders.append((PDFSIG, pdfsig))
    else:
        notes.append("(d) skipped: pdfsig (poppler-utils) is not installed")
    if exports.nss_note:
        notes.append(f"(d): {exports.nss_note}")

    ctx.progress(f"stamping: {len(contenders)} contenders × {rounds} rounds, live server on {ctx.base_url}")
    with live_server(port=ctx.port, env=county.env(), log=ctx.tmp / "server-stamping.log"):
        samples = race(contenders, rounds=rounds, warmup=1)
    summaries = {name: summarise(s) for name, s in samples.items()}
    ctx.figures.update(summaries)

    cols = ["contender", "median", "p10–p90", "output", "sigs"]
    present = [b for b in BASELINES if b in summaries]
    cols += [f"÷ {b[:3]}" for b in present]
    section = Section(f"1. Stamping a 1-page decision ({len(data) / 1024:.0f} KB), {rounds} rounds", cols)
    for name, _ in contenders:
        s = summaries[name]
        out = outputs.get(name, b"")
        section.add(
            name,
            fmt_seconds(s.median),
            f"{fmt_seconds(s.p10)} – {fmt_seconds(s.p90)}",
            f"{len(out) / 1024:.0f} KB",
            signature_count(out) if out else "-",
            *(fmt_ratio(s.ratio(summaries[b])) for b in present),
        )
    section.notes += [
        "÷ (x): this row's median over baseline (x)'s median, same run; times are wall clock per document.",
        "ours: seal at a fixed position (page -1, 150 mm / 240 mm) unless the row says keyword; "
        "it includes the rules, the blob store and the register append (SQLite, one transaction); "
        "(b) builds a fresh ValidationContext per document and fetches OCSP/CRL over loopback HTTP.",
        "sigs: signatures plus document timestamps in the output (B-LTA adds one).",
        *notes,
    ]
    _targets(ctx, section, summaries)
    return section


def _targets(ctx: Context, section: Section, s: dict[str, Summary]) -> None:
    blt = s[ours("B-LT")]
    over_floor = blt.ratio(s[FLOOR])
    ok1 = over_floor <= TARGET_OVER_FLOOR
    section.verdicts.append(
        f"{'PASS' if ok1 else 'MISS'} target: ours visible B-LT incl. register ≤ {TARGET_OVER_FLOOR:.1f}× plain "
        f"invisible B-B: {fmt_seconds(blt.median)} vs {fmt_seconds(s[FLOOR].median)} = {over_floor:.2f}×"
    )
    speedup = s[STRAIGHT].ratio(blt)
    ok2 = speedup >= TARGET_OVER_STRAIGHT
    section.verdicts.append(
        f"{'PASS' if ok2 else 'MISS'} target: ours visible B-LT ≥ {TARGET_OVER_STRAIGHT:.1f}× faster than the "
        f"straightforward pyHanko visible B-LT (b): {fmt_seconds(s[STRAIGHT].median)} / "
        f"{fmt_seconds(blt.median)} = {speedup:.2f}×"
    )
    if KEYWORD_ROW in s:
        kw = s[KEYWORD_ROW]
        ok_kw = kw.ratio(s[FLOOR]) <= KEYWORD_OVER_FLOOR and s[STRAIGHT].ratio(kw) >= TARGET_OVER_STRAIGHT
        section.verdicts.append(
            f"{'PASS' if ok_kw else 'MISS'} keyword placement (text search in PDFium) ≤ {KEYWORD_OVER_FLOOR:.1f}× the "
            f"floor and ≥ {TARGET_OVER_STRAIGHT:.1f}× faster than (b): ours B-LT {fmt_seconds(kw.median)} = "
            f"{kw.ratio(s[FLOOR]):.2f}× the floor and {s[STRAIGHT].ratio(kw):.2f}× faster than (b)"
        )
    if not (ok1 and ok2):
        county = ctx.county
        n = ctx.rounds(5, 30)
        ctx.progress(f"profiling ours B-LT over {n} stamps (a target was missed)")
        fresh = iter([ctx.docs.numbered_decision(10_000 + i) for i in range(n + 1)])
        text = profile_calls(lambda: county.stamp(next(fresh), level="B-LT", placement=POSITION), n)
        floor_n = ctx.rounds(10, 60)
        signer_profile = _floor_profile(ctx, floor_n)
        section.blocks.append("Profile of ours B-LT (1-page decision):\n" + text)
        section.blocks.append("For comparison, the floor (a):\n" + signer_profile)


def _floor_profile(ctx: Context, n: int) -> str:
    exports, data = ctx.exports, ctx.docs.decision
    signer = signers.SimpleSigner.load(
        str(exports.key_pem),
        str(exports.cert_pem),
        ca_chain_files=(str(exports.chain_pem),),
        key_passphrase=exports.passfile.read_bytes(),
    )
    assert signer is not None

    def floor() -> None:
        writer = IncrementalPdfFileWriter(io.BytesIO(data))
        signers.sign_pdf(writer, signers.PdfSignatureMetadata(field_name="Sig1"), signer=signer)

    return profile_calls(floor, n, top=8)
