"""Creating a county: ``esign init`` (county + PKI) and ``esign demo`` (a working demo county).

The demo is 蒲县 (山西省临汾市), whose reform document (蒲政发〔2023〕13号) names its eight townships'
special seal "蒲县XX乡（镇）人民政府行政审批服务专用章" and attaches the Shanxi provincial list of
township-level service items, which becomes every demo township's authority list.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from cryptography import x509
from sqlalchemy import select
from sqlalchemy.orm import Session

from esign.deployment import Deployment
from esign.errors import ConfigError, ConflictError
from esign.ledger.checkpoint import Ed25519NoteSigner
from esign.pki import store as pki_store
from esign.pki.ca import CERT_FILES, CountyPKI
from esign.pki.certio import certificate_pem, write_public_file
from esign.pki.crl import build_crl, publish_crl
from esign.pki.keys import KeyAlgorithm
from esign.pki.profiles import CountyInfo, reissued_issuing_ca_certificate
from esign.pki.sm2_ca import SM2_DIR, Sm2CountyPKI
from esign.pki.status import CertKind
from esign.registry import (
    Role,
    SealAction,
    add_person,
    add_township,
    change_seal,
    create_county,
    grant_items,
    import_catalog,
    issue_token,
    record_event,
    request_seal,
)
from esign.registry.catalog import load_catalog
from esign.registry.departments import read_mapping
from esign.registry.models import County
from esign.registry.uscc import make_uscc, org_code_check_char

__all__ = [
    "DEMO_TOWNSHIPS",
    "LEDGER_KEY_ID",
    "LEDGER_VKEY_FILE",
    "SAMPLES_DIR",
    "create_demo",
    "demo_uscc",
    "init_county",
    "init_sm2",
    "ledger_origin",
    "reissue_issuing_ca",
]

#: The repository's samples/ folder (catalogs parsed from the seed documents).
SAMPLES_DIR = Path(__file__).resolve().parent.parent / "samples"

#: 蒲县's four towns and four townships with their division codes (GB/T 2260 style, 141033 = 蒲县).
DEMO_TOWNSHIPS = (
    ("蒲城镇", "141033100000", "蒲县蒲城镇便民服务中心"),
    ("薛关镇", "141033101000", "蒲县薛关镇便民服务中心"),
    ("黑龙关镇", "141033102000", "蒲县黑龙关镇便民服务中心"),
    ("克城镇", "141033103000", "蒲县克城镇便民服务中心"),
    ("山中乡", "141033200000", "蒲县山中乡便民服务中心"),
    ("古县乡", "141033201000", "蒲县古县乡便民服务中心"),
    ("红道乡", "141033202000", "蒲县红道乡便民服务中心"),
    ("乔家湾乡", "141033203000", "蒲县乔家湾乡便民服务中心"),
)
DEMO_CATALOG = "山西省乡镇政务服务事项"
#: Key-store id of the usage register's checkpoint key, and where its public key is published.
LEDGER_KEY_ID = "ledger"
LEDGER_VKEY_FILE = "ledger.vkey"
#: Validity of the offline root's CRL.
ROOT_CRL_PERIOD = dt.timedelta(days=365)
DEMO_CATALOG_FILE = "puxian_provincial.json"
#: The county department of each demo item (the list names none): see esign.registry.departments.
DEMO_DEPARTMENTS_FILE = "puxian_departments.csv"


def demo_uscc(region6: str, n: int) -> str:
    """A structurally valid USCC of a 机关 (registration authority 1, type 1) for demo data."""
    body = f"{11_500_000 + n:08d}"
    return make_uscc("11" + region6 + body + org_code_check_char(body)).code


def init_county(
    dep: Deployment,
    session: Session,
    *,
    county: str,
    province: str,
    city: str,
    office: str,
    at: dt.datetime,
    algorithm: str = "ec-p256",
    seal_title: str = "行政审批服务专用章",
) -> dict[str, Path]:
    """Create the county record and its PKI in ``dep``'s data home; returns the published files."""
    if dep.has_pki:
        raise ConflictError(
            "该数据目录已有县级证书体系，不会覆盖。", "This data home already has a county PKI.", code="pki_exists"
        )
    create_county(session, county, province=province, city=city, office=office, at=at, seal_title=seal_title)
    settings = dep.settings
    settings.key_passphrase_bytes(create=True)
    pki = CountyPKI.create(
        dep.keystore,
        settings.certs_dir,
        CountyInfo(province=province, city=city, county=county, office=office),
        base_url=settings.base_url,
        at=at,
        algorithm=_algorithm(algorithm),
    )
    pki_store.record_county_pki(session, pki, at=at)
    publish_crl(session, pki, at=at)
    # The root is offline: its CRL (covering the issuing CA) is made now, for a year, and
    # re-made by a key ceremony (`esign init` tooling) before it expires.
    root_crl = build_crl(pki.root, dep.keystore.load_private("root"), [], number=1, at=at, period=ROOT_CRL_PERIOD)
    (settings.certs_dir / "root.crl").write_bytes(root_crl)
    # The reform office's key for the usage register's signed checkpoints (Ed25519, C2SP notes).
    dep.keystore.generate(LEDGER_KEY_ID, KeyAlgorithm.ED25519)
    origin = ledger_origin(settings.base_url)
    verifier = Ed25519NoteSigner(origin, dep.keystore.load_private(LEDGER_KEY_ID)).verifier  # type: ignore[arg-type]
    (settings.certs_dir / LEDGER_VKEY_FILE).write_text(verifier.vkey + "\n", encoding="utf-8")
    record_event(session, actor="cli", action="county.init", target=f"county:{county}", at=at)
    _create_sm2(dep, session, at=at)
    files = {name: settings.certs_dir / f"{name}.crt" for name in ("root", "issuing", "tsa", "ocsp")}
    return files | {f"sm2-{n}": settings.certs_dir / SM2_DIR / f"{n}.crt" for n in ("root", "issuing", "maker")}


