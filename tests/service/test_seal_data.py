"""Every demo seal's GB/T 38540 seal data (.esl): served, shown, made by the maker for the seal's SM2
certificate; the lifecycle replaces it; a revoked seal's SES signatures made afterwards are refused
while earlier ones still pass. Judged by esign.ses (sm2lib's verifier) and OpenSSL (the maker's
signature with pkeyutl)."""

from __future__ import annotations

import datetime as dt
import io
import time

from PIL import Image

from esign.pki import store
from esign.registry import find_seal
from esign.registry.seals import seal_data
from esign.ses import SesTrust, crl_lookup, parse_seal, sign, verify_seal, verify_signature
from esign.verify.report import Indication, SubIndication
from tests.pki.sm2_openssl import openssl, pkeyutl_verify, public_key_pem

ADMIN = "县审批局管理员"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _trust(demo) -> SesTrust:
    c = demo.client
    crl = c.get("/pki/sm2/crl")
    assert crl.status_code == 200
    return SesTrust.of(
        [c.get("/pki/sm2/root.crt").content], [c.get("/pki/sm2/issuing.crt").content], crl_lookup([crl.content])
    )


def _seals(demo) -> list[dict]:
    r = demo.client.get("/api/v1/seals", headers=demo.headers(ADMIN))
    assert r.status_code == 200
    return r.json()


def test_every_demo_seal_has_seal_data_for_its_sm2_certificate(demo, tmp_path) -> None:
    trust = _trust(demo)
    maker = demo.client.get("/pki/sm2/maker.crt").content
    (tmp_path / "maker.der").write_bytes(maker)
    assert (
        openssl("x509", "-inform", "DER", "-in", tmp_path / "maker.der", "-out", tmp_path / "maker.pem").returncode == 0
    )
    maker_key = public_key_pem(openssl, tmp_path / "maker.pem", tmp_path / "maker.pub")
    seals = _seals(demo)
    assert len(seals) == 8
    for s in seals:
        r = demo.client.get(f"/api/v1/seals/{s['id']}/seal.esl", headers=demo.headers(ADMIN))
        assert r.status_code == 200 and f'filename="{s["code"]}.esl"' in r.headers["content-disposition"]
        seal = parse_seal(r.content)
        with demo.deployment.transaction() as session:
            sm2_cert = session.get(store.PkiCertificate, s["sm2_cert_serial"]).der
        assert (seal.vid, seal.es_id, seal.name, seal.seal_type) == ("esign", s["code"], s["name"], 1)
        assert seal.cert_list_type == 1 and seal.signer_certs == (sm2_cert,)
        assert seal.maker_cert == maker and seal.sign_alg_id == "1.2.156.10197.1.501"
        assert seal.valid_start <= _now() < seal.valid_end
        assert (seal.picture.type, seal.picture.width_mm, seal.picture.height_mm) == ("PNG", 42, 42)
        image = Image.open(io.BytesIO(seal.picture.data))
        assert image.format == "PNG" and 480 <= image.width == image.height <= 520  # 42 mm at 300 dpi
        assert pkeyutl_verify(openssl, maker_key, seal.seal_info_der, seal.signed_value, tmp_path)
        report = verify_seal(r.content, trust, at=_now())
        assert report.indication is Indication.TOTAL_PASSED, report.to_dict()


def test_the_seal_page_links_the_seal_data_and_a_seal_without_it_is_a_clear_404(demo) -> None:
    page = demo.client.get("/admin/seals", headers=demo.headers(ADMIN))
    assert page.status_code == 200
    assert page.text.count("/seal.esl") == 8 and "有效期" in page.text
    missing = demo.client.get("/api/v1/seals/99999/seal.esl", headers=demo.headers(ADMIN))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "seal_not_found"
    assert demo.client.get("/api/v1/seals/1/seal.esl").status_code == 401


def _sign(demo, seal_ref: str, data: bytes) -> bytes:
    dep = demo.deployment
    with dep.transaction() as session:
        seal = find_seal(session, seal_ref)
        key_id, serial = seal.sm2_key_id, seal.sm2_cert_serial
        seal_der = seal_data(session, seal).der
        cert = session.get(store.PkiCertificate, serial).der
    return sign(
        data=data,
        property_info="/Doc_0/Signs/Sign_0/Signature.xml",
        seal=seal_der,
        signer_key=dep.sm2_keys.signer(key_id),  # type: ignore[arg-type]
        signer_cert=cert,
        timestamper=dep.sm2_timestamper(_now),
        at=_now(),
    )


def test_revoking_a_seal_refuses_its_later_ses_signatures_and_keeps_the_earlier_ones(demo) -> None:
    data = "山中乡关于某某事项的决定".encode() * 20
    before = _sign(demo, "山中乡", data)
    assert verify_signature(before, _trust(demo), at=_now(), data=data).indication is Indication.TOTAL_PASSED
    time.sleep(1.1)  # CRL and time-stamp times are to the second
    seal = next(s for s in _seals(demo) if s["township"] == "山中乡")
    r = demo.client.post(f"/api/v1/seals/{seal['id']}/revoke", json={"reason": "撤并"}, headers=demo.headers(ADMIN))
    assert r.status_code == 200
    time.sleep(1.1)
    after = _sign(demo, "山中乡", data)
    trust = _trust(demo)
    late = verify_signature(after, trust, at=_now(), data=data)
    assert late.indication is not Indication.TOTAL_PASSED
    assert SubIndication.REVOKED in {s.subindication for s in late.signatures}, late.to_dict()
    early = verify_signature(before, trust, at=_now(), data=data)
    assert early.indication is Indication.TOTAL_PASSED, early.to_dict()


def _esl(demo, seal_id: int) -> bytes:
    return demo.client.get(f"/api/v1/seals/{seal_id}/seal.esl", headers=demo.headers(ADMIN)).content


def test_replacing_a_seal_gives_new_seal_data_for_a_new_sm2_certificate(demo) -> None:
    old = next(s for s in _seals(demo) if s["township"] == "红道乡")
    r = demo.client.post(f"/api/v1/seals/{old['id']}/replace", json={"reason": "换证"}, headers=demo.headers(ADMIN))
    assert r.status_code == 200
    new = r.json()
    old_seal, new_seal = parse_seal(_esl(demo, old["id"])), parse_seal(_esl(demo, new["id"]))
    assert new_seal.es_id == new["code"] != old_seal.es_id
    assert new_seal.signer_certs != old_seal.signer_certs and new_seal.name == old_seal.name
    assert verify_seal(new_seal.der, _trust(demo), at=_now()).indication is Indication.TOTAL_PASSED


def test_sm2_init_makes_seal_data_a_seal_lacks_and_nothing_else(demo) -> None:
    from esign.registry.models import SealData
    from esign.setup import init_sm2

    seal = next(s for s in _seals(demo) if s["township"] == "乔家湾乡")
    with demo.deployment.transaction() as session:
        session.delete(session.get(SealData, seal["id"]))
    assert demo.client.get(f"/api/v1/seals/{seal['id']}/seal.esl", headers=demo.headers(ADMIN)).status_code == 404
    assert init_sm2(demo.deployment, at=_now()) == (False, [seal["code"]])
    remade = parse_seal(_esl(demo, seal["id"]))
    assert remade.es_id == seal["code"] and verify_seal(remade.der, _trust(demo), at=_now()).indication is (
        Indication.TOTAL_PASSED
    )
    assert init_sm2(demo.deployment, at=_now()) == (False, [])
