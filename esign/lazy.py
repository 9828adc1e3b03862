"""Package faces whose names load on first use (PEP 562), with the loader written once.

A face that must stay cheap to import (``esign.models`` imports the workflow's tables for migrations; the
CLI's ``verify`` must not load the signer) imports its heavy names under ``if TYPE_CHECKING:``, for type
checkers and readers, and hands this module the same list at run time::

    __getattr__, __dir__ = lazy_face(__name__, __all__, {"batches": ("open_batch", "add_file"), ...})

On first use a name is imported from its submodule and kept in the face's namespace, so the lookup runs
once. A submodule listed under its own name (``{"store": ("store",)}``) is the submodule itself.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["lazy_face"]


def lazy_face(
    package: str, names: Iterable[str], homes: Mapping[str, Iterable[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: each name of ``homes[sub]`` is loaded from
    ``package.sub`` on first use; ``__dir__`` lists ``names`` (the face's ``__all__``)."""
    home_of = {name: sub for sub, subnames in homes.items() for name in subnames}
    listed = sorted(names)

    def __getattr__(name: str) -> Any:
        sub = home_of.get(name)
        if sub is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = importlib.import_module(f"{package}.{sub}")
        value = module if name == sub else getattr(module, name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return listed

    return __getattr__, __dir__
