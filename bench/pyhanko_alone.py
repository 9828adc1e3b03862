"""Child process of the verification section: pyHanko's plain ``validate_pdf_signature`` as a pyHanko
user runs it, in a process that never imported esign.

esign mends a few of pyHanko's parsing routines process-wide (:mod:`esign.compat`: the same objects,
found faster). In the benchmark's own process those mends speed up the pyHanko contender too, which
then measures part of esign's work as pyHanko's. Here pyHanko runs as released.

    python -m bench.pyhanko_alone ROOT.der

Reads one file path per line on stdin; for each, reads the file, then times parsing and
``validate_pdf_signature(..., ValidationContext(trust_roots=[root]))`` and writes
``seconds<TAB>result`` on stdout. A blank line or end of input ends it.
"""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

from asn1crypto import x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

__all__ = ["main"]


def main() -> int:
    root = x509.Certificate.load(Path(sys.argv[1]).read_bytes())
    if any(name == "esign" or name.startswith("esign.") for name in sys.modules):
        print("esign was imported", flush=True)  # the parent refuses the figures
        return 1
    for line in sys.stdin:
        path = line.strip()
        if not path:
            break
        data = Path(path).read_bytes()
        start = time.perf_counter()
        reader = PdfFileReader(io.BytesIO(data))
        status = validate_pdf_signature(reader.embedded_signatures[0], ValidationContext(trust_roots=[root]))
        elapsed = time.perf_counter() - start
        result = "trusted, intact" if status.bottom_line else status.summary().replace("\n", " ")
        print(f"{elapsed!r}\t{result}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
