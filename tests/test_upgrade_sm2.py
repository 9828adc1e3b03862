"""A home made before the SM2 PKI existed gains it with ``esign pki sm2-init``: the SM2 hierarchy, an SM2
certificate for every seal that has an ECDSA one (held for a suspended seal), once; running it again changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_upgrade import REPO, _esign, _previous_release


def test_sm2_init_gives_an_old_home_its_sm2_pki_once(tmp_path: Path) -> None:
    old = _previous_release(tmp_path / "previous", "samples")  # its demo reads samples/
    home = tmp_path / "home"
    assert _esign(old, "demo", "--home", str(home)).returncode == 0
    suspended = _esign(old, "seal", "suspend", "薛关镇", "--reason", "升级前暂停", "--home", str(home))
    assert suspended.returncode == 0, suspended.stderr
    assert not (home / "certs" / "sm2").exists()

    first = _esign(REPO, "pki", "sm2-init", "--home", str(home), "--json")
    assert first.returncode == 0, first.stdout + first.stderr
    made = json.loads(first.stdout)
    assert made["created"] is True and len(made["seals"]) == 8
    assert (home / "certs" / "sm2" / "root.crt").exists() and (home / "keys" / "sm2" / "maker.key.pem").exists()

    again = json.loads(_esign(REPO, "pki", "sm2-init", "--home", str(home), "--json").stdout)
    assert again == {**made, "created": False, "seals": []}

    shown = json.loads(_esign(REPO, "seal", "show", "薛关镇", "--home", str(home), "--json").stdout)
    assert shown["sm2_cert_serial"] and shown["status"] == "suspended"
    from esign.config import Settings
    from esign.deployment import Deployment
    from esign.pki import store

    dep = Deployment.open(Settings(home=home), migrate_db=False)
    try:
        with dep.transaction() as session:
            held = store.status(session, shown["sm2_cert_serial"])
            assert held is not None and held.state.value == "on_hold"
            assert held.issuer_serial == dep.sm2_pki.issuing.asn1.serial_number
    finally:
        dep.close()
    exported = _esign(REPO, "seal", "ses", "薛关镇", "-o", str(tmp_path / "x.esl"), "--home", str(home))
    assert exported.returncode == 0, exported.stdout + exported.stderr
    from esign.ses import parse_seal

    assert parse_seal((tmp_path / "x.esl").read_bytes()).es_id == shown["code"]
    resumed = _esign(REPO, "seal", "resume", "薛关镇", "--reason", "升级后恢复", "--home", str(home))
    assert resumed.returncode == 0, resumed.stderr
