"""What a seal and its QR code look like, as vector PDF content and as PNG; nothing about keys.

One geometry (:func:`layout_seal`) feeds both outputs. Typical use::

    spec = SealSpec(name="蒲县克城镇人民政府", title="行政审批服务专用章")
    seal = seal_artwork(spec)                  # cached per spec: content, bbox, anchor
    art = seal_with_qr(seal, qr_artwork(url))  # seal + QR, anchor = seal centre
    style_background = raw_content(art)        # pyHanko RawContent for a stamp appearance
    png = art.png(dpi=300)
"""

from esign.appearance.artwork import MM, Artwork
from esign.appearance.compose import MAX_STRIPS, cross_page_strips, seal_with_qr, seal_with_qr_at
from esign.appearance.drawing import Drawing, Placed, Shape, pdf_content
from esign.appearance.fonts import ENV_VAR, FontRef, GlyphMissingError, find_seal_font
from esign.appearance.layout import DEFAULT_COLOR, GlyphBox, SealLayout, SealSpec, SealTextTooLongError, layout_seal
from esign.appearance.pdf import raw_content, standalone_pdf
from esign.appearance.qr import MIN_QR_SIZE_MM, qr_artwork, qr_drawing
from esign.appearance.raster import render_image, render_png
from esign.appearance.seal import seal_artwork, seal_drawing, seal_pdf, seal_png

__all__ = [
    "DEFAULT_COLOR",
    "ENV_VAR",
    "MAX_STRIPS",
    "MIN_QR_SIZE_MM",
    "MM",
    "Artwork",
    "Drawing",
    "FontRef",
    "GlyphBox",
    "GlyphMissingError",
    "Placed",
    "SealLayout",
    "SealSpec",
    "SealTextTooLongError",
    "Shape",
    "cross_page_strips",
    "find_seal_font",
    "layout_seal",
    "pdf_content",
    "qr_artwork",
    "qr_drawing",
    "raw_content",
    "render_image",
    "render_png",
    "seal_artwork",
    "seal_drawing",
    "seal_pdf",
    "seal_png",
    "seal_with_qr",
    "seal_with_qr_at",
    "standalone_pdf",
]
