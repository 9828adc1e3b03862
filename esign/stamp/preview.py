"""A picture of where the seal will go, before anything is signed (for the clerk's page).

The seal, its QR code and the other seal images are drawn into a copy of the document in memory
and the page carrying the signature is rendered by poppler's ``pdftocairo``. Nothing is signed
and the input is not modified.
"""

from __future__ import annotations

import io
import shutil
import subprocess

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from esign.errors import ConfigError, InputError
from esign.stamp.plan import StampPlan
from esign.stamp.signing import draw_on_pages

__all__ = ["preview_png", "render_page"]

_TIMEOUT_S = 30


def preview_png(data: bytes, plan: StampPlan, *, dpi: int = 60, password: str | None = None) -> bytes:
    """The page of the signature as a PNG with every seal image drawn where it will be stamped."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    if writer.security_handler is not None and password is not None:
        writer.encrypt(password.encode())
    draw_on_pages(writer, (plan.widget, *plan.extra))
    out = io.BytesIO()
    writer.write(out)
    return render_page(out.getvalue(), plan.widget.page_index, dpi=dpi)


def render_page(data: bytes, page_index: int, *, dpi: int = 60) -> bytes:
    """One page of a PDF as a PNG (poppler)."""
    if shutil.which("pdftocairo") is None:
        raise ConfigError(
            "预览需要 poppler-utils（apt-get install poppler-utils）。",
            "Previews need poppler-utils (apt-get install poppler-utils).",
            code="preview_unavailable",
        )
    page = page_index + 1
    try:
        result = subprocess.run(
            ["pdftocairo", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile", "-", "-"],
            input=data,
            capture_output=True,
            timeout=_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise InputError("预览生成超时。", "Rendering the preview timed out.", code="preview_timeout") from exc
    if result.returncode != 0 or not result.stdout.startswith(b"\x89PNG"):
        raise InputError("无法生成预览。", "Could not render the preview.", code="preview_failed")
    return result.stdout
