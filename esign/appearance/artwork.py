"""A finished piece of artwork: the drawing, its PDF content stream and where the seal centre is.

This is what the stamping pipeline consumes. ``content`` is the body of a form XObject whose BBox
is ``[0 0 width height]`` (points) and that needs no resources; ``anchor`` is the point that
must land on the requested stamp position (the seal centre).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from esign.appearance.drawing import Drawing, pdf_content
from esign.appearance.paths import Point
from esign.appearance.raster import render_png

__all__ = ["MM", "Artwork"]

#: Points per millimetre.
MM = 72.0 / 25.4


@dataclass(frozen=True)
class Artwork:
    """A drawing, where its seal centre is, and (derived, cached) its form-XObject content."""

    drawing: Drawing
    """The shapes (source of both the PDF and the PNG output)."""

    anchor: Point | None
    """The seal centre in the box, points (may lie outside the box for a cross-page strip);
    ``None`` for artwork without a seal (a bare QR code)."""

    @functools.cached_property
    def content(self) -> bytes:
        """PDF content-stream operators drawing :attr:`drawing` (no resources needed); made once."""
        return pdf_content(self.drawing)

    @property
    def width(self) -> float:
        """Box width, points."""
        return self.drawing.width

    @property
    def height(self) -> float:
        """Box height, points."""
        return self.drawing.height

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """The form XObject's ``/BBox``: ``(0, 0, width, height)`` in points."""
        return (0.0, 0.0, self.drawing.width, self.drawing.height)

    def png(self, *, dpi: float = 300) -> bytes:
        """The artwork as a transparent PNG at ``dpi`` (same shapes as the PDF content)."""
        return render_png(self.drawing, dpi=dpi)
