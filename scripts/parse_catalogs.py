"""Regenerate ``samples/catalogs`` from the county documents in ``shared/seeds``.

    .venv/bin/python scripts/parse_catalogs.py                 # write the files, print a report
    .venv/bin/python scripts/parse_catalogs.py --check         # exit 1 if a file is out of date
    .venv/bin/python scripts/parse_catalogs.py --seeds DIR --out DIR

File I/O only: the parsing is :mod:`esign.registry.catalog_parse`. For each catalog it writes
``<key>.json`` (the format :func:`esign.registry.catalog.load_catalog` reads) and ``<key>.csv``,
and prints the item count and every row that needed special handling.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from esign.errors import EsignError
from esign.registry.catalog_parse import SEED_PARSERS

REPO = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=Path, default=REPO.parent / "shared" / "seeds", help="seed documents")
    ap.add_argument("--out", type=Path, default=REPO / "samples" / "catalogs", help="output directory")
    ap.add_argument("--check", action="store_true", help="only compare with the files present; write nothing")
    args = ap.parse_args(argv)

    stale: list[Path] = []
    for prefix, parse in SEED_PARSERS.items():
        matches = sorted(args.seeds.glob(f"{prefix}_*.txt"))
        if len(matches) != 1:
            print(f"error: expected one {prefix}_*.txt in {args.seeds}, found {len(matches)}", file=sys.stderr)
            return 2
        source = matches[0]
        try:
            catalogs = parse(source.read_text(encoding="utf-8"))
        except EsignError as e:
            print(f"error: {source.name}: {e}", file=sys.stderr)
            return 1
        for cat in catalogs:
            print(f"{cat.key}: {len(cat.items)} items  ({cat.county} {cat.document} {cat.annex} 《{cat.title}》)")
            for note in cat.notes:
                print(f"    - {note}")
            outputs = {
                args.out / f"{cat.key}.json": cat.to_json(source_file=source.name),
                args.out / f"{cat.key}.csv": cat.to_csv(),
            }
            for path, data in outputs.items():
                if path.exists() and path.read_bytes() == data:
                    continue
                stale.append(path)
                if not args.check:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(data)
    if args.check:
        for path in stale:
            print(f"out of date: {path}", file=sys.stderr)
        return 1 if stale else 0
    print(f"wrote {len(stale)} file(s) to {args.out}" if stale else f"{args.out} already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
