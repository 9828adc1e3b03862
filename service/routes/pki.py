"""/pki: the county PKI's public endpoints (certificates, CRL, OCSP, time stamps).

Everything here is public and unauthenticated, as relying parties (PDF readers, openssl) expect.
OCSP and TSA answer protocol errors in protocol form (malformedRequest, a rejection), never as JSON.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Protocol, TypeVar

from fastapi import APIRouter, Header, Request, Response
from starlette.concurrency import run_in_threadpool

from esign.deployment import Deployment
from esign.errors import NotFoundError
from esign.pki import (
    NextSerialAndTime,
    OcspResponder,
    TimeStampAuthority,
    certificate_der,
    crl_of,
    ocsp_answer,
    tsa_serials,
)
from service.clock import now
from service.deps import Dep

__all__ = ["Authority", "Hierarchy", "add_protocol_routes", "per_deployment", "router"]

T = TypeVar("T")

router = APIRouter(prefix="/pki", tags=["pki"])

CERT_TYPE = "application/pkix-cert"
CRL_TYPE = "application/pkix-crl"
OCSP_REQUEST_TYPE = "application/ocsp-request"
OCSP_RESPONSE_TYPE = "application/ocsp-response"
TSA_QUERY_TYPE = "application/timestamp-query"
TSA_REPLY_TYPE = "application/timestamp-reply"
#: OCSP and time-stamp requests are a few hundred bytes; anything far larger is refused unread.
MAX_REQUEST_BYTES = 64 * 1024

# One responder / TSA per deployment and process: the OCSP responder's cache lives in it.
_responders: weakref.WeakKeyDictionary[Deployment, OcspResponder] = weakref.WeakKeyDictionary()
_authorities: weakref.WeakKeyDictionary[Deployment, TimeStampAuthority] = weakref.WeakKeyDictionary()


def per_deployment(cache: weakref.WeakKeyDictionary[Deployment, T], dep: Deployment, make: Callable[[], T]) -> T:
    """The one ``make()`` of ``dep`` in this process (an OCSP responder keeps its cache in itself)."""
    made = cache.get(dep)
    if made is None:
        made = cache[dep] = make()
    return made


def _responder(dep: Deployment) -> OcspResponder:
    return per_deployment(_responders, dep, dep.pki.ocsp_responder)


def _authority(dep: Deployment) -> TimeStampAuthority:
    return per_deployment(_authorities, dep, dep.pki.timestamp_authority)


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


async def _body(request: Request) -> bytes | None:
    """The request body, or None when it exceeds :data:`MAX_REQUEST_BYTES`."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_REQUEST_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


@router.get("/root.crt", summary="根证书 / root CA certificate (DER)")
def root_certificate(dep: Dep) -> Response:
    """The trust anchor, DER (install it to validate seals)."""
    return Response(certificate_der(dep.pki.root), media_type=CERT_TYPE)


@router.get("/issuing.crt", summary="签发CA证书 / issuing CA certificate (DER)")
def issuing_certificate(dep: Dep) -> Response:
    """The issuing CA certificate, DER (the caIssuers URL of seal certificates)."""
    return Response(certificate_der(dep.pki.issuing), media_type=CERT_TYPE)


@router.get("/root.crl", summary="根CA吊销列表 / the offline root's CRL (DER)")
def root_crl(dep: Dep) -> Response:
    """The root's CRL over the issuing CA, made at ``esign init`` (the root key stays offline)."""
    path = dep.settings.certs_dir / "root.crl"
    if not path.exists():
        raise NotFoundError("根CA吊销列表不存在。", "No root CRL in this deployment.", code="root_crl_missing")
    return Response(path.read_bytes(), media_type=CRL_TYPE)


@router.get("/crl", summary="证书吊销列表 / CRL (DER)")
def crl(dep: Dep) -> Response:
    """The issuing CA's current CRL, reissued when a revocation happened or it nears nextUpdate."""
    # Its own transaction, committed before the CRL leaves: a published CRL number is never reused.
    der = crl_of(dep.transaction, dep.pki, at=now())
    return Response(der, media_type=CRL_TYPE, headers={"Cache-Control": "no-cache"})


async def _ocsp_body(request: Request, content_type: str | None) -> bytes | None:
    """The DER OCSP request of a POST, or None for one too large or of another media type."""
    body = await _body(request)
    return None if body is None or _media_type(content_type) != OCSP_REQUEST_TYPE else body


