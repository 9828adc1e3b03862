"""Fixtures for the OFD tests: the SM2 test PKI of tests/ses and OFDs signed with it."""

from __future__ import annotations

import datetime as dt

import pytest

from esign.ses import SesTrust, crl_lookup
from tests.ofd import hostile
from tests.ofd.signed import add_signature
from tests.ses.conftest import AT, Pki, build_pki, crl_of, make_test_seal

__all__ = ["AT", "signed_ofd", "trust"]

SIGNED_AT = AT
VERIFY_AT = AT + dt.timedelta(days=2)


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
