"""Content-stream operators of a drawing: each path operation's text is remembered by the operation itself, so a
remembered text is only ever reused for an equal operation (same name, same operands)."""

from __future__ import annotations

import random

from esign.appearance import Drawing, Shape, pdf_content
from esign.appearance import drawing as drawing_module
from esign.appearance.drawing import pdf_number
from esign.appearance.paths import Path, PathOp


def _fresh_text(path: Path) -> list[str]:
    """The operators of ``path`` formatted from scratch (what is remembered must always equal this)."""
    return [" ".join(pdf_number(a) for a in args) + " " + op if args else op for op, args in path]


def _square(x: float, y: float, side: float) -> Path:
    return (("m", (x, y)), ("l", (x + side, y)), ("l", (x + side, y + side)), ("l", (x, y + side)), ("h", ()))


def test_remembered_operators_are_those_of_the_same_operation() -> None:
    rng = random.Random(2112)
    # operands that differ only past the third decimal, by sign, by type, and near rounding boundaries
    values = [0.0, -0.0, 1, 1.0, 1.0004, 1.0006, 2.5, -2.5, 10.0005, 10.0015, 0.0004, -0.0004, 1e-9, 123.4564]
    for _ in range(3000):
        op: PathOp = (rng.choice("mlc"), tuple(rng.choice(values) + rng.choice((0, 0, 0.001, 3)) for _ in range(2)))
        assert drawing_module._path_ops((op,)) == _fresh_text((op,)), op
    # the same operation made again (a new tuple, maybe at a reused address) and a different one at it
    for _ in range(200):
        x = rng.uniform(0, 500)
        for path in (_square(x, x, 2.0), _square(x, x, 2.0), _square(x + 0.001, x, 2.0), _square(x, x, 2.0005)):
            assert drawing_module._path_ops(path) == _fresh_text(path)


def test_operators_are_right_past_the_bound_and_with_list_operands() -> None:
    paths = [_square(i * 0.25, 7.0, 1.0) for i in range(drawing_module._MAX_OPS // 2)]
    for path in paths + paths[:50]:
        assert drawing_module._path_ops(path) == _fresh_text(path)
    assert len(drawing_module._OPS) <= drawing_module._MAX_OPS
    listed = (("m", [1.0, 2.0]), ("l", [3.0, 4.0]), ("h", ()))
    assert drawing_module._path_ops(listed) == ["1 2 m", "3 4 l", "h"]  # type: ignore[arg-type]


def test_drawings_with_shared_coordinates_each_get_their_own_content() -> None:
    one = Drawing(width=10, height=10, items=(Shape(_square(1, 1, 2), (0, 0, 0)),))
    two = Drawing(width=10, height=10, items=(Shape(_square(1, 1, 3), (0, 0, 0)),))
    assert pdf_content(one) != pdf_content(two)
    assert b"3 1 l" in pdf_content(one) and b"4 1 l" in pdf_content(two)
    assert pdf_content(one) == pdf_content(Drawing(width=10, height=10, items=(Shape(_square(1, 1, 2), (0, 0, 0)),)))
