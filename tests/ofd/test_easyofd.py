"""OFDs made from PDF by easyofd (PyPI), a careless producer: its own namespace
(``http://blog.yuanhaiying.cn``), page sizes in points. The package reader takes it (namespace
normalised, stored bytes untouched); verify_ofd says it carries no seal; once stamped by
esign.ofd.stamp it verifies, and a change to its page is named."""

from __future__ import annotations

import contextlib
import functools
import io
import tempfile
import warnings

import pytest

from esign.ofd import OfdPackage, write_package
from esign.ofd.verify import verify_ofd
from esign.ses import SesTrust
from esign.verify.report import Indication, SubIndication
from tests.ofd.conftest import SIGNED_AT, VERIFY_AT
from tests.pdfgen import decision_pdf
from tests.ses.conftest import Pki


@functools.cache
def _easyofd() -> bytes:
    easyofd = pytest.importorskip("easyofd.ofd")
    # easyofd writes its working files under ./test of the current directory: give it a fresh one
    with tempfile.TemporaryDirectory() as work, contextlib.chdir(work), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.redirect_stdout(io.StringIO()):  # it prints its progress
            data: bytes = easyofd.OFD().pdf2ofd(decision_pdf())
    return data


def test_easyofd_package_is_read_and_has_no_seal(trust: SesTrust) -> None:
    data = _easyofd()
    pkg = OfdPackage.from_bytes(data)
    assert pkg.namespace != "http://www.ofdspec.org/2016"  # easyofd's own
    assert pkg.doc_roots() == ("Doc_0/Document.xml",)
    report = verify_ofd(data, trust=trust, at=VERIFY_AT)
    assert report.subindication is SubIndication.NO_SIGNATURE_FOUND
    assert report.problems[0].code == "no_signature"


def test_easyofd_stamped_then_tampered(ofd_pki: Pki, ofd_seal: bytes, trust: SesTrust) -> None:
    from esign.ofd.stamp import OfdSigner, stamp_ofd
    from esign.stamp import placement_from_dict

    signer = OfdSigner(ofd_seal, ofd_pki.signer_key, ofd_pki.signer.der, ofd_pki.timestamper(SIGNED_AT), "测试县")
    stamped = stamp_ofd(
        _easyofd(),
        placement_from_dict({"mode": "position", "page": 1, "x_mm": 50, "y_mm": 90}),
        signer,
        at=SIGNED_AT,
        entry_id="E2026030100000003easy",
        verify_url="https://esign.example/v/E2026030100000003easy",
        qr_png=None,
    ).data
    report = verify_ofd(stamped, trust=trust, at=VERIFY_AT)
    assert report.indication is Indication.TOTAL_PASSED, report.to_dict()
    files = OfdPackage.from_bytes(stamped).files()
    image = next(n for n in files if n.startswith("Doc_0/Res/Image"))
    files[image] = files[image][:-10] + b"\0" * 10
    bad = verify_ofd(write_package(files), trust=trust, at=VERIFY_AT)
    assert bad.subindication is SubIndication.HASH_FAILURE
    assert image in bad.signatures[0].reasons[0].message_zh
