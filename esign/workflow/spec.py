"""What a clerk asks for, for one document or a batch of them, and the one check of it against the registry.

:class:`StampRequestSpec` holds plain values and a typed placement (:data:`esign.stamp.Placement`,
valid by construction; its JSON form is :mod:`esign.stamp.placement_json`). :func:`check_spec` is the
check that a single request (:func:`esign.workflow.requests.submit_request`) and a batch
(:func:`esign.workflow.batches.open_batch`) both make before anything is kept: the seal, the clerk,
the item, the texts, the document type and the level. What depends on the document itself (a PDF or
an OFD, its pages, where the placement lands) is checked per document, by the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from esign.errors import InputError
from esign.ledger import DocumentType
from esign.registry import Actor, find_seal, resolve_item
from esign.registry.models import AuthorityItem, Seal
from esign.registry.townships import organisation_name
from esign.stamp import AtKeyword, AtPosition, InField, Placement, default_keywords, placement_to_json, with_keywords
from esign.text import REASON_LIMIT, TITLE_LIMIT, bad_character
from esign.verify import PadesLevel
from esign.workflow.rules import check_text, document_type, pades_level, require_active, require_clerk

__all__ = ["CheckedSpec", "StampRequestSpec", "check_key", "check_spec", "township_placement"]


@dataclass(frozen=True)
class StampRequestSpec:
    """What the clerk asks for. The placement is typed; decode a JSON one with
    :func:`esign.stamp.placement_from_dict` (which refuses a malformed one with ``bad_placement``)."""

    #: The seal: id, seal code or township name.
    seal: str
    #: The catalog item: its number in the township's authority list, or its name.
    item: str
    #: 事由.
    reason: str
    #: Document type (受理通知书, 补正材料告知书, 准予许可决定书 …).
    document_type: str = DocumentType.ACCEPTANCE_NOTICE.value
    #: Document title (no applicant personal data); for a batch, empty gives each file its own name.
    title: str = ""
    #: Where the seal goes; ``AtKeyword()`` (no text) is the seal's township's keywords.
    placement: Placement = field(default_factory=AtKeyword)
    #: PAdES level.
    level: str = PadesLevel.B_LT.value
    #: Retrying with the same key returns the same request (or batch) instead of a second one.
    idempotency_key: str = ""
    #: Password of an encrypted input.
    password: str | None = None
    #: Certify the document (DocMDP): later changes other than form filling and signatures show as such.
    certify: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.placement, AtPosition | AtKeyword | InField):
            raise TypeError(f"placement must be an AtPosition, AtKeyword or InField, not {self.placement!r}")


@dataclass(frozen=True)
class CheckedSpec:
    """A spec that passed :func:`check_spec`, with the rows it names (valid in the caller's session)."""

    #: The seal (active, of the clerk's township).
    seal: Seal
    #: The item of the township's authority list.
    item: AuthorityItem
    #: 事由, cleaned.
    reason: str
    #: The document type.
    document_type: DocumentType
    #: The title, cleaned; empty for a batch whose files give their own.
    title: str
    #: The PAdES level.
    level: PadesLevel

    def columns(self, spec: StampRequestSpec) -> dict[str, Any]:
        """What a stamp request's row and a batch's row both keep of ``spec`` (the one this checked), by
        their column names; the placement as its canonical JSON."""
        return {
            "township_id": self.seal.township_id,
            "seal_id": self.seal.id,
            "authority_item_id": self.item.id,
            "document_type": self.document_type.value,
            "document_title": self.title,
            "reason": self.reason,
            "placement": placement_to_json(spec.placement),
            "level": self.level.value,
            "certify": spec.certify,
        }


def check_key(key: str, *, limit: int) -> str:
    """The idempotency key as it will be kept; refused when longer than ``limit`` or holding a control character."""
    if len(key) > limit or bad_character(key) is not None:
        raise InputError("幂等键过长。", "Idempotency key too long.", field="idempotency_key")
    return key


def check_spec(session: Session, actor: Actor, spec: StampRequestSpec, *, per_file_titles: bool = False) -> CheckedSpec:
    """The checks of a request's inputs, in this order: the seal exists, ``actor`` is a clerk of its
    township, the seal is active, the item is in the township's authority list, the reason, the
    document type, the title (by default the document type's name; with ``per_file_titles`` an
    empty title stays empty) and the level are valid. The placement was checked when it was made."""
    seal = find_seal(session, spec.seal)
    require_clerk(actor, seal)
    require_active(seal)
    item = resolve_item(session, seal.township, spec.item)
    reason = check_text(spec.reason, "reason", "事由", REASON_LIMIT)
    doc_type = document_type(spec.document_type)
    if per_file_titles and not spec.title.strip():
        title = ""
    else:
        title = check_text(spec.title or doc_type.value, "title", "文书标题", TITLE_LIMIT)
    return CheckedSpec(seal, item, reason, doc_type, title, pades_level(spec.level))


def township_placement(seal: Seal, placement: Placement) -> Placement:
    """``placement`` with the keywords of the seal's township where it names none (reads the
    township: call it inside the session the seal came from)."""
    township = seal.township
    return with_keywords(placement, default_keywords(township.name, organisation_name(township)))
