"""A drawing: filled shapes in a box, measured in PDF points, origin at the lower left.

This is the single description from which both outputs are made: :func:`pdf_content` turns it
into content-stream operators for a form XObject whose BBox is ``[0 0 width height]``, and
:mod:`esign.appearance.raster` turns the very same shapes into a PNG. Drawings nest: a
:class:`Placed` item draws another drawing moved by an offset and clipped to that drawing's box,
which is how the seal and its QR code are combined and how the cross-page strips are cut.
"""

from __future__ import annotations

from dataclasses import dataclass

from esign.appearance.paths import Path, PathOp

__all__ = ["RGB", "Drawing", "Item", "Placed", "Shape", "pdf_content", "pdf_number"]

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Shape:
    """One outline filled with one colour (non-zero winding rule, PDF ``f``)."""

    path: Path
    """The outline, in points of the enclosing drawing."""

    color: RGB
    """Fill colour as 8-bit sRGB components."""

    def __post_init__(self) -> None:
        if len(self.color) != 3 or any(not 0 <= c <= 255 for c in self.color):
            raise ValueError(f"colour must be three 0..255 components, got {self.color!r}")


@dataclass(frozen=True)
class Placed:
    """Another drawing, drawn with its lower-left corner at ``(dx, dy)`` and clipped to its box."""

    drawing: Drawing
    """What is drawn."""

    dx: float
    """Horizontal offset of the inner drawing's origin, in points."""

    dy: float
    """Vertical offset of the inner drawing's origin, in points."""


Item = Shape | Placed


@dataclass(frozen=True)
class Drawing:
    """Shapes and placed sub-drawings painted in order inside the box ``[0 0 width height]``."""

    width: float
    """Box width in points."""

    height: float
    """Box height in points."""

    items: tuple[Item, ...]
    """What is painted, first item at the bottom."""

    def __post_init__(self) -> None:
        if not (self.width > 0 and self.height > 0):
            raise ValueError(f"a drawing needs a positive box, got {self.width} x {self.height}")


def pdf_number(v: float) -> str:
    """``v`` as a PDF number: at most three decimals, no trailing zeros, never ``-0``."""
    # Three decimals of a point (0.35 µm) is far below anything visible; fixed formatting keeps
    # the output byte-identical between runs.
    s = f"{v:.3f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


_NUMBERS: dict[float, str] = {}
_MAX_NUMBERS = 1 << 16


def _number(v: float) -> str:
    """:func:`pdf_number`, remembered: a QR code made for every stamp repeats a few dozen coordinates."""
    s = _NUMBERS.get(v)
    if s is None:
        if len(_NUMBERS) >= _MAX_NUMBERS:
            _NUMBERS.clear()
        s = _NUMBERS[v] = pdf_number(v)
    return s


_OPS: dict[PathOp, str] = {}
_MAX_OPS = 1 << 13


def _op(op: PathOp) -> str:
    name, args = op
    text = " ".join(map(_number, args)) + " " + name if args else name
    try:
        if len(_OPS) >= _MAX_OPS:
            _OPS.clear()
        _OPS[op] = text
    except TypeError:  # a list among the operands: not kept
        pass
    return text


def _path_ops(path: Path) -> list[str]:
    """The operators of ``path``, each remembered by the operation itself (its name and exact operands, which
    are all its text depends on): a QR code made for every stamp is a thousand moves and lines over a few
    dozen coordinates, and its rows repeat from one code to the next."""
    known = _OPS.get
    try:
        return [known(op) or _op(op) for op in path]
    except TypeError:  # unhashable operands
        return [_op(op) for op in path]


def _color(rgb: RGB) -> str:
    return " ".join(pdf_number(c / 255.0) for c in rgb) + " rg"


def _emit(drawing: Drawing, out: list[str]) -> None:
    current: RGB | None = None
    for item in drawing.items:
        if isinstance(item, Shape):
            if item.color != current:
                out.append(_color(item.color))
                current = item.color
            out.extend(_path_ops(item.path))
            out.append("f")
        else:
            inner = item.drawing
            out.append("q")
            out.append(f"1 0 0 1 {pdf_number(item.dx)} {pdf_number(item.dy)} cm")
            out.append(f"0 0 {pdf_number(inner.width)} {pdf_number(inner.height)} re W n")
            out.append(_body(inner))
            out.append("Q")
            current = None  # the colour set inside q/Q is gone after Q


_BODIES: dict[int, tuple[Drawing, str]] = {}
_MAX_BODIES = 64


def _body(drawing: Drawing) -> str:
    """The operators of a nested drawing, formatted once: the seal is placed into a new seal-and-QR
    drawing for every stamp, and re-formatting its glyph outlines each time would dominate."""
    hit = _BODIES.get(id(drawing))
    if hit is not None and hit[0] is drawing:
        return hit[1]
    out: list[str] = []
    _emit(drawing, out)
    text = "\n".join(out)
    if len(_BODIES) >= _MAX_BODIES:
        _BODIES.clear()
    _BODIES[id(drawing)] = (drawing, text)
    return text


def pdf_content(drawing: Drawing) -> bytes:
    """Content-stream operators painting ``drawing``; needs no resources (no fonts, no images).

    Everything is clipped to the drawing's box (as the form XObject's BBox would anyway), so the
    stream means the same when it is pasted into another content stream.
    """
    out: list[str] = ["q", f"0 0 {pdf_number(drawing.width)} {pdf_number(drawing.height)} re W n"]
    _emit(drawing, out)
    out.append("Q")
    return ("\n".join(out) + "\n").encode("ascii")
