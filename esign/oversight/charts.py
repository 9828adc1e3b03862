"""Server-rendered SVG charts for the dashboard: stacked bars, horizontal bars, a donut.

Plain SVG 1.1 text, no script, no external resources: the page embeds it inline and a browser,
a printer or a screenshot shows the same picture. Every label is XML-escaped. Each chart carries
a ``<title>`` and ``role="img"`` with an ``aria-label`` for screen readers, and every bar or slice
a ``<title>`` with its exact number (shown on hover).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

__all__ = ["PALETTE", "donut", "hbars", "nice_ticks", "stacked_bars"]

#: Distinguishable colours, the first one the seal red.
PALETTE = (
    "#b3001b",
    "#1d4fa0",
    "#e08a00",
    "#2e8b57",
    "#7b3fa0",
    "#0098a6",
    "#c2577a",
    "#6b6b2a",
    "#4d6b8a",
    "#a0522d",
    "#5a9e3a",
    "#8c8c8c",
)
_FONT = "Noto Sans CJK SC, Microsoft YaHei, sans-serif"


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def nice_ticks(top: float, n: int = 5) -> list[int]:
    """Round axis ticks from 0 to at least ``top`` (integers, at most about ``n`` + 1 of them)."""
    if top <= 0:
        return [0, 1]
    raw = top / n
    mag = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    step = max(int(step), 1)
    last = math.ceil(top / step) * step
    return list(range(0, last + 1, step))


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{_e(title)}" font-family="{_FONT}" font-size="12">'
        f"<title>{_e(title)}</title>" + "".join(body) + "</svg>"
    )


def _text_width(text: str, size: float = 12) -> float:
    # CJK characters are one em wide, others about half.
    return sum(size if ord(c) > 0x2E80 else size * 0.55 for c in text)


def _clip(text: str, width: float, size: float = 12) -> str:
    if _text_width(text, size) <= width:
        return text
    while text and _text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def stacked_bars(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    *,
    title: str,
    width: int = 620,
    height: int = 320,
    empty: str = "暂无数据",
) -> str:
    """Vertical bars, one per category (e.g. month), stacked by series (e.g. township), with totals on top.

    ``series`` is ``(name, values)`` with one value per category. The legend lists the series on the right.
    """
    legend_w = 120
    left, right, top, bottom = 44, legend_w + 16, 16, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(vals[i] for _, vals in series) for i in range(len(categories))]
    body: list[str] = []
    ticks = nice_ticks(max(totals, default=0))
    scale = plot_h / ticks[-1]
    for t in ticks:
        y = top + plot_h - t * scale
        body.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e4e4e4"/>')
        body.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#666">{t}</text>')
    slot = plot_w / max(len(categories), 1)
    bar = min(slot * 0.62, 56)
    for i, cat in enumerate(categories):
        x = left + slot * i + (slot - bar) / 2
        y = top + plot_h
        for s, (name, vals) in enumerate(series):
            v = vals[i]
            if not v:
                continue
            h = v * scale
            y -= h
            color = PALETTE[s % len(PALETTE)]
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{color}">'
                f"<title>{_e(cat)} {_e(name)}：{v}</title></rect>"
            )
        if totals[i]:
            body.append(
                f'<text x="{x + bar / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" '
                f'font-weight="bold">{totals[i]}</text>'
            )
        body.append(
            f'<text x="{left + slot * i + slot / 2:.1f}" y="{top + plot_h + 18}" text-anchor="middle" '
            f'fill="#444">{_e(cat)}</text>'
        )
    body.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#999"/>')
    if not any(totals):
        body.append(
            f'<text x="{left + plot_w / 2}" y="{top + plot_h / 2}" text-anchor="middle" fill="#999" '
            f'font-size="14">{_e(empty)}</text>'
        )
    lx = width - legend_w
    for s, (name, vals) in enumerate(series):
        ly = top + 4 + s * 20
        color = PALETTE[s % len(PALETTE)]
        body.append(f'<rect x="{lx}" y="{ly}" width="12" height="12" fill="{color}"/>')
        body.append(f'<text x="{lx + 18}" y="{ly + 11}">{_e(_clip(name, legend_w - 48))} {sum(vals)}</text>')
    return _svg(width, height, title, body)


def hbars(
    items: Sequence[tuple[str, int]],
    *,
    title: str,
    width: int = 620,
    label_width: int = 230,
    color: str = PALETTE[0],
    empty: str = "暂无数据",
) -> str:
    """Horizontal bars, one per ``(label, value)``, in the given order, with the value at the bar's end."""
    row_h, top = 26, 8
    height = max(top * 2 + row_h * len(items), 80)
    plot_w = width - label_width - 56
    biggest = max((v for _, v in items), default=0)
    body: list[str] = []
    for i, (label, v) in enumerate(items):
        y = top + i * row_h
        w = plot_w * v / biggest if biggest else 0
        body.append(
            f'<text x="{label_width - 8}" y="{y + 17}" text-anchor="end">{_e(_clip(label, label_width - 12))}'
            f"<title>{_e(label)}</title></text>"
        )
        body.append(
            f'<rect x="{label_width}" y="{y + 4}" width="{max(w, 1):.1f}" height="{row_h - 8}" rx="2" fill="{color}">'
            f"<title>{_e(label)}：{v}</title></rect>"
        )
        body.append(f'<text x="{label_width + w + 6:.1f}" y="{y + 17}" font-weight="bold">{v}</text>')
    if not items:
        body.append(
            f'<text x="{width / 2}" y="{height / 2 + 5}" text-anchor="middle" fill="#999" '
            f'font-size="14">{_e(empty)}</text>'
        )
    return _svg(width, height, title, body)


