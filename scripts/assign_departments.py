"""Write ``samples/catalogs/puxian_departments.csv``: the county department of each item of the demo
county's list, from 勉县's list where it has the item, else by field (:mod:`esign.registry.departments`).

    .venv/bin/python scripts/assign_departments.py            # write the file, print the unmatched
    .venv/bin/python scripts/assign_departments.py --check    # exit 1 if the file is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from esign.registry.catalog import load_catalog
from esign.registry.departments import assign_departments, mapping_csv

CATALOGS = Path(__file__).resolve().parent.parent / "samples" / "catalogs"
TARGET = CATALOGS / "puxian_departments.csv"


def build() -> bytes:
    def load(name: str):
        return load_catalog((CATALOGS / name).read_bytes(), filename=name)

    rows = assign_departments(load("puxian_provincial.json"), load("mianxian_town.json"))
    for r in rows:
        if not r.department:
            print(f"no department: {r.number} {r.name}", file=sys.stderr)
    return mapping_csv(rows)


def main(argv: list[str]) -> int:
    data = build()
    if "--check" in argv:
        if not TARGET.exists() or TARGET.read_bytes() != data:
            print(f"{TARGET} is out of date: run scripts/assign_departments.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_bytes(data)
    print(f"{TARGET}  {len(data.splitlines()) - 1} items")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