def _create_sm2(dep: Deployment, session: Session, *, at: dt.datetime) -> Sm2CountyPKI:
    county = session.scalars(select(County)).one()
    info = CountyInfo(province=county.province, city=county.city, county=county.name, office=county.office)
    pki = Sm2CountyPKI.create(dep.sm2_keys, dep.settings.certs_dir, info, base_url=dep.settings.base_url, at=at)
    pki.record(session, at=at)
    pki.publish_crl(session, at=at)
    return pki


def init_sm2(dep: Deployment, *, at: dt.datetime, actor: str = "cli") -> tuple[bool, list[str]]:
    """Give an existing home its SM2 hierarchy and every open seal its SM2 certificate and seal data.

    Idempotent: creates the hierarchy only when missing (False when it existed) and issues only what
    a seal lacks; returns (created, codes of the seals that were given an SM2 certificate). One
    transaction, one audit event.
    """
    from esign.registry.models import Seal
    from esign.registry.seals import add_national_seal

    if not dep.has_pki:
        raise ConfigError(
            "本数据目录尚未初始化县级证书体系，请先运行 esign init。",
            "No county PKI in this data home: run `esign init` first.",
            code="pki_not_initialized",
        )
    with dep.transaction() as session:
        created = not dep.has_sm2_pki
        if created:
            _create_sm2(dep, session, at=at)
            dep.__dict__.pop("seal_ca", None)  # made before the SM2 PKI existed
        done = [
            seal.code
            for seal in session.scalars(select(Seal).order_by(Seal.id))
            if add_national_seal(session, seal, at=at, ca=dep.seal_ca)
        ]
        if created or done:
            record_event(
                session,
                actor=actor,
                action="pki.sm2_init",
                target="pki:sm2",
                at=at,
                detail=f"created={created}; seals={','.join(done) or '-'}",
            )
    return created, done


def ledger_origin(base_url: str) -> str:
    """The usage register's log name (the checkpoint origin line and the note key's name).

    A schema-less URL, as c2sp.org/tlog-checkpoint asks: the county service's host and path, then
    ``/ledger`` (where the tlog-tiles are served): ``https://esign.xx.gov.cn/`` gives
    ``esign.xx.gov.cn/ledger``.
    """
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    host = (parts.netloc or parts.path).rsplit("@", 1)[-1]
    path = parts.path.rstrip("/") if parts.netloc else ""
    return f"{host}{path}/ledger".replace(" ", "").replace("+", "")