def donut(
    items: Sequence[tuple[str, int]],
    *,
    title: str,
    width: int = 620,
    height: int = 260,
    empty: str = "暂无数据",
) -> str:
    """A donut of shares with the total in the middle and a legend with counts and percentages."""
    total = sum(v for _, v in items)
    cx, cy, r_out, r_in = 130, height / 2, 105, 62
    body: list[str] = []
    if not total:
        body.append(
            f'<circle cx="{cx}" cy="{cy}" r="{(r_out + r_in) / 2}" fill="none" stroke="#eee" '
            f'stroke-width="{r_out - r_in}"/>'
        )
        body.append(f'<text x="{cx}" y="{cy + 5}" text-anchor="middle" fill="#999" font-size="14">{_e(empty)}</text>')
        return _svg(width, height, title, body)
    angle = -math.pi / 2
    for i, (label, v) in enumerate(items):
        color = PALETTE[i % len(PALETTE)]
        share = v / total
        tip = f"<title>{_e(label)}：{v}（{share:.0%}）</title>"
        if share >= 0.9999:
            body.append(
                f'<circle cx="{cx}" cy="{cy}" r="{(r_out + r_in) / 2}" fill="none" stroke="{color}" '
                f'stroke-width="{r_out - r_in}">{tip}</circle>'
            )
            continue
        end = angle + share * 2 * math.pi
        large = 1 if share > 0.5 else 0
        p = [
            (cx + r_out * math.cos(angle), cy + r_out * math.sin(angle)),
            (cx + r_out * math.cos(end), cy + r_out * math.sin(end)),
            (cx + r_in * math.cos(end), cy + r_in * math.sin(end)),
            (cx + r_in * math.cos(angle), cy + r_in * math.sin(angle)),
        ]
        d = (
            f"M{p[0][0]:.2f},{p[0][1]:.2f} A{r_out},{r_out} 0 {large} 1 {p[1][0]:.2f},{p[1][1]:.2f} "
            f"L{p[2][0]:.2f},{p[2][1]:.2f} A{r_in},{r_in} 0 {large} 0 {p[3][0]:.2f},{p[3][1]:.2f} Z"
        )
        body.append(f'<path d="{d}" fill="{color}" stroke="#fff" stroke-width="1.5">{tip}</path>')
        angle = end
    body.append(f'<text x="{cx}" y="{cy - 2}" text-anchor="middle" font-size="26" font-weight="bold">{total}</text>')
    body.append(f'<text x="{cx}" y="{cy + 18}" text-anchor="middle" fill="#666">次用印</text>')
    lx = cx + r_out + 40
    for i, (label, v) in enumerate(items):
        ly = 24 + i * 24
        color = PALETTE[i % len(PALETTE)]
        body.append(f'<rect x="{lx}" y="{ly}" width="14" height="14" rx="2" fill="{color}"/>')
        body.append(
            f'<text x="{lx + 22}" y="{ly + 12}">{_e(_clip(label, 170))}</text>'
            f'<text x="{width - 16}" y="{ly + 12}" text-anchor="end"><tspan font-weight="bold">{v}</tspan>'
            f'<tspan fill="#666"> （{v / total:.0%}）</tspan></text>'
        )
    return _svg(width, height, title, body)
