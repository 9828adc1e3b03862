"""/pki/sm2: the SM2 hierarchy's public endpoints beside the ECDSA ones (certificates, CRLs, OCSP,
GB/T 20520 time stamps). Public and unauthenticated, as relying parties expect; OCSP and TSA answer
protocol errors in protocol form. A home without an SM2 PKI answers 503 ``sm2_pki_not_initialized``.
"""

from __future__ import annotations

import weakref

from fastapi import APIRouter, Response

from esign.deployment import Deployment
from esign.errors import NotFoundError
from esign.pki import SM2_DIR, Sm2OcspResponder, Sm2TimeStampAuthority, sm2_crl_of, sm2_ocsp_answer
from service.clock import now
from service.deps import Dep
from service.routes.pki import CERT_TYPE, CRL_TYPE, Hierarchy, add_protocol_routes, per_deployment

__all__ = ["router"]

router = APIRouter(prefix="/pki/sm2", tags=["pki"])

_responders: weakref.WeakKeyDictionary[Deployment, Sm2OcspResponder] = weakref.WeakKeyDictionary()
_authorities: weakref.WeakKeyDictionary[Deployment, Sm2TimeStampAuthority] = weakref.WeakKeyDictionary()


def _responder(dep: Deployment) -> Sm2OcspResponder:
    return per_deployment(_responders, dep, dep.sm2_pki.ocsp_responder)


def _authority(dep: Deployment) -> Sm2TimeStampAuthority:
    return per_deployment(_authorities, dep, dep.sm2_pki.timestamp_authority)


@router.get("/root.crt", summary="SM2 根证书 / SM2 root CA certificate (DER)")
def root_certificate(dep: Dep) -> Response:
    """The SM2 trust anchor, DER."""
    return Response(dep.sm2_pki.root.der, media_type=CERT_TYPE)


@router.get("/issuing.crt", summary="SM2 签发CA证书 / SM2 issuing CA certificate (DER)")
def issuing_certificate(dep: Dep) -> Response:
    """The SM2 issuing CA certificate, DER (the caIssuers URL of SM2 seal certificates)."""
    return Response(dep.sm2_pki.issuing.der, media_type=CERT_TYPE)


@router.get("/maker.crt", summary="制章者证书 / the seal maker's SM2 certificate (DER)")
def maker_certificate(dep: Dep) -> Response:
    """The county reform office's maker certificate, which signs GB/T 38540 seal data."""
    return Response(dep.sm2_pki.maker.der, media_type=CERT_TYPE)


@router.get("/root.crl", summary="SM2 根CA吊销列表 / the SM2 root's CRL (DER)")
def root_crl(dep: Dep) -> Response:
    """The SM2 root's CRL over the issuing CA, made when the hierarchy was created."""
    _ = dep.sm2_pki
    path = dep.settings.certs_dir / SM2_DIR / "root.crl"
    if not path.exists():
        raise NotFoundError("SM2 根CA吊销列表不存在。", "No SM2 root CRL in this deployment.", code="root_crl_missing")
    return Response(path.read_bytes(), media_type=CRL_TYPE)


@router.get("/crl", summary="SM2 证书吊销列表 / SM2 CRL (DER)")
def crl(dep: Dep) -> Response:
    """The SM2 issuing CA's current CRL, reissued when a revocation happened or it nears nextUpdate."""
    der = sm2_crl_of(dep.transaction, dep.sm2_pki, at=now())
    return Response(der, media_type=CRL_TYPE, headers={"Cache-Control": "no-cache"})


add_protocol_routes(
    router,
    Hierarchy(
        label="SM2 ",
        ocsp=lambda dep, der: sm2_ocsp_answer(dep.transaction, _responder(dep), der, at=now()),
        malformed=Sm2OcspResponder.malformed_response,
        authority=_authority,
        tsa_summary="SM2 时间戳 / GB/T 20520 time-stamping (SM3/SM2)",
        tsa_doc="A TimeStampReq (SM3 imprint) in the body; answers a TimeStampResp signed with SM2.",
    ),
)
