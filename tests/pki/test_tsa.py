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


def _rsa_tsa(*, accuracy: dt.timedelta = dt.timedelta(seconds=1), include_tsa_name: bool = False) -> TimeStampAuthority:
    """A TSA with an RSA key (PKCS#1 v1.5 signatures are deterministic, so tokens can be compared byte for byte)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = rsa.generate_private_key(65537, 3072)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "蒲县时间戳服务")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2035, 1, 1, tzinfo=dt.UTC))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(key, hashes.SHA256())
    )
    return TimeStampAuthority(cert, key, accuracy=accuracy, include_tsa_name=include_tsa_name)


def _reference_token(
    tsa: TimeStampAuthority,
    digest: bytes,
    serial: int,
    gen_time: dt.datetime,
    nonce: int | None,
    *,
    accuracy: dict[str, int],
    tsa_name: bool,
) -> bytes:
    """The token encoded the plain asn1crypto way, from the RFCs' field lists (an independent encoder)."""
    from asn1crypto import algos, core
    from asn1crypto import x509 as ax
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    cert = ax.Certificate.load(tsa.certificate.public_bytes(Encoding.DER))
    info: dict[str, object] = {
        "version": "v1",
        "policy": TSA_POLICY.dotted_string,
        "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": digest},
        "serial_number": serial,
        "gen_time": core.GeneralizedTime(gen_time),
    }
    if accuracy:
        info["accuracy"] = accuracy
    if nonce is not None:
        info["nonce"] = nonce
    if tsa_name:
        info["tsa"] = ax.GeneralName(name="directory_name", value=cert.subject)
    tst = tsp.TSTInfo(info).dump()

    def attr(name: str, value: object) -> cms.CMSAttribute:
        return cms.CMSAttribute({"type": name, "values": (value,)})

    ess = tsp.SigningCertificateV2(
        {
            "certs": [
                {
                    "cert_hash": hashlib.sha256(cert.dump()).digest(),
                    "issuer_serial": {
                        "issuer": [ax.GeneralName(name="directory_name", value=cert.issuer)],
                        "serial_number": cert.serial_number,
                    },
                }
            ]
        }
    )
    attrs = [
        attr("content_type", "tst_info"),
        attr("signing_time", cms.Time({"utc_time": core.UTCTime(gen_time.replace(microsecond=0))})),
        attr("message_digest", hashlib.sha256(tst).digest()),
        attr("signing_certificate_v2", ess),
    ]
    signed = cms.CMSAttributes(sorted(attrs, key=lambda a: a.dump()))
    signature = tsa._key.sign(signed.dump(), padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr,call-arg]
    digest_alg = algos.DigestAlgorithm({"algorithm": "sha256"})
    signer = cms.SignerInfo(
        {
            "version": "v1",
            "sid": {"issuer_and_serial_number": {"issuer": cert.issuer, "serial_number": cert.serial_number}},
            "digest_algorithm": digest_alg,
            "signed_attrs": signed,
            "signature_algorithm": {"algorithm": "rsassa_pkcs1v15"},
            "signature": signature,
        }
    )
    sd = cms.SignedData(
        {
            "version": "v3",
            "digest_algorithms": [digest_alg],
            "encap_content_info": {"content_type": "tst_info", "content": cms.ParsableOctetString(tst)},
            "certificates": [cert],
            "signer_infos": [signer],
        }
    )
    return cms.ContentInfo({"content_type": "signed_data", "content": sd}).dump()


@pytest.mark.parametrize(
    ("nonce", "accuracy", "tsa_name"),
    [(None, {"seconds": 1}, False), (2**62 + 12345, {"seconds": 1}, False), (7, {"seconds": 2, "millis": 5}, True)],
)
def test_token_is_the_reference_encoding_byte_for_byte(
    nonce: int | None, accuracy: dict[str, int], tsa_name: bool
) -> None:
    tsa = _rsa_tsa(
        accuracy=dt.timedelta(seconds=accuracy.get("seconds", 0), milliseconds=accuracy.get("millis", 0)),
        include_tsa_name=tsa_name,
    )
    digest = hashlib.sha256(b"signature value").digest()
    gen = dt.datetime(2025, 6, 1, 8, 0, 0, 123400, tzinfo=dt.UTC)
    token = tsa.token(digest, "sha256", lambda _at: (4242, gen), at=gen, nonce=nonce)
    assert token == _reference_token(tsa, digest, 4242, gen, nonce, accuracy=accuracy, tsa_name=tsa_name)
    # and respond() grants the same token to the same request with certReq
    req = _req(digest, cert_req=True, **({"nonce": nonce} if nonce is not None else {}))
    resp = TimeStampResp.load(tsa.respond(req.dump(), lambda _at: (4242, gen), at=gen))
    assert resp["time_stamp_token"].dump() == token


def test_token_refuses_a_digest_the_tsa_does_not_take() -> None:
    tsa = _rsa_tsa()
    counter = Counter()
    for digest, alg in ((b"\x11" * 20, "sha1"), (b"\x11" * 31, "sha256")):
        with pytest.raises(InputError) as exc:
            tsa.token(digest, alg, counter, at=now())
        assert exc.value.code == "tsa_bad_digest"
    assert next(counter.n) == 1  # no serial was spent


def test_in_process_der_token_validates(pki_files: PkiFiles) -> None:
    stamper = InProcessTimeStamper(pki_files.pki.timestamp_authority(), Counter(), clock=now)
    digest = hashlib.sha256(b"signature").digest()
    token = cms.ContentInfo.load(asyncio.run(stamper.async_token_der(digest, "sha256")), strict=True)
    info = token["content"]["encap_content_info"]["content"].parsed
    assert info["message_imprint"]["hashed_message"].native == digest and info["nonce"].native is not None
    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
    from pyhanko_certvalidator import ValidationContext

    vc = ValidationContext(trust_roots=[_asn1(pki_files.pki.root)], allow_fetching=False, revocation_mode="soft-fail")
    status = asyncio.run(validate_tst_signed_data(token["content"], vc, lambda _alg: digest))
    assert status["intact"] and status["valid"], status
