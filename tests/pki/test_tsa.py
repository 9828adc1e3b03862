from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import itertools
from pathlib import Path

import pytest
from asn1crypto import cms, tsp
from cryptography.hazmat.primitives.serialization import Encoding

from esign.errors import InputError
from esign.pki import InProcessTimeStamper, TimeStampAuthority
from esign.pki.oids import TSA_POLICY
from esign.pki.tsa import TimeStampResp
from tests.pki.conftest import PkiFiles, Run, now


class Counter:
    """A stand-in for store.tsa_next: serials 1, 2, ... at the time asked."""

    def __init__(self) -> None:
        self.n = itertools.count(1)

    def __call__(self, at: dt.datetime) -> tuple[int, dt.datetime]:
        return next(self.n), at


def _req(digest: bytes = b"\x11" * 32, algorithm: str = "sha256", **extra: object) -> tsp.TimeStampReq:
    return tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {"hash_algorithm": {"algorithm": algorithm}, "hashed_message": digest},
            **extra,
        }
    )


def _status(der: bytes) -> tuple[str, set[str] | None]:
    resp = TimeStampResp.load(der)
    return resp["status"]["status"].native, resp["status"]["fail_info"].native


def test_granted_token_contents(pki_files: PkiFiles) -> None:
    tsa = pki_files.pki.timestamp_authority()
    at = dt.datetime(2025, 6, 1, 8, 0, 0, 123000, tzinfo=dt.UTC)
    der = tsa.respond(_req(nonce=987654321, cert_req=True).dump(), Counter(), at=at)
    resp = TimeStampResp.load(der)
    assert resp["status"]["status"].native == "granted"
    sd = resp["time_stamp_token"]["content"]
    info = sd["encap_content_info"]["content"].parsed
    assert info["version"].native == "v1"
    assert info["policy"].native == TSA_POLICY.dotted_string
    assert info["message_imprint"]["hashed_message"].native == b"\x11" * 32
    assert info["serial_number"].native == 1
    assert info["gen_time"].native == at
    assert info["accuracy"]["seconds"].native == 1
    assert info["nonce"].native == 987654321
    assert info["ordering"].native is False and info["tsa"].native is None
    signer = sd["signer_infos"][0]
    attrs = {a["type"].native: a["values"][0] for a in signer["signed_attrs"]}
    assert set(attrs) == {"content_type", "message_digest", "signing_certificate_v2", "signing_time"}
    assert attrs["content_type"].native == "tst_info"
    ess = attrs["signing_certificate_v2"]["certs"][0]
    assert ess["cert_hash"].native == hashlib.sha256(pki_files.pki.tsa.public_bytes(Encoding.DER)).digest()
    assert len(sd["certificates"]) == 2  # TSA + issuing CA on certReq
    # no certReq: no certificates
    der = tsa.respond(_req().dump(), Counter(), at=at)
    assert not TimeStampResp.load(der)["time_stamp_token"]["content"]["certificates"]


def test_requested_policy(pki_files: PkiFiles) -> None:
    tsa = pki_files.pki.timestamp_authority()
    ok = tsa.respond(_req(req_policy=TSA_POLICY.dotted_string).dump(), Counter(), at=now())
    assert _status(ok)[0] == "granted"
    bad = tsa.respond(_req(req_policy="1.2.3.4").dump(), Counter(), at=now())
    assert _status(bad) == ("rejection", {"unaccepted_policy"})


@pytest.mark.parametrize(
    ("req", "fail"),
    [
        (_req(b"\x11" * 20, "sha1"), "bad_alg"),
        (_req(b"\x11" * 16, "md5"), "bad_alg"),
        (_req(b"\x11" * 31), "bad_data_format"),
        (_req(b"\x11" * 48, "sha384", version="v2"), "bad_data_format"),
    ],
)
def test_rejections(pki_files: PkiFiles, req: tsp.TimeStampReq, fail: str) -> None:
    der = pki_files.pki.timestamp_authority().respond(req.dump(), Counter(), at=now())
    assert _status(der) == ("rejection", {fail})
    assert TimeStampResp.load(der)["status"]["status_string"].native


def test_request_extensions_rejected(pki_files: PkiFiles) -> None:
    ext = {"extn_id": "1.2.3.4.5", "critical": False, "extn_value": b"\x05\x00"}
    der = pki_files.pki.timestamp_authority().respond(_req(extensions=[ext]).dump(), Counter(), at=now())
    assert _status(der) == ("rejection", {"unaccepted_extensions"})


@pytest.mark.parametrize("garbage", [b"", b"\x00", b"garbage", b"\x30\x03\x02\x01\x01", b"\x30\x80" * 50])
def test_garbage_is_rejected_not_raised(pki_files: PkiFiles, garbage: bytes) -> None:
    counter = Counter()
    der = pki_files.pki.timestamp_authority().respond(garbage, counter, at=now())
    assert _status(der) == ("rejection", {"bad_data_format"})
    assert next(counter.n) == 1  # no serial was spent on garbage