def reissue_issuing_ca(dep: Deployment, *, at: dt.datetime) -> Path:
    """Issue the issuing CA certificate again under today's profile (the root's CRL distribution
    point and caIssuers), same name and key, for homes created before it had them. Needs the root
    key back in ``keys/``; every seal, the TSA and OCSP certificates and the CRLs stay valid. Running
    servers must be restarted to serve the new ``certs/issuing.crt``.

    One transaction: the new certificate's record, the issuer transfer and the audit event commit
    together, after the new certificate file is written (a failure before that keeps the old one)."""
    pki = dep.pki
    try:
        pki.issuing.extensions.get_extension_for_class(x509.CRLDistributionPoints)
        raise ConflictError(
            "签发CA证书已含吊销信息指向，无需重新签发。",
            "The issuing CA certificate already carries its revocation pointers.",
            code="issuing_current",
        )
    except x509.ExtensionNotFound:
        pass
    root_key = dep.keystore.load_private("root")
    new = reissued_issuing_ca_certificate(
        pki.issuing, issuer_cert=pki.root, issuer_key=root_key, base_url=pki.base_url, at=at
    )
    with dep.transaction() as session:
        pki_store.record_issued(session, new, kind=CertKind.ISSUING, issuer=pki.root, at=at)
        pki_store.transfer_issuer(session, pki.issuing, new)
        record_event(session, actor="cli", action="pki.reissue_issuing", target=f"cert:{new.serial_number:x}", at=at)
        certs = dep.settings.certs_dir
        write_public_file(certs / f"issuing-{pki.issuing.serial_number:x}.crt", certificate_pem(pki.issuing))
        write_public_file(certs / CERT_FILES["issuing"], certificate_pem(new), overwrite=True)
    return certs / CERT_FILES["issuing"]


def _algorithm(name: str) -> KeyAlgorithm:
    try:
        algorithm = KeyAlgorithm(name)
        if not algorithm.for_certificates:
            raise ValueError(name)
        return algorithm
    except ValueError:
        from esign.errors import InputError

        raise InputError(
            f"不支持的密钥算法“{name}”，可选：{', '.join(a.value for a in KeyAlgorithm)}。",
            f"Unknown key algorithm {name!r}; choose one of {', '.join(a.value for a in KeyAlgorithm)}.",
            code="bad_algorithm",
            field="algorithm",
        ) from None


def create_demo(dep: Deployment, *, at: dt.datetime) -> list[tuple[str, str, str, str]] | None:
    """Create the demo county unless the home already has a county; returns (user, role, township, token) rows.

    Idempotent: on a home that has a county it changes nothing and returns None.
    """
    with dep.transaction() as session:
        if session.scalar(select(County)) is not None:
            return None
    catalog_path = SAMPLES_DIR / "catalogs" / DEMO_CATALOG_FILE
    if not catalog_path.exists():
        raise ConfigError(
            f"未找到演示用事项目录 {catalog_path}。", f"Demo catalog {catalog_path} is missing.", code="no_demo_catalog"
        )
    items = load_catalog(catalog_path.read_bytes(), filename=catalog_path.name)
    mapping_path = catalog_path.with_name(DEMO_DEPARTMENTS_FILE)
    if mapping_path.exists():  # department viewers see the items of their department
        departments = read_mapping(mapping_path.read_bytes())
        items = [dataclasses.replace(i, department=departments.get(i.number, i.department)) for i in items]
    tokens: list[tuple[str, str, str, str]] = []
    valid = dt.timedelta(days=90)
    with dep.transaction() as session:
        init_county(
            dep, session, county="蒲县", province="山西省", city="临汾市", office="蒲县行政审批服务管理局", at=at
        )
        import_catalog(session, DEMO_CATALOG, items)
        admin = add_person(session, "县审批局管理员", Role.REFORM_ADMIN, at=at)
        tokens.append((admin.name, Role.REFORM_ADMIN.zh, "-", issue_token(session, admin, at=at, valid_for=valid)))
        dept = add_person(session, "县民政局查看人", Role.DEPARTMENT, department="蒲县民政局", at=at)
        tokens.append((dept.name, Role.DEPARTMENT.zh, "-", issue_token(session, dept, at=at, valid_for=valid)))
        for n, (name, region, address) in enumerate(DEMO_TOWNSHIPS, start=1):
            township = add_township(
                session, name, uscc=demo_uscc(region[:6], n), region_code=region, address=address, at=at
            )
            grant_items(session, township, DEMO_CATALOG)
            seal = request_seal(session, township, actor=admin.name, reason="一枚印章管审批改革，刻制电子印章", at=at)
            for action in (SealAction.APPROVE, SealAction.ACTIVATE):
                change_seal(session, seal, action, actor=admin.name, reason="县政府同意启用", at=at, ca=dep.seal_ca)
            for role, who in ((Role.CUSTODIAN, "保管人"), (Role.APPROVER, "批准人"), (Role.CLERK, "窗口")):
                person = add_person(session, f"{name}{who}", role, township=township, at=at)
                tokens.append((person.name, role.zh, name, issue_token(session, person, at=at, valid_for=valid)))
    return tokens
