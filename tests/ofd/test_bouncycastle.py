"""BouncyCastle (Debian's libbcprov-java) and the JDK's own ZIP and XML readers check our stamped OFDs
independently: every Reference's CheckValue against SM3 of its file, SignedValue.dat's SM3withSM2 over
DER(TBS_Sign), dataHash = SM3(Signature.xml). The checker is tests/ofd/java/OfdCheck.java, compiled
here with tests/ses/java/SesCheck.java (whose SES_Signature reader it reuses). It agrees with
verify_ofd on ofdrw's sample, on our stamped and twice-stamped OFDs, and on a tampered one."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from esign.ofd import OfdPackage, write_package
from esign.ofd.verify import verify_ofd
from esign.ses import SesTrust
from esign.verify.report import Indication
from tests.ofd.conftest import SIGNED_AT, VERIFY_AT
from tests.ofd.signed import add_signature
from tests.ses.conftest import Pki

BCPROV = Path("/usr/share/java/bcprov.jar")
SOURCES = [
    Path(__file__).parents[1] / "ses" / "java" / "SesCheck.java",
    Path(__file__).with_name("java") / "OfdCheck.java",
]
SAMPLE = Path(__file__).resolve().parents[2].parent / "shared" / "ofd-samples" / "SESV4SignDoc.ofd"

Run = Callable[[bytes], tuple[int, dict[str, str]]]


@pytest.fixture(scope="module")
def ofdcheck(tmp_path_factory: pytest.TempPathFactory) -> Run:
    javac, java = shutil.which("javac"), shutil.which("java")
    if javac is None or java is None or not BCPROV.exists():
        pytest.skip("javac/java or libbcprov-java is not installed (dev.sh installs them)")
    out = tmp_path_factory.mktemp("bcofd")
    done = subprocess.run(
        [javac, "-cp", str(BCPROV), "-d", str(out), *map(str, SOURCES)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr

    def run(data: bytes) -> tuple[int, dict[str, str]]:
        path = out / "in.ofd"
        path.write_bytes(data)
        got = subprocess.run(
            [java, "-cp", f"{BCPROV}:{out}", "OfdCheck", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert "Exception" not in got.stderr, got.stderr
        return got.returncode, dict(line.split("=", 1) for line in got.stdout.splitlines() if "=" in line)

    return run


def test_ofdrws_signed_sample(ofdcheck: Run) -> None:
    if not SAMPLE.exists():
        pytest.skip("the shared OFD samples are not mounted")
    code, out = ofdcheck(SAMPLE.read_bytes())
    assert code == 0 and out["signature"] == "OK" and out["dataHash"].startswith("OK"), out
    assert out["sig0.ref[Doc_0/Pages/Page_0/Content.xml]"] == "OK"


def test_our_stamped_ofd(ofdcheck: Run, stamped_ofd: bytes, trust: SesTrust) -> None:
    code, out = ofdcheck(stamped_ofd)
    assert code == 0 and out["result"] == "OK", out
    refs = {k: v for k, v in out.items() if k.startswith("sig0.ref[")}
    names = set(OfdPackage.from_bytes(stamped_ofd).names)
    assert len(refs) == len(names) - 3 and set(refs.values()) == {"OK"}  # all but the list and its own two files
    assert out["signature"] == "OK" and out["dataHash"].startswith("OK") and out["signer_in_seal"] == "OK"
    assert out["propertyInfo"] == "/Doc_0/Signs/Sign_0/Signature.xml"
    assert verify_ofd(stamped_ofd, trust=trust, at=VERIFY_AT).indication is Indication.TOTAL_PASSED


def test_stamped_twice(ofdcheck: Run, stamped_ofd: bytes, ofd_pki: Pki, ofd_seal: bytes) -> None:
    twice = add_signature(stamped_ofd, seal=ofd_seal, key=ofd_pki.signer_key, cert=ofd_pki.signer, at=SIGNED_AT)
    code, out = ofdcheck(twice)
    assert code == 0 and out["signatures"] == "2", out
    assert out["sig1.ref[Doc_0/Signs/Sign_0/SignedValue.dat]"] == "OK"  # the later seal protects the earlier one


def test_tampered_content_refused_by_both(ofdcheck: Run, stamped_ofd: bytes, trust: SesTrust) -> None:
    files = OfdPackage.from_bytes(stamped_ofd).files()
    page = "Doc_0/Pages/Page_0/Content.xml"
    files[page] = files[page].replace("你好".encode(), "再见".encode())
    bad = write_package(files)
    code, out = ofdcheck(bad)
    assert code == 1 and out[f"sig0.ref[{page}]"] == "BAD" and out["signature"] == "OK", out
    report = verify_ofd(bad, trust=trust, at=VERIFY_AT)
    assert report.indication is Indication.TOTAL_FAILED
    assert page in report.signatures[0].reasons[0].message_zh