def test_trailing_bytes_rejected(pki_files: PkiFiles) -> None:
    der = pki_files.pki.timestamp_authority().respond(_req().dump() + b"\x00", Counter(), at=now())
    assert _status(der)[0] == "rejection"


def test_tsa_certificate_checked(pki_files: PkiFiles) -> None:
    pki = pki_files.pki
    with pytest.raises(InputError):
        TimeStampAuthority(pki.ocsp, pki.ocsp_key)
    with pytest.raises(InputError):
        TimeStampAuthority(pki.tsa, pki.ocsp_key)


def _openssl_ts(openssl: Run, pki_files: PkiFiles, tmp_path: Path, *query_args: str) -> tuple[Path, Path, Path]:
    data = tmp_path / "decision.pdf"
    data.write_bytes(b"%PDF-1.7 pretend this is a decision\n")
    tsq, tsr = tmp_path / "req.tsq", tmp_path / "resp.tsr"
    out = openssl("ts", "-query", "-data", data, *query_args, "-out", tsq)
    assert out.returncode == 0, out.stderr
    tsr.write_bytes(pki_files.pki.timestamp_authority().respond(tsq.read_bytes(), Counter(), at=now()))
    return data, tsq, tsr


def test_openssl_verifies_token(any_pki: PkiFiles, openssl: Run, tmp_path: Path) -> None:
    c = any_pki.certs
    data, tsq, tsr = _openssl_ts(openssl, any_pki, tmp_path, "-sha256", "-cert")
    out = openssl(
        "ts", "-verify", "-in", tsr, "-queryfile", tsq, "-CAfile", c / "root.crt", "-untrusted", c / "issuing.crt"
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Verification: OK" in out.stdout
    out = openssl(
        "ts", "-verify", "-in", tsr, "-data", data, "-CAfile", c / "root.crt", "-untrusted", c / "issuing.crt"
    )
    assert "Verification: OK" in out.stdout, out.stdout + out.stderr
    # a different document does not verify against the token
    other = tmp_path / "other.pdf"
    other.write_bytes(b"something else")
    out = openssl(
        "ts", "-verify", "-in", tsr, "-data", other, "-CAfile", c / "root.crt", "-untrusted", c / "issuing.crt"
    )
    assert out.returncode != 0
    text = openssl("ts", "-reply", "-in", tsr, "-text").stdout
    assert TSA_POLICY.dotted_string in text and "Accuracy: 0x01 seconds" in text and "Nonce: 0x" in text


def test_openssl_policy_and_sha512_without_cert(pki_files: PkiFiles, openssl: Run, tmp_path: Path) -> None:
    c = pki_files.certs
    _, tsq, tsr = _openssl_ts(
        openssl, pki_files, tmp_path, "-sha512", "-no_nonce", "-tspolicy", TSA_POLICY.dotted_string
    )
    # certReq unset: the TSA certificate is not embedded, so the verifier must be given it
    untrusted = tmp_path / "untrusted.pem"
    untrusted.write_bytes((c / "tsa.crt").read_bytes() + (c / "issuing.crt").read_bytes())
    out = openssl("ts", "-verify", "-in", tsr, "-queryfile", tsq, "-CAfile", c / "root.crt", "-untrusted", untrusted)
    assert "Verification: OK" in out.stdout, out.stdout + out.stderr
    out = openssl(
        "ts", "-verify", "-in", tsr, "-queryfile", tsq, "-CAfile", c / "root.crt", "-untrusted", c / "issuing.crt"
    )
    assert "Verification: OK" not in out.stdout  # really not embedded


def test_openssl_sha1_query_rejected(pki_files: PkiFiles, openssl: Run, tmp_path: Path) -> None:
    _, _, tsr = _openssl_ts(openssl, pki_files, tmp_path, "-sha1", "-cert")
    text = openssl("ts", "-reply", "-in", tsr, "-text").stdout
    assert "Status: Rejected" in text and "unrecognized or unsupported algorithm" in text


def test_pyhanko_in_process_timestamper(pki_files: PkiFiles) -> None:
    stamper = InProcessTimeStamper(pki_files.pki.timestamp_authority(), Counter(), clock=now)
    digest = hashlib.sha256(b"document").digest()
    token = asyncio.run(stamper.async_timestamp(digest, "sha256"))
    assert isinstance(token, cms.ContentInfo)
    info = token["content"]["encap_content_info"]["content"].parsed
    assert info["message_imprint"]["hashed_message"].native == digest
    assert info["message_imprint"]["hash_algorithm"]["algorithm"].native == "sha256"
    # pyHanko validates the token's signature and chain against our root
    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
    from pyhanko_certvalidator import ValidationContext

    vc = ValidationContext(trust_roots=[_asn1(pki_files.pki.root)], allow_fetching=False, revocation_mode="soft-fail")
    status = asyncio.run(validate_tst_signed_data(token["content"], vc, lambda _alg: digest))
    assert status["intact"] and status["valid"], status
    assert status["trust_problem_indic"] is None and status["validation_path"] is not None


def _asn1(cert):  # type: ignore[no-untyped-def]
    from asn1crypto import x509 as ax

    return ax.Certificate.load(cert.public_bytes(Encoding.DER))
