"""Seal keys on a PKCS#11 token (SoftHSM2): made there, never exported, and stamps pdfsig accepts."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from esign.config import Settings
from esign.deployment import Deployment
from esign.errors import ConfigError, ConflictError, StateError
from esign.hosts import BlobStore
from esign.ledger.models import LedgerEntryRow
from esign.pki.keys import KeyAlgorithm
from esign.registry import Actor, find_person, find_seal
from esign.setup import create_demo
from esign.stamp import AtKeyword, AtPosition
from esign.verify import verify_pdf
from esign.workflow.engine import StampEngine
from esign.workflow.models import StampRequestRow
from esign.workflow.requests import StampRequestSpec, approve_request, stamp_directly, submit_request
from tests.pdfgen import decision_pdf
from tests.workflow.conftest import County, now, nss_trusting_root, pdfsig

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
TOKEN, PIN = "esign-test", "246810"


@pytest.fixture(scope="module")
def token(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A fresh SoftHSM2 token for this test process (its configuration is read once per process)."""
    if not (Path(MODULE).exists() and shutil.which("softhsm2-util")):
        pytest.fail("SoftHSM2 is not installed (dev.sh installs softhsm2)", pytrace=False)
    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", TOKEN, "--pin", PIN, "--so-pin", "13579111"],
        check=True,
        capture_output=True,
    )
    return TOKEN


def _settings(home: Path, **kw: object) -> Settings:
    options: dict[str, object] = {
        "home": home,
        "public_base_url": "https://esign.puxian.example",
        "seal_keystore": "pkcs11",
        "pkcs11_module": MODULE,
        "pkcs11_token": TOKEN,
        "pkcs11_pin": SecretStr(PIN),
    }
    return Settings(**{**options, **kw})  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def hsm_county(token: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[County]:
    home = tmp_path_factory.mktemp("hsm-county")
    dep = Deployment.open(_settings(home))
    assert create_demo(dep, at=now()) is not None
    yield County(dep, StampEngine(dep, clock=now), home, nss_trusting_root(home))
    dep.close()


def test_a_key_made_on_the_token_never_leaves_it(token, tmp_path):
    from pkcs11 import Attribute, ObjectClass

    store = Deployment.open(_settings(tmp_path)).seal_keys
    public = store.generate("seal-test-1", KeyAlgorithm.EC_P256)
    assert public.curve.name == "secp256r1"  # type: ignore[union-attr]
    assert store.exists("seal-test-1") and not store.exists("seal-test-2")
    with pytest.raises(ConflictError) as exc:
        store.generate("seal-test-1")
    assert exc.value.code == "key_exists"
    with pytest.raises(StateError) as refused:
        store.load_private("seal-test-1")
    assert refused.value.code == "key_not_exportable"
    (key,) = store._session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.LABEL: "seal-test-1"})  # type: ignore[attr-defined]
    assert key[Attribute.SENSITIVE] and not key[Attribute.EXTRACTABLE]


def test_seal_keys_are_on_the_token_and_not_in_the_key_folder(hsm_county):
    with hsm_county.dep.transaction() as session:
        from esign.registry.models import Seal

        key_ids = [s.key_id for s in session.query(Seal).all()]
    assert len(key_ids) == 8
    files = {p.name for p in (hsm_county.home / "keys").iterdir()}
    assert all(hsm_county.dep.seal_keys.exists(k) for k in key_ids)
    assert not any(k in name for k in key_ids for name in files), files


