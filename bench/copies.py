"""Documents that differ only in bytes: what the load stamps when each flow must be another clerk's document."""

from __future__ import annotations

__all__ = ["another_copy"]


def another_copy(pdf: bytes, n: int) -> bytes:
    """``pdf`` with a comment line after its end: the same document to every reader, other bytes to
    anything kept per exact bytes (what PDFium found on a document is kept by its SHA-256), as the next
    clerk's document would be. For unsigned inputs only: after a signature it would be a change."""
    return pdf + b"%esign-bench copy " + str(n).encode() + b"\n"
