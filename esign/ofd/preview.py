"""A picture of where the seal (and the QR code) will go on an OFD page, for the desk.

No OFD renderer runs in the server: the page is drawn as a sketch — the page, its text, image and
path boxes in grey (as :mod:`esign.ofd.layout` reads them), the seal at its StampAnnot box and the
QR code where :func:`esign.ofd.layout.free_spot` puts it — with Pillow. It shows position, not looks.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from esign.ofd.layout import Rect, free_spot, occupied, page_glyphs
from esign.ofd.stamp import QR_MM, prepare
from esign.stamp.placement import Placement

__all__ = ["ofd_preview_png"]


def ofd_preview_png(data: bytes, placement: Placement, *, seal_png: bytes, qr_png: bytes, dpi: int = 60) -> bytes:
    """PNG of the page that carries the main seal (refuses like the stamp would)."""
    plan = prepare(data, placement, None)
    page, box, _clip = plan.stamps[0]
    px, py, pw, ph = page.box
    scale = dpi / 25.4

    def px_box(r: Rect) -> tuple[int, int, int, int]:
        return (
            round((r[0] - px) * scale),
            round((r[1] - py) * scale),
            round((r[0] - px + r[2]) * scale),
            round((r[1] - py + r[3]) * scale),
        )

    img = Image.new("RGB", (max(1, round(pw * scale)), max(1, round(ph * scale))), "white")
    draw = ImageDraw.Draw(img)
    taken = occupied(plan.pkg, page)
    for r in taken:
        draw.rectangle(px_box(r), outline=(200, 200, 200))
    for g in page_glyphs(plan.pkg, page):
        draw.rectangle(px_box(g.box), fill=(120, 120, 120))
    for where, png in ((box, seal_png), (free_spot(page, taken, box, QR_MM), qr_png)):
        if where is None:
            continue
        x0, y0, x1, y1 = px_box(where)
        art = Image.open(io.BytesIO(png)).convert("RGBA").resize((max(1, x1 - x0), max(1, y1 - y0)))
        img.paste(art, (x0, y0), art)
    draw.rectangle((0, 0, img.width - 1, img.height - 1), outline=(0, 0, 0))
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()