def _ocsp_get_der(encoded: str) -> bytes | None:
    """The DER request of an OCSP GET (base64, URL-encoded, RFC 6960 appendix A.1), or None if malformed."""
    try:
        # The path is already URL-decoded; '/' inside the base64 text arrives as path separators.
        der = base64.b64decode(encoded.replace(" ", "+"), validate=True)
    except (binascii.Error, ValueError):
        return None
    return der if len(der) <= MAX_REQUEST_BYTES else None


class Authority(Protocol):
    """A time-stamping authority as the routes use it (ECDSA or SM2)."""

    def reject(self, text: str) -> bytes: ...
    def respond(self, request_der: bytes, next_serial_and_time: NextSerialAndTime, *, at: dt.datetime) -> bytes: ...


async def _answer_tsa(request: Request, dep: Deployment, authority: Authority, content_type: str | None) -> Response:
    """The TimeStampResp to a POSTed TimeStampReq; serials and genTime from the store."""
    body = await _body(request)
    if body is None:
        return Response(authority.reject("request too large"), media_type=TSA_REPLY_TYPE)
    if _media_type(content_type) != TSA_QUERY_TYPE:
        return Response(authority.reject(f"content type must be {TSA_QUERY_TYPE}"), media_type=TSA_REPLY_TYPE)
    # Serials committed before the token is signed: a serial that left this process is never handed out again.
    der = await run_in_threadpool(authority.respond, body, tsa_serials(dep.transaction), at=now())
    return Response(der, media_type=TSA_REPLY_TYPE)


@dataclass(frozen=True)
class Hierarchy:
    """One certificate hierarchy's protocol endpoints (ECDSA or SM2), as :func:`add_protocol_routes` serves them."""

    label: str
    """Put before the summaries ("" or "SM2 ")."""
    ocsp: Callable[[Deployment, bytes], bytes]
    """The DER OCSPResponse to a DER OCSP request, from the store."""
    malformed: Callable[[], bytes]
    """The OCSPResponse ``malformedRequest``."""
    authority: Callable[[Deployment], Authority]
    """The deployment's time-stamping authority."""
    tsa_summary: str
    """The TSA route's summary."""
    tsa_doc: str
    """The TSA route's description."""


def add_protocol_routes(router: APIRouter, hierarchy: Hierarchy) -> None:
    """OCSP (POST, and GET per RFC 6960 appendix A.1) and the TSA of ``hierarchy`` on ``router``; protocol
    errors are answered in protocol form (``malformedRequest``, a rejection), never as JSON."""

    def answer(dep: Deployment, request_der: bytes) -> Response:
        # no-cache: a revocation must be visible at once, not after an intermediary's max-age.
        return Response(
            hierarchy.ocsp(dep, request_der), media_type=OCSP_RESPONSE_TYPE, headers={"Cache-Control": "no-cache"}
        )

    async def ocsp_post(request: Request, dep: Dep, content_type: Annotated[str | None, Header()] = None) -> Response:
        """An OCSP request in the body (application/ocsp-request)."""
        body = await _ocsp_body(request, content_type)
        if body is None:
            return Response(hierarchy.malformed(), media_type=OCSP_RESPONSE_TYPE)
        return await run_in_threadpool(answer, dep, body)  # database and signing off the event loop

    def ocsp_get(encoded: str, dep: Dep) -> Response:
        """The DER request, base64 and URL-encoded, as the last path segment(s)."""
        der = _ocsp_get_der(encoded)
        if der is None:
            return Response(hierarchy.malformed(), media_type=OCSP_RESPONSE_TYPE)
        return answer(dep, der)

    async def tsa(request: Request, dep: Dep, content_type: Annotated[str | None, Header()] = None) -> Response:
        return await _answer_tsa(request, dep, hierarchy.authority(dep), content_type)

    label = hierarchy.label
    router.add_api_route("/ocsp", ocsp_post, methods=["POST"], summary=f"{label}OCSP (RFC 6960)")
    router.add_api_route(
        "/ocsp/{encoded:path}", ocsp_get, methods=["GET"], summary=f"{label}OCSP over GET (RFC 6960 appendix A.1)"
    )
    router.add_api_route("/tsa", tsa, methods=["POST"], summary=hierarchy.tsa_summary, description=hierarchy.tsa_doc)


add_protocol_routes(
    router,
    Hierarchy(
        label="",
        ocsp=lambda dep, der: ocsp_answer(dep.transaction, _responder(dep), der, at=now()),
        malformed=OcspResponder.malformed_response,
        authority=_authority,
        tsa_summary="时间戳 / RFC 3161 time-stamping",
        tsa_doc="A TimeStampReq in the body (application/timestamp-query); answers a TimeStampResp.",
    ),
)
