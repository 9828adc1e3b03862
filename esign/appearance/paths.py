"""Filled outlines as plain data: the one vocabulary shared by the PDF writer and the rasterizer.

A :data:`Path` is a tuple of operations named after the PDF path operators they become:
``("m", (x, y))`` move, ``("l", (x, y))`` line, ``("c", (x1, y1, x2, y2, x3, y3))`` cubic Bézier
and ``("h", ())`` close. Coordinates are plain floats in whatever unit the caller works in;
:func:`transform` maps a path through an affine matrix (the PDF ``cm`` order ``a b c d e f``).
Everything here is pure and deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

__all__ = [
    "IDENTITY",
    "Matrix",
    "Path",
    "PathOp",
    "Point",
    "bounds",
    "circle",
    "compose",
    "flatten",
    "polygon",
    "rectangle",
    "rotation",
    "scaling",
    "star",
    "transform",
    "translation",
]

Point = tuple[float, float]
PathOp = tuple[str, tuple[float, ...]]
Path = tuple[PathOp, ...]
#: An affine matrix ``(a, b, c, d, e, f)``: ``x' = a x + c y + e``, ``y' = b x + d y + f``.
Matrix = tuple[float, float, float, float, float, float]

IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)

# Control-point distance that makes four cubic arcs approximate a circle (error < 0.03 %).
_KAPPA = 4.0 * (math.sqrt(2.0) - 1.0) / 3.0


def translation(dx: float, dy: float) -> Matrix:
    """The matrix that moves by ``(dx, dy)``."""
    return (1.0, 0.0, 0.0, 1.0, dx, dy)


def scaling(sx: float, sy: float | None = None) -> Matrix:
    """The matrix that scales by ``sx`` horizontally and ``sy`` (default ``sx``) vertically."""
    return (sx, 0.0, 0.0, sx if sy is None else sy, 0.0, 0.0)


def rotation(degrees: float) -> Matrix:
    """The matrix that rotates counter-clockwise by ``degrees`` about the origin."""
    rad = math.radians(degrees)
    c, s = math.cos(rad), math.sin(rad)
    return (c, s, -s, c, 0.0, 0.0)


def compose(*matrices: Matrix) -> Matrix:
    """One matrix applying ``matrices`` in the order given (first one first)."""
    a, b, c, d, e, f = IDENTITY
    for a2, b2, c2, d2, e2, f2 in matrices:
        a, b, c, d, e, f = (
            a * a2 + b * c2,
            a * b2 + b * d2,
            c * a2 + d * c2,
            c * b2 + d * d2,
            e * a2 + f * c2 + e2,
            e * b2 + f * d2 + f2,
        )
    return (a, b, c, d, e, f)


def _apply(m: Matrix, coords: tuple[float, ...]) -> tuple[float, ...]:
    a, b, c, d, e, f = m
    out: list[float] = []
    for i in range(0, len(coords), 2):
        x, y = coords[i], coords[i + 1]
        out.append(a * x + c * y + e)
        out.append(b * x + d * y + f)
    return tuple(out)


def transform(path: Path, m: Matrix) -> Path:
    """``path`` with every point mapped through ``m`` (Bézier curves stay exact under affine maps)."""
    return tuple((op, _apply(m, args)) for op, args in path)


def polygon(points: Sequence[Point]) -> Path:
    """A closed polygon through ``points``."""
    if len(points) < 3:
        raise ValueError("a polygon needs at least three points")
    ops: list[PathOp] = [("m", points[0])]
    ops.extend(("l", p) for p in points[1:])
    ops.append(("h", ()))
    return tuple(ops)


def rectangle(x: float, y: float, width: float, height: float) -> Path:
    """A closed rectangle, counter-clockwise, lower-left corner at ``(x, y)``."""
    return polygon([(x, y), (x + width, y), (x + width, y + height), (x, y + height)])


def circle(cx: float, cy: float, r: float, *, clockwise: bool = False) -> Path:
    """A closed circle of four cubic arcs; ``clockwise`` reverses the winding (to cut a hole)."""
    k = _KAPPA * r
    # Quarter arcs counter-clockwise starting at 3 o'clock.
    ops: list[PathOp] = [
        ("m", (cx + r, cy)),
        ("c", (cx + r, cy + k, cx + k, cy + r, cx, cy + r)),
        ("c", (cx - k, cy + r, cx - r, cy + k, cx - r, cy)),
        ("c", (cx - r, cy - k, cx - k, cy - r, cx, cy - r)),
        ("c", (cx + k, cy - r, cx + r, cy - k, cx + r, cy)),
        ("h", ()),
    ]
    if clockwise:
        ops = [
            ("m", (cx + r, cy)),
            ("c", (cx + r, cy - k, cx + k, cy - r, cx, cy - r)),
            ("c", (cx - k, cy - r, cx - r, cy - k, cx - r, cy)),
            ("c", (cx - r, cy + k, cx - k, cy + r, cx, cy + r)),
            ("c", (cx + k, cy + r, cx + r, cy + k, cx + r, cy)),
            ("h", ()),
        ]
    return tuple(ops)


def star(cx: float, cy: float, r_outer: float) -> Path:
    """A regular five-pointed star (pentagram outline, no inner lines), one point straight up."""
    # Inner vertices of a regular {5/2} star lie at cos(72°)/cos(36°) of the outer radius.
    r_inner = r_outer * math.cos(math.radians(72)) / math.cos(math.radians(36))
    pts: list[Point] = []
    for i in range(10):
        ang = math.radians(90.0 + 36.0 * i)
        r = r_outer if i % 2 == 0 else r_inner
        pts.append((cx + r * math.cos(ang), cy + r * math.sin(ang)))
    return polygon(pts)


def _segments(p0: Point, c: tuple[float, ...], tolerance: float) -> int:
    # Length of the control polygon bounds the curve length; one segment per `tolerance` of it.
    x1, y1, x2, y2, x3, y3 = c
    length = math.dist(p0, (x1, y1)) + math.dist((x1, y1), (x2, y2)) + math.dist((x2, y2), (x3, y3))
    return max(1, min(128, math.ceil(length / tolerance)))


def flatten(path: Path, tolerance: float) -> list[list[Point]]:
    """The closed polygons (one per subpath) approximating ``path``; curves cut every ~``tolerance``."""
    contours: list[list[Point]] = []
    current: list[Point] = []
    for op, args in path:
        if op == "m":
            if len(current) > 2:
                contours.append(current)
            current = [(args[0], args[1])]
        elif op == "l":
            current.append((args[0], args[1]))
        elif op == "c":
            p0 = current[-1]
            n = _segments(p0, args, tolerance)
            x0, y0 = p0
            x1, y1, x2, y2, x3, y3 = args
            for i in range(1, n + 1):
                t = i / n
                u = 1.0 - t
                b0, b1, b2, b3 = u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t
                current.append((b0 * x0 + b1 * x1 + b2 * x2 + b3 * x3, b0 * y0 + b1 * y1 + b2 * y2 + b3 * y3))
        elif op == "h":
            if len(current) > 2:
                contours.append(current)
            current = [current[0]] if current else []
        else:
            raise ValueError(f"unknown path operation {op!r}")
    if len(current) > 2:
        contours.append(current)
    return contours


def bounds(paths: Iterable[Path]) -> tuple[float, float, float, float]:
    """``(x_min, y_min, x_max, y_max)`` of all points (control points included) of ``paths``."""
    xs: list[float] = []
    ys: list[float] = []
    for path in paths:
        for _op, args in path:
            xs.extend(args[0::2])
            ys.extend(args[1::2])
    if not xs:
        return (0.0, 0.0, 0.0, 0.0)
    return (min(xs), min(ys), max(xs), max(ys))
