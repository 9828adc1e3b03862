"""Live revocation fetching (``allow_fetching``) against a local HTTP server serving the CRL."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from esign.verify import Indication, RevocationSource, SubIndication, verify_pdf
from tests.verify.docs import simple_pdf
from tests.verify.factory import Level, TestPKI
from tests.verify.scenarios import LATER, STAMPED


class _Crl:
    der = b""


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/pki/crl":
                self.send_response(200)
                self.send_header("Content-Type", "application/pkix-crl")
                self.send_header("Content-Length", str(len(_Crl.der)))
                self.end_headers()
                self.wfile.write(_Crl.der)
            else:
                self.send_response(404)
                self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_live_crl_decides(server: str) -> None:
    county = TestPKI.create(base_url=server)
    seal = county.issue_seal()
    pdf = county.sign(simple_pdf(), seal, at=STAMPED, level=Level.B_B)
    _Crl.der = county.crl(LATER)
    offline = verify_pdf(pdf, trust_roots=[county.root], at=LATER)
    assert offline.subindication is SubIndication.TRY_LATER
    online = verify_pdf(pdf, trust_roots=[county.root], at=LATER, allow_fetching=True)
    assert online.indication is Indication.TOTAL_PASSED
    assert online.signatures[0].revocation_now.source is RevocationSource.LIVE

    county.revoke(seal, at=LATER - dt.timedelta(hours=1))
    _Crl.der = county.crl(LATER)
    revoked = verify_pdf(pdf, trust_roots=[county.root], at=LATER, allow_fetching=True)
    assert revoked.subindication is SubIndication.REVOKED_NO_POE


def test_unreachable_fetch_is_bounded() -> None:
    county = TestPKI.create(base_url="http://127.0.0.1:9")
    pdf = county.sign(simple_pdf(), county.issue_seal(), at=STAMPED, level=Level.B_B)
    report = verify_pdf(pdf, trust_roots=[county.root], at=LATER, allow_fetching=True)
    assert report.subindication is SubIndication.TRY_LATER
