"""Draw a seal: turn its :class:`~esign.appearance.layout.SealLayout` into filled outlines.

The ring is an annulus, the star a pentagram, every character its glyph outline fitted into its
box. The result is cached per (spec, font): a seal's outlines are extracted once, however many
documents it stamps.
"""

from __future__ import annotations

import functools

from esign.appearance.artwork import MM, Artwork
from esign.appearance.drawing import Drawing, Shape
from esign.appearance.fonts import FontRef, find_seal_font, glyph
from esign.appearance.layout import GlyphBox, SealLayout, SealSpec, layout_seal
from esign.appearance.paths import Matrix, Path, circle, compose, rotation, scaling, star, transform, translation
from esign.appearance.pdf import standalone_pdf

__all__ = ["glyph_path", "seal_artwork", "seal_drawing", "seal_pdf", "seal_png"]


def glyph_path(box: GlyphBox, font: FontRef) -> Path:
    """The outline of ``box.char`` fitted into ``box``, in the layout's millimetres."""
    g = glyph(font, box.char)
    sy = box.height / g.units_per_em
    sx = box.width / g.advance if g.advance > 0 else sy
    if box.proportional:
        sx = min(sy, sx)
    m: Matrix = compose(
        translation(-g.advance / 2, -(g.em_bottom + g.units_per_em / 2)),
        scaling(sx, sy),
        rotation(box.rotation),
        translation(*box.center),
    )
    return transform(g.path, m)


def seal_drawing(layout: SealLayout, font: FontRef) -> Drawing:
    """The seal as shapes in a box exactly the seal's diameter square, in points."""
    r = layout.radius
    to_pt: Matrix = compose(translation(r, r), scaling(MM))
    color = layout.spec.color
    ring: Path = circle(0.0, 0.0, r) + circle(0.0, 0.0, layout.ring_inner_radius, clockwise=True)
    shapes = [
        Shape(transform(ring, to_pt), color),
        Shape(transform(star(*layout.star_center, layout.star_radius), to_pt), color),
    ]
    for box in (*layout.name, *layout.title, *layout.code):
        shapes.append(Shape(transform(glyph_path(box, font), to_pt), color))
    side = 2 * r * MM
    return Drawing(width=side, height=side, items=tuple(shapes))


@functools.lru_cache(maxsize=64)
def _seal_artwork(spec: SealSpec, font: FontRef) -> Artwork:
    layout = layout_seal(spec)
    drawing = seal_drawing(layout, font)
    return Artwork(drawing=drawing, anchor=(drawing.width / 2, drawing.height / 2))


def seal_artwork(spec: SealSpec, *, font: FontRef | None = None) -> Artwork:
    """The seal ready for stamping (cached): its box is the diameter square, anchor its centre.

    ``font`` defaults to :func:`~esign.appearance.fonts.find_seal_font` (``ESIGN_SEAL_FONT`` or
    the system's serif CJK face); raises :class:`~esign.errors.ConfigError` when there is none
    and :class:`~esign.appearance.layout.SealTextTooLongError` when the text does not fit.
    """
    return _seal_artwork(spec, font if font is not None else find_seal_font())


def seal_png(spec: SealSpec, *, dpi: float = 300, font: FontRef | None = None) -> bytes:
    """The seal as a transparent PNG at ``dpi`` (byte-identical for identical input)."""
    return seal_artwork(spec, font=font).png(dpi=dpi)


def seal_pdf(spec: SealSpec, *, font: FontRef | None = None, margin_mm: float = 0.0) -> bytes:
    """A one-page PDF of the seal alone (for ``esign seal image -o seal.pdf``), deterministic."""
    return standalone_pdf(seal_artwork(spec, font=font), margin_mm=margin_mm)
