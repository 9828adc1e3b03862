"""The QR code never covers page content: a LibreOffice refusal whose reason runs to the right margin
right under the signature block, stamped with keyword placement; poppler's word boxes (an
independent text extraction) against where the QR code's black modules appeared."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageChops

from esign.hosts import BlobStore
from esign.stamp import AtKeyword
from esign.workflow.requests import StampRequestSpec, stamp_directly
from tests.office import Export, OfficeError, convert, decision_fodt
from tests.stamp._render import poppler_words, render

from .conftest import now

_REASON = (
    "经审查，你提交的申请材料不齐全，决定不予受理。请补齐村民委员会意见、宅基地使用权属证明和"
    "建房位置图后重新提交申请；如对本决定不服，可在收到本通知书之日起六十日内申请行政复议。"
)
DPI = 72


@pytest.fixture(scope="module")
def refusal(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    fodt = decision_fodt(title="不予受理通知书", table=False)
    small = "本通知书一式两份，申请人与受理机关各执一份。"
    fodt = fodt.replace(small, (_REASON + '</text:p><text:p text:style-name="Body">') * 3 + small)
    try:
        return convert({"refusal": fodt}, Export(), workdir=tmp_path_factory.mktemp("refusal"))["refusal"]
    except OfficeError as exc:
        pytest.fail(str(exc), pytrace=False)


def _qr_box(before: Image.Image, after: Image.Image) -> tuple[float, float, float, float]:
    """Where new black pixels (the QR code's modules) appeared, in points from the top left."""

    def dark(img: Image.Image) -> Image.Image:
        return img.convert("L").point(lambda v: 255 if v < 60 else 0)

    new = ImageChops.subtract(dark(after), dark(before))
    bbox = new.getbbox()
    assert bbox is not None, "no QR code drawn"
    k = 72 / DPI
    return bbox[0] * k, bbox[1] * k, bbox[2] * k, bbox[3] * k


def test_the_qr_code_keeps_off_text_that_runs_to_the_margin(county, refusal: bytes, tmp_path: Path) -> None:
    spec = StampRequestSpec(
        seal="克城镇", item="1", reason="不予受理", title="不予受理通知书", placement=AtKeyword()
    )
    outcome = stamp_directly(
        county.dep, county.engine, refusal, spec, user="克城镇窗口", approver="克城镇批准人", at=now()
    )
    out = BlobStore(county.home / "documents").get(outcome.output_sha256)
    qx0, qy0, qx1, qy1 = _qr_box(render(refusal, dpi=DPI), render(out, dpi=DPI))
    assert qx1 - qx0 > 40 and qy1 - qy0 > 40  # the code's modules were found
    words = poppler_words(refusal)
    assert any("材料不齐全" in w[0] for w in words) or len(words) > 20
    covered = [w for w in words if w[1] < qx1 and w[3] > qx0 and w[2] < qy1 and w[4] > qy0]
    assert covered == [], covered
