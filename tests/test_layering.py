"""The house's layering, checked on the source (STYLE.md "The shape", issue #15).

Two rules, read from every ``import`` statement (module level or inside a function):

1. **Faces.** ``service/`` and ``esign/cli/`` import the library only through package faces: ``esign.<package>``
   (its ``__init__``'s ``__all__``) or one of the small top-level modules in :data:`TOP_MODULES`. They import no
   submodule (``esign.workflow.requests``), no ORM module (``esign.models``, ``esign.db``) and no private name.
2. **Layers.** A package imports only packages of its own layer or below (:data:`LAYERS`): pki, ledger and verify
   below stamp and registry, below workflow, below service and cli. ``esign.models`` is the one exception: it is
   the migration aggregator that imports every package's tables, and only ``esign.db``, ``esign.backup`` (which
   copies every table) and Alembic use it.

The expectations are this file's tables, written from the issue, not read from the code under test; a new import
that breaks a rule fails with the file, line and rule.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Top-level modules of ``esign`` that are faces in themselves (small, no ORM, no I/O beyond what they name).
TOP_MODULES = {"errors", "config", "localtime", "text", "addresses", "deployment", "setup", "compat"}

#: Layer of each top-level name under ``esign`` (0 is the bottom). A name may import names of its layer or below.
LAYERS: dict[str, int] = {
    # base: errors, settings, small helpers and the database plumbing every store uses
    "__init__": 0,
    "errors": 0,
    "text": 0,
    "localtime": 0,
    "config": 0,
    "budget": 0,
    "compat": 0,
    "lazy": 0,
    "addresses": 0,
    "db": 0,
    # keys, certificates, the look of a seal
    "pki": 1,
    "appearance": 1,
    # the register, verification (bytes in, report out), GB/T 38540 structures
    "ledger": 2,
    "verify": 2,
    "ses": 2,
    # stamping, the registry and what reads only them
    "stamp": 3,
    "registry": 3,
    "ofd": 3,
    "feed": 4,
    "oversight": 4,
    # a deployment's assembled parts, several-host plumbing
    "deployment": 5,
    "setup": 6,
    "hosts": 6,
    "backup": 7,
    # the use cases
    "workflow": 8,
    # the edges
    "cli": 9,
    "__main__": 9,
}
EDGE_LAYER = 9


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, a.name, []) for a in node.names)
    return found


def _is_package(name: str) -> bool:
    return (ROOT / "esign" / name / "__init__.py").is_file()


def _face_violations() -> list[str]:
    out: list[str] = []
    files = sorted((ROOT / "service").rglob("*.py")) + sorted((ROOT / "esign" / "cli").rglob("*.py"))
    for path in files:
        rel = path.relative_to(ROOT).as_posix()
        for _line, module, names in _imports(path):
            parts = module.split(".")
            if parts[0] != "esign" or parts[:2] == ["esign", "cli"]:
                continue
            if len(parts) == 1:
                ok = all(n == "__version__" for n in names)
            elif len(parts) == 2:
                ok = (_is_package(parts[1]) and parts[1] not in {"db"}) or parts[1] in TOP_MODULES
            else:
                ok = False
            private = [n for n in names if n.startswith("_") and n != "__version__"]
            if not ok:
                out.append(f"face {rel} {module}")
            if private:
                out.append(f"private {rel} {module}:{','.join(private)}")
    return out


def _layer_violations() -> list[str]:
    out: list[str] = []
    for path in sorted((ROOT / "esign").rglob("*.py")):
        rel = path.relative_to(ROOT / "esign")
        src = rel.parts[0].removesuffix(".py")
        if src == "models":
            continue
        assert src in LAYERS, f"esign/{rel}: give {src!r} a layer in tests/test_layering.py"
        for _line, module, _names in _imports(path):
            parts = module.split(".")
            if parts[0] != "esign" or len(parts) < 2:
                continue
            dst = parts[1]
            if dst == src or (src in {"db", "backup"} and dst == "models"):
                continue
            if dst == "models":
                out.append(f"layer esign/{rel.as_posix()} -> esign.models")
                continue
            assert dst in LAYERS, f"esign.{dst}: give it a layer in tests/test_layering.py"
            if LAYERS[dst] > LAYERS[src]:
                out.append(f"layer esign/{rel.as_posix()} -> esign.{dst}")
    return out


def test_layers_table_names_every_package() -> None:
    names = {p.name for p in (ROOT / "esign").iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    names |= {p.stem for p in (ROOT / "esign").glob("*.py")}
    assert names - set(LAYERS) - {"models"} == set()


@pytest.mark.parametrize("rule", ["face", "layer"])
def test_no_new_violations(rule: str) -> None:
    found = set(_face_violations() if rule == "face" else _layer_violations())
    found = {v for v in found if v.startswith(rule) or (rule == "face" and v.startswith("private"))}
    new = sorted(found)
    assert not new, "imports that break the layering:\n" + "\n".join(new)


def test_the_checker_catches_a_submodule_import(tmp_path: Path) -> None:
    """The checker itself can fail: a submodule import in a route is reported."""
    sample = tmp_path / "route.py"
    sample.write_text("from esign.workflow.requests import submit\nfrom esign.registry import _x\n")
    modules = [m for _l, m, _n in _imports(sample)]
    assert modules == ["esign.workflow.requests", "esign.registry"]
