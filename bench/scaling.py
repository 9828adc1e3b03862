"""2. Size scaling: our B-LT on 1, 20 and 200 pages and a ~10 MB scan - time and peak memory.

Time: in process, interleaved round by round. Memory (:mod:`bench.memprobe`): several child
processes per document, each warmed on a stamp of another 1-page document (the decision: distinct
bytes, so no document's keyword is already known to the process), then the peak RSS growth of one
stamp (VmHWM reset before it, the heap's free memory handed back first); the median over the children
is reported, and the tracemalloc peak of one stamp in one more child. The memory target is
"peak growth ≤ 3 × file size + a constant", the constant C taken as the 1-page document's median peak
growth, measured the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.context import Context
from bench.county import SCAN_PLACEMENT
from bench.memprobe import growth as peak_growth
from bench.memprobe import probe
from bench.report import Section
from bench.stats import fmt_bytes, fmt_ratio, fmt_seconds, race, summarise

__all__ = ["run"]

KEYWORD: dict[str, Any] = {"mode": "keyword"}
FIXED: dict[str, Any] = {"mode": "position", "page": -1, "x_mm": 150, "y_mm": 230}
SAME_ORDER = 10.0  # "the same order of magnitude"


def run(ctx: Context) -> Section:
    county, docs = ctx.county, ctx.docs
    cases: list[tuple[str, bytes, dict[str, Any]]] = [
        ("1 page", docs.pages[1], KEYWORD),
        ("20 pages", docs.pages[20], KEYWORD),
        ("200 pages", docs.pages[200], KEYWORD),
        ("200 pages, fixed position (no keyword search)", docs.pages[200], FIXED),
        (f"scan, 1 page JPEG ({fmt_bytes(len(docs.scan))})", docs.scan, SCAN_PLACEMENT),
    ]

    def stamp(data: bytes, placement: dict[str, Any]) -> Callable[[], object]:
        return lambda: county.stamp(data, level="B-LT", placement=placement)

    rounds = ctx.rounds(2, 8)
    probes = ctx.rounds(3, 5)
    ctx.progress(
        f"scaling: {len(cases)} documents × {rounds} rounds, then {probes} + 1 child processes per document for memory"
    )
    samples = race([(name, stamp(data, pl)) for name, data, pl in cases], rounds=rounds, warmup=1)
    times = {name: summarise(s) for name, s in samples.items()}

    folder = ctx.tmp / "scaling"
    folder.mkdir()
    warm = folder / "warm.pdf"
    warm.write_bytes(docs.decision)  # not one of the measured documents: see bench.memprobe
    memory: dict[str, dict[str, Any]] = {}
    for i, (name, data, placement) in enumerate(cases):
        path = folder / f"doc{i}.pdf"
        path.write_bytes(data)
        memory[name] = probe(county, path, warm=warm, placement=placement, repeat=probes)

    def growth(name: str) -> int:
        return peak_growth(memory[name])

    constant = growth("1 page")
    one = times["1 page"]
    section = Section(
        f"2. Size scaling, ours B-LT (register append included), {rounds} rounds",
        [
            "document",
            "file",
            "median",
            "p10–p90",
            "÷ 1 page",
            "peak RSS growth",
            "tracemalloc peak",
            "limit 3×file + C",
            "within",
        ],
    )
    verdicts = []
    for name, data, _ in cases:
        s = times[name]
        limit = 3 * len(data) + constant
        ok = growth(name) <= limit
        section.add(
            name,
            fmt_bytes(len(data)),
            fmt_seconds(s.median),
            f"{fmt_seconds(s.p10)} – {fmt_seconds(s.p90)}",
            fmt_ratio(s.ratio(one)),
            fmt_bytes(growth(name)),
            fmt_bytes(memory[name]["traced_peak"]),
            fmt_bytes(limit),
            "yes" if ok else "NO",
        )
        if not ok:
            verdicts.append(
                f"MISS memory: {name} grows the peak RSS by {fmt_bytes(growth(name))}, "
                f"over 3×file + C = {fmt_bytes(limit)}"
            )
    exact = all(m["exact_peak"] for m in memory.values())
    trimmed = all(m["trimmed"] for m in memory.values())
    spread = ", ".join(
        f"{name.split(' (')[0]} {fmt_bytes(m['growths'][0])}–{fmt_bytes(m['growths'][-1])}"
        for name, m in memory.items()
    )
    section.notes += [
        f"peak RSS growth: the median over {probes} child processes per document of the peak resident size during "
        f"one stamp minus the resident size just before it (about {fmt_bytes(memory['1 page']['baseline_rss'])}); "
        "each child is warmed on a stamp of another 1-page document (the decision: no measured document's keyword "
        "page is known to the process beforehand), then stamps the document once"
        + (
            ", the heap's free memory handed back to the OS just before (malloc_trim), so the growth is what the stamp "
            "touches beyond the live heap, not beyond the free space the warm-up left"
            if trimmed
            else " (malloc_trim unavailable: the growth is beyond the free space the warm-up left)"
        )
        + ("" if exact else " (VmHWM could not be reset: ru_maxrss used, growth may be understated)")
        + f". Children's range: {spread}.",
        f"C = the 1-page document's growth measured the same way ({fmt_bytes(constant)}): what a stamp needs "
        "whatever the document's size.",
        "tracemalloc peak: one stamp in one more such child; Python allocations only (not PDFium's, OpenSSL's or "
        "zlib's own buffers).",
        "the 200-page fixed-position row separates the keyword search from signing in the memory columns. The time "
        "rows stamp the same bytes round after round: from the warm-up round on, the process knows what PDFium found "
        "on them (the page count, the keyword's page, the free space beside the seal; kept per SHA-256 of the bytes, "
        "as an approval reuses its submission's search), so no time row includes PDFium's work; the memory rows (the "
        "first stamp of those bytes in their process) do.",
    ]
    ratio = times["200 pages"].ratio(one)
    same = ratio < SAME_ORDER
    section.verdicts.append(
        f"{'PASS' if same else 'MISS'} 200 pages in the same order as 1 page: {fmt_seconds(times['200 pages'].median)} "
        f"vs {fmt_seconds(one.median)} = {ratio:.1f}× (same order: < {SAME_ORDER:.0f}×)"
    )
    if not verdicts:
        section.verdicts.append(f"PASS memory ≤ 3× file size + C for all {len(cases)} documents")
    section.verdicts += verdicts
    ctx.figures.update({f"scaling {name}": s for name, s in times.items()})
    return section
