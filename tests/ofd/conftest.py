"""Fixtures for the OFD tests: the SM2 test PKI of tests/ses and OFDs signed with it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from esign.ses import SesTrust, crl_lookup
from tests.ofd import hostile
from tests.ofd.signed import add_signature
from tests.ses.conftest import AT, Pki, build_pki, crl_of, make_test_seal

__all__ = ["AT", "sample", "signed_ofd", "trust"]

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "ofd-samples"
SIGNED_AT = AT
VERIFY_AT = AT + dt.timedelta(days=2)


def sample(name: str) -> bytes:
    """One of ofdrw's sample OFDs in ../shared/ofd-samples (the test is skipped without them)."""
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"{path} not present")
    return path.read_bytes()


@pytest.fixture(scope="session")
def ofd_pki() -> Pki:
    return build_pki()


@pytest.fixture(scope="session")
def trust(ofd_pki: Pki) -> SesTrust:
    return SesTrust.of([ofd_pki.root.der], [ofd_pki.issuing.der], crl_lookup([crl_of(ofd_pki)]))


@pytest.fixture(scope="session")
def ofd_seal(ofd_pki: Pki) -> bytes:
    return make_test_seal(ofd_pki)


@pytest.fixture(scope="session")
def signed_ofd(ofd_pki: Pki, ofd_seal: bytes) -> bytes:
    return add_signature(
        hostile.minimal_ofd(),
        seal=ofd_seal,
        key=ofd_pki.signer_key,
        cert=ofd_pki.signer,
        at=SIGNED_AT,
        timestamper=ofd_pki.timestamper(SIGNED_AT),
    )


STAMP_ENTRY = "E2026030100000002tamper"


def stamp_helloworld(ofd_pki: Pki, ofd_seal: bytes, *, x_mm: float = 150) -> bytes:
    """helloworld.ofd stamped by esign.ofd.stamp (seal on page 1, the register QR annotation beside it)."""
    from esign.appearance import qr_artwork
    from esign.ofd.stamp import OfdSigner, stamp_ofd
    from esign.stamp import placement_from_dict

    url = f"https://esign.example/v/{STAMP_ENTRY}"
    return stamp_ofd(
        sample("helloworld.ofd"),
        placement_from_dict({"mode": "position", "page": 1, "x_mm": x_mm, "y_mm": 240}),
        OfdSigner(ofd_seal, ofd_pki.signer_key, ofd_pki.signer.der, ofd_pki.timestamper(SIGNED_AT), "测试县"),
        at=SIGNED_AT,
        entry_id=STAMP_ENTRY,
        verify_url=url,
        qr_png=lambda: qr_artwork(url).png(dpi=200),
    ).data


@pytest.fixture(scope="session")
def stamped_ofd(ofd_pki: Pki, ofd_seal: bytes) -> bytes:
    """helloworld.ofd stamped by esign.ofd.stamp at (150, 240) mm on page 1."""
    return stamp_helloworld(ofd_pki, ofd_seal)
