"""Write the sample seal images under samples/seals/ (short, typical and long name).

Run ``.venv/bin/python -m tests.appearance.make_samples``; the output is deterministic, so the
files change only when the appearance does.
"""

from __future__ import annotations

from pathlib import Path

from esign.appearance import SealSpec, qr_artwork, seal_artwork, seal_with_qr, standalone_pdf

__all__ = ["SAMPLES", "main"]

OUT = Path(__file__).resolve().parents[2] / "samples" / "seals"
SAMPLES: dict[str, SealSpec] = {
    "short": SealSpec(name="蒲县人民政府"),
    "typical": SealSpec(name="蒲县克城镇人民政府", title="行政审批服务专用章", code="1410331000123"),
    "long": SealSpec(name="临汾市蒲县人民政府政务服务管理局", title="行政审批服务专用章", code="1410330000001"),
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for key, spec in SAMPLES.items():
        art = seal_artwork(spec)
        (OUT / f"{key}.png").write_bytes(art.png(dpi=300))
    typical = seal_artwork(SAMPLES["typical"])
    both = seal_with_qr(typical, qr_artwork("https://puxian.example.cn/v/KC01-0001"))
    (OUT / "typical-with-qr.pdf").write_bytes(standalone_pdf(both, margin_mm=5))
    (OUT / "typical-with-qr.png").write_bytes(both.png(dpi=200))


if __name__ == "__main__":
    main()
