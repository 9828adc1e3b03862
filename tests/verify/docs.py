"""Small unsigned PDFs built by hand for the verify tests (deterministic bytes, classic xref table)."""

from __future__ import annotations

__all__ = ["simple_pdf"]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def simple_pdf(lines: list[str] | None = None, *, pages: int = 1) -> bytes:
    """An A4 PDF with ``pages`` pages of Helvetica text (ASCII ``lines`` on page 1)."""
    lines = lines or [
        "Pu County Kecheng Town People's Government",
        "Decision on Administrative Licensing No. 2025-017",
        "The application is approved.",
    ]
    objects: list[bytes] = []
    # 1 catalog, 2 pages, 3 font, then per page: page object + content stream
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    for i in range(pages):
        text = lines if i == 0 else [f"Page {i + 1}"]
        ops = ["BT", "/F1 14 Tf", "72 770 Td", "18 TL"]
        ops += [f"({_escape(t)}) '" for t in text]
        ops.append("ET")
        content = "\n".join(ops).encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
            f"/Contents {5 + 2 * i} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def shadow_pdf() -> bytes:
    """A PDF prepared for shadow attacks (pdf-insecurity.org), harmless as signed:

    * page 1 draws "Decision: APPROVED" (object 5) and, hidden under a white box drawn by
      object 6, "Fee: 900 yuan";
    * the file also holds a second, unreferenced body of object 5 reading "Decision: REJECTED"
      (the xref points at the first one), waiting for an update that only changes the xref.
    """
    content = b"BT /F1 14 Tf 72 770 Td (Decision: APPROVED) Tj ET\nBT /F1 14 Tf 72 700 Td (Fee: 900 yuan) Tj ET"
    overlay = b"1 1 1 rg 60 690 300 30 re f"
    shadow = b"BT /F1 14 Tf 72 770 Td (Decision: REJECTED) Tj ET"
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
        b"/Contents [5 0 R 6 0 R] >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Length %d >>\nstream\n" % len(overlay) + overlay + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    out += b"5 0 obj\n<< /Length %d >>\nstream\n" % len(shadow) + shadow + b"\nendstream\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(bodies) + 1, xref)
    return bytes(out)