def test_a_stamp_signed_on_the_token_is_accepted_by_pdfsig_and_our_verifier(hsm_county, tmp_path):
    spec = StampRequestSpec(seal="克城镇", item="1", reason="受理高龄补贴申请", placement=AtKeyword())
    outcome = stamp_directly(
        hsm_county.dep,
        hsm_county.engine,
        decision_pdf(number="克政审受字〔2025〕第611号"),
        spec,
        user="克城镇窗口",
        approver="克城镇批准人",
        at=now(),
    )
    signed = BlobStore(hsm_county.home / "documents").get(outcome.output_sha256)
    report = verify_pdf(signed, trust_roots=hsm_county.dep.pki.root, at=now())
    assert str(report.indication) == "TOTAL_PASSED", report
    path = tmp_path / "stamped.pdf"
    path.write_bytes(signed)
    verdict = pdfsig(hsm_county, path)
    assert "Signature Validation: Signature is Valid." in verdict, verdict
    assert "Certificate Validation: Certificate is Trusted." in verdict, verdict
    assert "Not total document signed" in verdict, verdict  # B-LT: the DSS follows the signature


def test_stamps_from_several_threads_share_the_token_session(hsm_county):
    def one(n: int) -> str:
        spec = StampRequestSpec(seal="克城镇", item="1", reason="并发盖章", placement=AtKeyword())
        outcome = stamp_directly(
            hsm_county.dep,
            hsm_county.engine,
            decision_pdf(number=f"克政审受字〔2025〕第{n}号"),
            spec,
            user="克城镇窗口",
            approver="克城镇批准人",
            at=now(),
        )
        signed = BlobStore(hsm_county.home / "documents").get(outcome.output_sha256)
        return str(verify_pdf(signed, trust_roots=hsm_county.dep.pki.root, at=now()).indication)

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(one, range(700, 708))) == ["TOTAL_PASSED"] * 8


def test_a_key_gone_from_the_token_refuses_the_stamp_and_records_nothing(hsm_county):
    """The engine holds the key handle; the key is then deleted on the token (or the token is
    swapped): the approval fails with a clear error, and no entry, file or decision is left."""
    from pkcs11 import Attribute, ObjectClass

    dep, engine = hsm_county.dep, hsm_county.engine
    spec = StampRequestSpec(
        seal="薛关镇", item="1", reason="令牌故障", placement=AtPosition(page=-1, x_mm=150, y_mm=240)
    )
    with dep.transaction() as session:
        clerk = Actor.from_person(find_person(session, "薛关镇窗口"))
        approver = Actor.from_person(find_person(session, "薛关镇批准人"))
        seal = find_seal(session, "薛关镇")
        _ = seal.township
    engine.material(seal)  # the signer and its key handle are loaded
    row = submit_request(dep, clerk, decision_pdf(number="薛政审受字〔2025〕第1号"), spec, at=now())
    for key in dep.seal_keys._session.get_objects(
        {Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.LABEL: seal.key_id}
    ):  # type: ignore[attr-defined]
        key.destroy()
    documents = hsm_county.home / "documents"
    with dep.transaction() as session:
        entries_before = session.scalar(select(func.count()).select_from(LedgerEntryRow))
    files_before = set(documents.rglob("*.pdf"))

    with pytest.raises(ConfigError) as failed:
        approve_request(dep, engine, approver, row.id, at=now())
    assert failed.value.code == "pkcs11_sign_failed" and failed.value.http_status == 503
    assert failed.value.message_zh and failed.value.message_en
    with dep.transaction() as session:
        assert session.scalar(select(func.count()).select_from(LedgerEntryRow)) == entries_before
        assert session.get(StampRequestRow, row.id).status == "pending"
    assert set(documents.rglob("*.pdf")) == files_before and not list(documents.rglob(".tmp-*"))


def test_a_wrong_or_missing_pin_is_a_clear_error(token, tmp_path):
    with pytest.raises(ConfigError) as wrong:
        _ = Deployment.open(_settings(tmp_path, pkcs11_pin=SecretStr("000000"))).seal_keys
    assert wrong.value.code == "pkcs11_wrong_pin"
    with pytest.raises(ConfigError) as missing:
        _ = Deployment.open(_settings(tmp_path, pkcs11_pin=None)).seal_keys
    assert missing.value.code == "pkcs11_no_pin"
